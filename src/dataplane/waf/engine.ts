import { type CompiledCustomRule, compileCustomRule, type WafCustomRule } from './custom-rules';
import { commandForm, compressSpaces, htmlDecode, percentDecode, pathForm, resolveDotSegments, sqlForm } from './normalize';
import { cmdiRules } from './rules/cmdi';
import { promptInjectionRules } from './rules/prompt-injection';
import { PROTOCOL_REQUEST_RULES, protocolRules } from './rules/protocol';
import type { ValueRule, ViewName, WafFamily } from './rules/rule';
import { sqliRules } from './rules/sqli';
import { traversalRules } from './rules/traversal';
import { xssRules } from './rules/xss';
import type { BlockList } from 'net';
import { blockListOf, clientAddress, inBlockList, WAF_DEFAULT_ANOMALY_THRESHOLD } from '../../specs/waf';
import { collectBodyTargets, collectHeadTargets, type Target, TargetBudget, type TargetOptions, type WafRequest, type WafRequestHead, type WafRouteKind } from './targets';

/**
 * The WAF's inspection engine: compiled once per configuration (at load), then `inspect(request)` per request, a
 * pure function of the request.
 *
 * Approach. Each built-in rule re-expresses what one or more rules of the OWASP Core Rule Set look for (their ids
 * are in each rule's `crs`; CRS commit 2cbd1d019cb7c85319ba4d9102a382c9de7a8e53, v4.29.0-dev), as a
 * pattern run on one normalized form of each inspected value: CRS's transformation pipeline (URL-decoding,
 * overlong UTF-8, HTML entities, comment removal, command-line folding) is done once per value in normalize.ts,
 * and the families then look for syntax that a value only has when it is an attack in that language (a quote that
 * ends the string followed by `or`, an element with an event handler, `../`, a command after `;`). No rule is
 * copied from CRS, whose expressions are generated from word lists for PCRE and backtrack.
 *
 * Scoring is CRS's anomaly scoring: each matching rule adds its score (5 for a critical rule) once per request,
 * and the request is to be blocked when the total reaches the threshold (5: any critical match) or a custom rule
 * with action `block` matches. What a route does with that (block, detect) is the caller's.
 *
 * Cost. A value of the request line, headers or cookies is cut at `maxValueChars` (8 KiB; reaching it is a protocol
 * match); a request yields at most `maxValues` values and `maxDataChars` characters of them (more is a protocol
 * match, so padding cannot hide an attack past the limit), and at most `maxMessageChars` of message text is read; every pattern is linear in its input (see rules/rule.ts),
 * so a request's cost is bounded whatever it holds.
 */
export interface WafEngineOptions {
  /** Families on or off; those left out are on, except prompt-injection, which is off unless set. */
  readonly families?: Partial<Record<WafFamily, boolean>>;
  /** Whether SQLi/XSS/traversal/command rules also read message text on model and agent routes. @default false */
  readonly inspectMessages?: boolean;
  readonly customRules?: readonly WafCustomRule[];
  /** The anomaly score at which a request is to be blocked. @default 5 */
  readonly anomalyThreshold?: number;
  /** Characters read of each value of the request line, headers and cookies (one that reaches it is a protocol match). @default 8192 */
  readonly maxValueChars?: number;
  /** Values read of a request (query parameters, headers, cookies, body strings but message text). @default 1024 */
  readonly maxValues?: number;
  /**
   * Characters read of those values together: a request with more is a protocol match, as it cannot be inspected
   * whole within the time a request may take (non-message fields of an API request are rarely over 1 KiB). @default 32768
   */
  readonly maxDataChars?: number;
  /** Characters of message text read (prompt injection, inspectMessages); text past it is not read. @default 65536 */
  readonly maxMessageChars?: number;
  /** Headers a request may have. @default 100 */
  readonly maxHeaders?: number;
  /** Characters a header value may have. @default 8192 */
  readonly maxHeaderChars?: number;
  /** Methods served; any other is a protocol match (TRACE, TRACK, CONNECT, DEBUG, …). */
  readonly allowedMethods?: readonly string[];
  /** Clients whose address is in these CIDR blocks match `ip-deny` (a critical score). @default [] */
  readonly ipDenyList?: readonly string[];
  /** Peers from which the client is read from X-Forwarded-For (for ipDenyList). @default [] */
  readonly trustedProxies?: readonly string[];
}

export type WafMatchFamily = WafFamily | 'custom' | 'ip';

export interface WafMatch {
  /** '<family>-<n>' for a built-in rule, 'custom:<name>' for an operator's. */
  readonly rule: string;
  readonly family: WafMatchFamily;
  /** Where: 'method', 'path', 'query:<name>', 'header:<name>', 'cookie:<name>', 'body:<json pointer>' or 'message'. */
  readonly target: string;
  readonly score: number;
  readonly action: 'block' | 'log';
}

