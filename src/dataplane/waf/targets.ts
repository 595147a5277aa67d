import { fold, percentDecode } from './normalize';

/**
 * What of a request the WAF reads, each piece as a labelled value. On model and agent routes the text a user writes
 * to a model (messages, prompts, inputs, instructions, tool schemas, response formats) is prose and code by design:
 * SQL, shell and HTML in it are what people ask models about. It is left to the prompt-injection family (user text
 * only) unless a route opts in with `inspectMessages`; everything else (request line, chosen headers, cookies, the
 * other body fields such as `user` and `metadata`) is inspected as a web application firewall inspects a form.
 */

export type WafRouteKind = 'model' | 'agent' | 'mcp';

/** What the inspect stage reads before the body: the request line and headers. */
export interface WafRequestHead {
  readonly method: string;
  /** The request target as received: path and query, still percent-encoded. */
  readonly rawPath: string;
  /** Header names lower-case; a repeated header joined as Node joins it (`set-cookie` aside, which requests do not send). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The peer's address (for the IP deny list). */
  readonly remoteAddress?: string;
}

/** A whole request: its head, and its body as parsed (JSON; a multipart upload's text fields). */
export interface WafRequest extends WafRequestHead {
  readonly body: unknown;
  readonly routeKind: WafRouteKind;
}

/** `custom-header`: a header only a custom rule names, read by that rule alone. */
export type TargetKind = 'method' | 'path' | 'query' | 'query-name' | 'header' | 'custom-header' | 'cookie' | 'body' | 'body-key' | 'message';

export interface Target {
  readonly kind: TargetKind;
  /** 'path', 'query:<name>', 'header:<name>', 'cookie:<name>', 'body:<json pointer>' or 'message'. */
  readonly label: string;
  /** As received (query and cookie values still percent-encoded), cut to the limits (TargetOptions). */
  readonly raw: string;
  /** Percent-decoded (repeatedly; `+` as space in queries) and folded (lower case, full-width as ASCII). */
  readonly decoded: string;
  /** For 'message': whether a user wrote it (the prompt-injection family reads only these). */
  readonly fromUser?: boolean;
}

export interface TargetOptions {
  readonly inspectMessages: boolean;
  /** Whether user message text is collected for the prompt-injection family even when messages are not inspected. */
  readonly userMessages: boolean;
  /** Characters read of each value of the request line, headers and cookies. */
  readonly maxValueChars: number;
  readonly maxValues: number;
  /** Characters read of all values but message text together; values past it are counted in valuesOverLimit. */
  readonly maxDataChars: number;
  /** Characters read of message text together; text past it is not read (it is prose, not a value an attacker pads). */
  readonly maxMessageChars: number;
  /** Headers custom rules name beyond the inspected ones (lower-case); credentials are never read. */
  readonly customHeaders?: readonly string[];
}

export interface CollectedTargets {
  readonly targets: Target[];
  /** Values left unread, or read in part, because the request had more than maxValues values or maxDataChars characters of them. */
  readonly valuesOverLimit: number;
}

/**
 * The headers whose values are inspected. Credentials (authorization, x-api-key, api-key, cookies' names) are never
 * read; `x-stainless-*` and the protocol headers are SDK and transport metadata whose values no application acts on.
 */
/** Headers that carry credentials: never read, whatever a custom rule names. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie']);

const INSPECTED_HEADERS = ['user-agent', 'referer', 'x-forwarded-for', 'x-real-ip', 'forwarded', 'origin', 'x-original-url', 'x-rewrite-url', 'x-forwarded-host'];

/**
 * Body fields of model and agent requests that carry text written for a model, not for an application: read only
 * as message text. `text` is the Responses API's output format (like `response_format`).
 */
const MESSAGE_FIELDS = new Set(['messages', 'system', 'input', 'instructions', 'prompt', 'tools', 'functions', 'response_format', 'text', 'tool_choice', 'suffix']);

/** Fields of a body that hold message text a user wrote (as against schemas and formats). */
const USER_TEXT_FIELDS = new Set(['messages', 'input', 'prompt', 'suffix']);

/** What is left to read of a request: shared by the inspection of its head and of its body. */
export class TargetBudget {
  values: number;
  dataChars: number;
  messageChars: number;
  /** Values left unread, or read in part, because the request had more than maxValues values or maxDataChars characters of them. */
  valuesOverLimit = 0;
  constructor(options: TargetOptions) {
    this.values = options.maxValues;
    this.dataChars = options.maxDataChars;
    this.messageChars = options.maxMessageChars;
  }
}

/** Adds one value to `targets` within the budget. */
function adder(targets: Target[], options: TargetOptions, budget: TargetBudget) {
  return (kind: TargetKind, label: string, raw: string, plusIsSpace: boolean, fromUser?: boolean): void => {
    if (raw === '') return;
    const isMessage = kind === 'message';
    if (isMessage ? budget.messageChars <= 0 : budget.values <= 0 || budget.dataChars <= 0) {
      if (!isMessage) budget.valuesOverLimit++;
      return;
    }
    // Values of the request line and headers are cut at maxValueChars (the engine flags one that reaches it); body
    // strings and message text are read whole within the request's budget, so padding cannot push an attack out of sight.
    const perValue = kind === 'body' || kind === 'body-key' || isMessage ? Infinity : options.maxValueChars;
    const value = raw.slice(0, Math.min(perValue, isMessage ? budget.messageChars : budget.dataChars));
    if (isMessage) {
      budget.messageChars -= value.length;
    } else {
      budget.values--;
      budget.dataChars -= value.length;
      if (value.length < raw.length && value.length < perValue) budget.valuesOverLimit++;
    }
    // Message text is prose: decoding `%` in it would change what the model reads, not reveal what it means.
    const decoded = isMessage ? fold(value) : fold(percentDecode(value, plusIsSpace));
    targets.push({ kind, label, raw: value, decoded, ...(fromUser !== undefined && { fromUser }) });
  };
}

