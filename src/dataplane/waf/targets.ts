import { fold, percentDecode } from './normalize';
import { WAF_UNREAD_HEADERS } from '../../specs/waf';

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

/** Headers a custom rule's `header` is never read from: credentials, and `cookie` (whose values are read one by one). */
const SECRET_HEADERS = new Set([...WAF_UNREAD_HEADERS, 'cookie']);

/**
 * The headers whose values are inspected. Credentials (authorization, x-api-key, api-key, cookies' names) are never
 * read; `x-stainless-*` and the protocol headers are SDK and transport metadata whose values no application acts on.
 */
const INSPECTED_HEADERS = ['user-agent', 'referer', 'x-forwarded-for', 'x-real-ip', 'forwarded', 'origin', 'x-original-url', 'x-rewrite-url', 'x-forwarded-host'];

/**
 * Body fields of model and agent requests that carry text written for a model, not for an application: read only
 * as message text. `text` is the Responses API's output format (like `response_format`); `stop` and `stop_sequences`
 * (`"\nUser:"`), `prediction` (predicted outputs: code) and vLLM's `guided_*` (grammars, regexes) are text the model
 * matches or produces.
 */
const MESSAGE_FIELDS = new Set([
  'messages',
  'system',
  'input',
  'instructions',
  'prompt',
  'tools',
  'functions',
  'response_format',
  'text',
  'tool_choice',
  'suffix',
  'stop',
  'stop_sequences',
  'prediction',
  'guided_json',
  'guided_regex',
  'guided_choice',
  'guided_grammar',
]);

/** On agent routes, also the native agents' message fields: Dify's `query` (the user's message) and `inputs` (its prompt variables). */
const AGENT_MESSAGE_FIELDS = new Set([...MESSAGE_FIELDS, 'query', 'inputs']);

/** Fields of a body that hold message text a user wrote (as against schemas and formats). */
const USER_TEXT_FIELDS = new Set(['messages', 'input', 'prompt', 'suffix', 'query', 'inputs']);

/**
 * Message fields that may be objects, and which of their members are data all the same: Model Studio's `input` holds
 * the user's `prompt` and `messages` (and a custom agent's `input`, LangServe's, its question and context), but also
 * `session_id`, `memory_id` and the app's `biz_params`, which the application acts on. Dify's `inputs` are its prompt
 * variables (a workflow app's only text): all message text.
 */
const DATA_MEMBERS: Readonly<Record<'input' | 'inputs', ReadonlySet<string>>> = { input: new Set(['session_id', 'memory_id', 'biz_params']), inputs: new Set() };

/** Containers nested deeper than this in a body are not walked: the request counts as over the limit (a protocol match). */
const MAX_BODY_DEPTH = 64;

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

/**
 * (worst-case) Pieces of message text read at the most: each costs at least this fraction of the message budget.
 * Every rule runs on each piece, so a piece has a fixed cost, and 65,536 one-character messages must not cost 65,536
 * inspections. 256 is as many as a long conversation has; text past the budget is not read, as a long message's is not.
 */