export interface WafInspection {
  /** Each rule that matched, once, with the first place it matched. */
  readonly matches: WafMatch[];
  readonly anomalyScore: number;
  /** Whether the request is to be refused in block mode. */
  readonly block: boolean;
}

/** A built-in rule as documented: id, family and the CRS rules it follows. */
export interface WafRuleInfo {
  readonly id: string;
  readonly family: WafFamily;
  readonly crs: readonly string[];
}

/** A request under inspection: its head is inspected; its body may follow, then the result. */
export interface WafScan {
  body(body: unknown, routeKind: WafRouteKind): WafScan;
  result(): WafInspection;
}

export interface WafEngine {
  /** Whether any rule reads the body: when none does, the caller need not hand it over. */
  readonly readsBody: boolean;
  /** The request line, headers and cookies (and the client's address, for the IP deny list), before the body is read. */
  inspectHead(head: WafRequestHead): WafScan;
  /** A whole request at once (the corpus tests, the bench). */
  inspect(request: WafRequest): WafInspection;
}

/** The rule id of a client in the IP deny list. */
export const IP_DENY_RULE = 'ip-deny';

const DEFAULT_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

const VALUE_RULES: readonly ValueRule[] = [...sqliRules, ...xssRules, ...traversalRules, ...cmdiRules, ...protocolRules, ...promptInjectionRules];

/** Every built-in rule, for documentation and for the pattern tests. */
export function builtInRules(): ReadonlyArray<WafRuleInfo & { readonly pattern?: RegExp }> {
  return [
    ...VALUE_RULES.map(({ id, family, crs, pattern }) => ({ id, family, crs, pattern })),
    ...Object.values(PROTOCOL_REQUEST_RULES).map(({ id, crs }) => ({ id, family: 'protocol' as const, crs })),
  ];
}

/**
 * The engine for one configuration. Throws when a custom rule does not compile (the message names the rule): the
 * caller turns that into a config or synth error.
 */
export function compileWaf(options: WafEngineOptions = {}): WafEngine {
  const on = (f: WafFamily) => options.families?.[f] ?? f !== 'prompt-injection';
  const custom: CompiledCustomRule[] = (options.customRules ?? []).map((rule, i) => {
    const compiled = compileCustomRule(rule, i);
    if (compiled instanceof Error) throw compiled;
    return compiled;
  });
  const methods = new Set((options.allowedMethods ?? DEFAULT_METHODS).map((m) => m.toUpperCase()));
  const deny = options.ipDenyList && options.ipDenyList.length > 0 ? blockListOf(options.ipDenyList) : undefined;
  const trusted = options.trustedProxies && options.trustedProxies.length > 0 ? blockListOf(options.trustedProxies) : undefined;
  const settings: Settings = {
    rules: VALUE_RULES.filter((r) => on(r.family)),
    custom,
    threshold: options.anomalyThreshold ?? WAF_DEFAULT_ANOMALY_THRESHOLD,
    protocolOn: on('protocol'),
    traversalOn: on('traversal'),
    maxHeaders: options.maxHeaders ?? 100,
    maxHeaderChars: options.maxHeaderChars ?? 8192,
    methods,
    targets: {
      inspectMessages: options.inspectMessages ?? false,
      userMessages: on('prompt-injection'),
      maxValueChars: options.maxValueChars ?? 8192,
      maxValues: options.maxValues ?? 1024,
      maxDataChars: options.maxDataChars ?? 32_768,
      maxMessageChars: options.maxMessageChars ?? 65_536,
      customHeaders: (options.customRules ?? []).flatMap((r) => (r.target === 'header' && r.header ? [r.header.toLowerCase()] : [])),
    },
    deny: deny && { list: deny, trusted },
  };
  const readsBody = settings.rules.some((r) => r.kinds.includes('body') || r.kinds.includes('body-key') || r.kinds.includes('message')) || (options.customRules ?? []).some((r) => r.target === 'body');

  return {
    readsBody,
    inspectHead: (head) => new Scan(settings).head(head),
    inspect(request) {
      const scan = new Scan(settings).head(request);
      return scan.body(request.body, request.routeKind).result();
    },
  };
}

interface Settings {
  readonly rules: readonly ValueRule[];
  readonly custom: readonly CompiledCustomRule[];
  readonly threshold: number;
  readonly protocolOn: boolean;
  readonly traversalOn: boolean;
  readonly maxHeaders: number;
  readonly maxHeaderChars: number;
  readonly methods: ReadonlySet<string>;
  readonly targets: TargetOptions;
  readonly deny: { readonly list: BlockList; readonly trusted: BlockList | undefined } | undefined;
}

/** One request's inspection: its head first, then (once read) its body, matches and budget carried between them. */
class Scan implements WafScan {
  private readonly matches: WafMatch[] = [];
  private readonly matched = new Set<string>();
  private readonly budget: TargetBudget;
  private score = 0;