/** The request line, the inspected headers and the cookies: what is known before the body is read. */
export function collectHeadTargets(req: WafRequestHead, options: TargetOptions, budget: TargetBudget): Target[] {
  const targets: Target[] = [];
  const add = adder(targets, options, budget);
  add('method', 'method', req.method, false);
  const q = req.rawPath.indexOf('?');
  const path = q === -1 ? req.rawPath : req.rawPath.slice(0, q);
  add('path', 'path', path, false);
  if (q !== -1) {
    for (const pair of req.rawPath.slice(q + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      const name = labelPart(percentDecode(rawName, true));
      add('query-name', `query:${name}`, rawName, true);
      if (eq !== -1) add('query', `query:${name}`, pair.slice(eq + 1), true);
    }
  }

  for (const name of INSPECTED_HEADERS) {
    const value = headerText(req.headers[name]);
    if (value === undefined) continue;
    if (name === 'x-forwarded-for') for (const hop of value.split(',')) add('header', `header:${name}`, hop.trim(), false);
    else add('header', `header:${name}`, value, false);
  }
  for (const name of options.customHeaders ?? []) {
    const value = headerText(req.headers[name]);
    if (value !== undefined && !SECRET_HEADERS.has(name) && !INSPECTED_HEADERS.includes(name)) add('custom-header', `header:${name}`, value, false);
  }
  const cookie = headerText(req.headers.cookie);
  if (cookie !== undefined) {
    for (const crumb of cookie.split(';')) {
      const eq = crumb.indexOf('=');
      const name = labelPart(eq === -1 ? '' : crumb.slice(0, eq).trim());
      add('cookie', `cookie:${name}`, eq === -1 ? crumb.trim() : crumb.slice(eq + 1).trim(), false);
    }
  }
  return targets;
}

/**
 * The values of a parsed body: every string and key, except that on model and agent routes the fields written for a
 * model are message text (read by the prompt-injection family, user text only, or by all when `inspectMessages`).
 * A multipart upload's text fields come as an object of strings (its files are never read).
 */
export function collectBodyTargets(body: unknown, routeKind: WafRouteKind, options: TargetOptions, budget: TargetBudget): Target[] {
  const targets: Target[] = [];
  if (body === undefined || body === null) return targets;
  const add = adder(targets, options, budget);
  const proseRoute = routeKind !== 'mcp';
  const walk = (value: unknown, pointer: string, depth: number): void => {
    if (depth > 64) return;
    if (typeof value === 'string') {
      add('body', `body:${pointer}`, value, false);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) walk(value[i], `${pointer}/${i}`, depth + 1);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        const child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (depth === 0 && proseRoute && MESSAGE_FIELDS.has(key)) {
          if (options.inspectMessages) collectText(item, true, key === 'system' || key === 'instructions' ? false : USER_TEXT_FIELDS.has(key), 0);
          else if (options.userMessages && USER_TEXT_FIELDS.has(key)) collectText(item, false, true, 0);
          continue;
        }
        add('body-key', `body:${child}`, key, false);
        walk(item, child, depth + 1);
      }
    }
  };
  /**
   * The text in a message field: strings, parts' `text`/`content`, messages' `content`. A message's role decides
   * whether a user wrote it; `all` collects text of every role (inspectMessages), otherwise only a user's.
   */
  const collectText = (value: unknown, all: boolean, fromUser: boolean, depth: number): void => {
    if (depth > 16) return;
    if (typeof value === 'string') {
      if (all || fromUser) add('message', 'message', value, false, fromUser);
    } else if (Array.isArray(value)) {
      for (const item of value) collectText(item, all, fromUser, depth + 1);
    } else if (typeof value === 'object' && value !== null) {
      const o = value as Record<string, unknown>;
      const role = typeof o.role === 'string' ? o.role : undefined;
      const user = role === undefined ? fromUser : role === 'user';
      for (const key of ['content', 'text', 'input_text', 'output']) if (key in o) collectText(o[key], all, user, depth + 1);
      if (all) for (const key of ['description', 'parameters', 'input_schema', 'json_schema', 'schema', 'properties', 'function', 'format']) if (key in o) collectText(o[key], all, false, depth + 1);
    }
  };
  walk(body, '', 0);
  return targets;
}

/** Head and body together: the whole request at once (tests, the corpus). */
export function collectTargets(req: WafRequest, options: TargetOptions): CollectedTargets {
  const budget = new TargetBudget(options);
  const targets = [...collectHeadTargets(req, options, budget), ...collectBodyTargets(req.body, req.routeKind, options, budget)];
  return { targets, valuesOverLimit: budget.valuesOverLimit };
}

/** A header's value as one string (Node gives the few it does not join, such as set-cookie, as an array). */
function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** A name as it appears in a target's label: bounded, and without control characters that would break a log line. */
function labelPart(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}