const MAX_MESSAGE_PIECES = 256;

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
      budget.messageChars -= Math.max(value.length, options.maxMessageChars / MAX_MESSAGE_PIECES);
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
    let position = 0;
    for (const pair of req.rawPath.slice(q + 1).split('&')) {
      if (pair === '') continue;
      position++;
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      const name = nameToken(rawName, position);
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
    let position = 0;
    for (const crumb of cookie.split(';')) {
      position++;
      const eq = crumb.indexOf('=');
      const name = nameToken(eq === -1 ? '' : crumb.slice(0, eq).trim(), position);
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
  // (worst-case) Once the data budget is spent, what is left is counted, not read: without labels, and only its first
  // maxValues entries (a 10 MiB body of tiny entries would otherwise cost its size in labels, keys and visits).
  const dataSpent = () => budget.values <= 0 || budget.dataChars <= 0;
  let entriesCounted = 0;
  const countedEnough = () => entriesCounted >= options.maxValues;
  const messageFields = routeKind === 'agent' ? AGENT_MESSAGE_FIELDS : MESSAGE_FIELDS;
  const collectMessageField = (key: string, item: unknown): void => {
    if (isPlainObject(item) && (key === 'input' || key === 'inputs')) return collectObjectField(key, item);
    if (options.inspectMessages) collectText(item, true, key === 'system' || key === 'instructions' ? false : USER_TEXT_FIELDS.has(key), 0);
    else if (options.userMessages && USER_TEXT_FIELDS.has(key)) collectText(item, false, true, 0);
  };
  /** A message field that is an object: its members as a user's text, but its DATA_MEMBERS as data. */
  const collectObjectField = (key: 'input' | 'inputs', object: Record<string, unknown>): void => {
    let position = 0;
    for (const member of Object.keys(object)) {
      position++;
      const item = object[member];
      if (!DATA_MEMBERS[key].has(member)) {
        collectMessageField('prompt', item);
      } else if (!dataSpent()) {
        const child = `/${key}/${nameToken(member, position)}`;
        add('body-key', `body:${child}`, member, false);
        walk(item, child, 2);
      }
    }
  };
  const walk = (value: unknown, pointer: string, depth: number): void => {
    // Deeper than any API body goes: not read, and counted, so that nesting cannot hide a value (JSON may nest to limits.maxJsonDepth).
    if (depth > MAX_BODY_DEPTH) {
      budget.valuesOverLimit++;
      return;
    }
    const spent = dataSpent();
    if (spent) entriesCounted++;
    if (typeof value === 'string') {
      add('body', spent ? '' : `body:${pointer}`, value, false);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length && !countedEnough(); i++) walk(value[i], dataSpent() ? '' : `${pointer}/${i}`, depth + 1);
    } else if (typeof value === 'object' && value !== null) {
      const messageFieldsLeft = depth === 0 && proseRoute ? new Set(messageFields) : undefined;
      const object = value as Record<string, unknown>;
      let position = 0;
      for (const key of Object.keys(object)) {
        position++;
        const item = object[key];
        if (messageFieldsLeft?.delete(key)) {
          collectMessageField(key, item);
          continue;
        }
        if (countedEnough()) break;
        if (dataSpent()) {
          add('body-key', '', key, false);
          walk(item, '', depth + 1);
          continue;
        }
        const child = `${pointer}/${nameToken(key, position)}`;
        add('body-key', `body:${child}`, key, false);
        walk(item, child, depth + 1);
      }
      // The top level's message fields past where counting stopped are still read (their budget is their own).
      for (const name of messageFieldsLeft ?? []) if (Object.prototype.hasOwnProperty.call(object, name)) collectMessageField(name, object[name]);
    }
  };
  /**
   * The text in a message field: strings, parts' `text`/`content`, messages' `content`. A message's role decides
   * whether a user wrote it; `all` collects text of every role (inspectMessages), otherwise only a user's.
   */
  const collectText = (value: unknown, all: boolean, fromUser: boolean, depth: number): void => {
    // (worst-case) Nothing more is read once the message budget is spent: 65,536 messages are not walked one by one.
    if (depth > 16 || budget.messageChars <= 0) return;
    if (typeof value === 'string') {
      if (all || fromUser) add('message', 'message', value, false, fromUser);
    } else if (Array.isArray(value)) {
      // A conversation newest message first: when it is longer than the budget, what goes unread is its oldest turns,
      // never the message just written. A message's own parts in order.
      const newestFirst = depth === 0;
      for (let n = 0; n < value.length; n++) {
        if (budget.messageChars <= 0) break;
        collectText(value[newestFirst ? value.length - 1 - n : n], all, fromUser, depth + 1);
      }
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

/**
 * A name as a label shows it: itself when it is a plain identifier (letters, digits, `_ . - : @`, at most 64), else
 * `#<position>` (its place among its siblings, from 1), so that an attack written in a parameter, cookie or key name is
 * never copied into a log line. A JSON pointer token needs no escaping then (`~` and `/` are not plain).
 */
function nameToken(name: string, position: number): string {
  return PLAIN_NAME.test(name) ? name : `#${position}`;
}

const PLAIN_NAME = /^[A-Za-z0-9_.:@-]{1,64}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A header's value as one string (Node gives the few it does not join, such as set-cookie, as an array). */
function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