  constructor(private readonly s: Settings) {
    this.budget = new TargetBudget(s.targets);
  }

  head(request: WafRequestHead): this {
    const { s } = this;
    if (s.deny && request.remoteAddress !== undefined) {
      const forwarded = request.headers['x-forwarded-for'];
      const client = clientAddress(request.remoteAddress, Array.isArray(forwarded) ? forwarded.join(',') : forwarded, s.deny.trusted);
      if (inBlockList(s.deny.list, client)) this.record(IP_DENY_RULE, 'ip', 'client', s.threshold);
    }
    if (s.protocolOn) {
      const R = PROTOCOL_REQUEST_RULES;
      if (!s.methods.has(request.method.toUpperCase())) this.record(R.method.id, 'protocol', 'method', 5);
      const headerNames = Object.keys(request.headers);
      if (headerNames.length > s.maxHeaders) this.record(R.headerCount.id, 'protocol', 'headers', 5);
      for (const name of headerNames) {
        const value = request.headers[name];
        const chars = typeof value === 'string' ? value.length : Array.isArray(value) ? value.join(', ').length : 0;
        if (chars > s.maxHeaderChars) {
          this.record(R.headerSize.id, 'protocol', `header:${name.slice(0, 64)}`, 5);
          break;
        }
      }
    }
    this.run(collectHeadTargets(request, s.targets, this.budget));
    return this;
  }

  body(body: unknown, routeKind: WafRouteKind): this {
    this.run(collectBodyTargets(body, routeKind, this.s.targets, this.budget));
    return this;
  }

  result(): WafInspection {
    const { s } = this;
    if (s.protocolOn && this.budget.valuesOverLimit > 0) this.record(PROTOCOL_REQUEST_RULES.valueCount.id, 'protocol', 'request', 5);
    const block = this.score >= s.threshold || this.matches.some((m) => m.family === 'custom' && m.action === 'block');
    return { matches: this.matches, anomalyScore: this.score, block };
  }

  private record(rule: string, family: WafMatchFamily, target: string, score: number, action: 'block' | 'log' = 'block'): void {
    if (this.matched.has(rule)) return;
    this.matched.add(rule);
    this.matches.push({ rule, family, target, score, action });
    this.score += score;
  }

  private run(targets: readonly Target[]): void {
    const { s } = this;
    const inspectMessages = s.targets.inspectMessages;
    for (const target of targets) {
      if (target.kind === 'method') continue;
      if (s.protocolOn && target.kind !== 'body' && target.kind !== 'message' && target.raw.length >= s.targets.maxValueChars) {
        this.record(PROTOCOL_REQUEST_RULES.valueSize.id, 'protocol', target.label, 5);
      }
      const views = new Views(target);
      for (const rule of s.rules) {
        if (this.matched.has(rule.id) || !rule.kinds.includes(target.kind)) continue;
        // Message text is read by the prompt-injection family (a user's only) and, when the route opts in, by the others.
        if (target.kind === 'message' && (rule.family === 'prompt-injection' ? !target.fromUser : !inspectMessages)) continue;
        if (rule.pattern.test(views.get(rule.view))) this.record(rule.id, rule.family, target.label, rule.score);
      }
      if (target.kind === 'path' && s.traversalOn && resolveDotSegments(views.get('path')).escapesRoot) this.record('traversal-2', 'traversal', target.label, 5);
      for (const rule of s.custom) {
        if (target.kind === 'message' && !inspectMessages) continue;
        if (rule.reads(target) && rule.matches(views.caseKept())) {
          this.record(`custom:${rule.name}`, 'custom', target.label, rule.action === 'block' ? s.threshold : 0, rule.action);
        }
      }
    }
  }
}

/** The forms of one value, each computed the first time a rule asks for it. */
class Views {
  private readonly cache = new Map<ViewName, string>();
  private caseKeptForm?: string;
  constructor(private readonly target: Target) {}

  get(view: ViewName): string {
    let form = this.cache.get(view);
    if (form === undefined) {
      form = this.compute(view);
      this.cache.set(view, form);
    }
    return form;
  }

  /** The decoded value with its case: what a custom rule reads (an operator may match case-sensitively). */
  caseKept(): string {
    if (this.caseKeptForm === undefined) {
      const t = this.target;
      this.caseKeptForm = t.kind === 'message' ? t.raw : percentDecode(t.raw, t.kind === 'query' || t.kind === 'query-name');
    }
    return this.caseKeptForm;
  }

  private compute(view: ViewName): string {
    const decoded = this.target.decoded;
    switch (view) {
      case 'raw':
        return this.target.raw.toLowerCase();
      case 'decoded':
        return decoded;
      case 'sql':
        return sqlForm(decoded);
      case 'html':
        return htmlDecode(decoded).toLowerCase();
      case 'path':
        return pathForm(decoded);
      case 'command':
        return commandForm(decoded);
      case 'prose':
        return compressSpaces(decoded);
    }
  }
}
