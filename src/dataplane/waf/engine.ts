import type { BlockList } from 'net';
import { type CompiledCustomRule, compileCustomRule, type WafCustomRule } from './custom-rules';
import { commandForm, compressSpaces, htmlDecode, percentDecode, pathForm, resolveDotSegments, sqlForm } from './normalize';
import { cmdiRules } from './rules/cmdi';
import { promptInjectionRules } from './rules/prompt-injection';
import { PROTOCOL_REQUEST_RULES, protocolRules } from './rules/protocol';
import type { ValueRule, ViewName, WafFamily } from './rules/rule';
import { sqliRules } from './rules/sqli';
import { traversalRules } from './rules/traversal';
import { xssRules } from './rules/xss';
import { collectBodyTargets, collectHeadTargets, type Target, TargetBudget, type TargetKind, type TargetOptions, type WafRequest, type WafRequestHead, type WafRouteKind } from './targets';
import { warmUp } from './warm-up';
import { blockListOf, clientAddress, inBlockList, WAF_DEFAULT_ANOMALY_THRESHOLD } from '../../specs/waf';

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
  /**
   * Whether values the built-in rules found clean are remembered (CleanValues). Off only to measure the cost of
   * inspecting a request whose values are all new (bench/waf/worst-case.ts times each request more than once).
   * @default true
   */
  readonly memoizeCleanValues?: boolean;
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

/** The alternations the engine tests first (RuleGroup), every family on and message text read: for the pattern tests. */
export function builtInRuleGroups(): ReadonlyArray<{ readonly id: string; readonly pattern: RegExp }> {
  const groups = Object.entries(rulesByKind(VALUE_RULES, true)).flatMap(([kind, of]) => of.map((g) => ({ id: `${kind}/${g.view}`, pattern: g.any })));
  return [...new Map(groups.map((g) => [g.pattern.source, g])).values()];
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
  const rules = VALUE_RULES.filter((r) => on(r.family));
  const inspectMessages = options.inspectMessages ?? false;
  const settings: Settings = {
    rules,
    byKind: rulesByKind(rules, inspectMessages),
    custom,
    threshold: options.anomalyThreshold ?? WAF_DEFAULT_ANOMALY_THRESHOLD,
    protocolOn: on('protocol'),
    traversalOn: on('traversal'),
    maxHeaders: options.maxHeaders ?? 100,
    maxHeaderChars: options.maxHeaderChars ?? 8192,
    methods,
    targets: {
      inspectMessages,
      userMessages: on('prompt-injection'),
      maxValueChars: options.maxValueChars ?? 8192,
      maxValues: options.maxValues ?? 1024,
      maxDataChars: options.maxDataChars ?? 32_768,
      maxMessageChars: options.maxMessageChars ?? 65_536,
      customHeaders: (options.customRules ?? []).flatMap((r) => (r.target === 'header' && r.header ? [r.header.toLowerCase()] : [])),
    },
    deny: deny && { list: deny, trusted },
    clean: options.memoizeCleanValues === false ? NO_CLEAN_VALUES : new CleanValues(),
  };
  const readsBody = settings.rules.some((r) => r.kinds.includes('body') || r.kinds.includes('body-key') || r.kinds.includes('message')) || (options.customRules ?? []).some((r) => r.target === 'body');

  const engine: WafEngine = {
    readsBody,
    inspectHead: (head) => new Scan(settings).head(head),
    inspect(request) {
      const scan = new Scan(settings).head(request);
      return scan.body(request.body, request.routeKind).result();
    },
  };
  // (worst-case) V8's first runs of the rules cost 20-35 ms: paid here, at load, not by the first requests (warm-up.ts).
  warmUp(engine.inspect);
  return engine;
}

/** A rule as one scan applies it: with its index, which marks it matched (each rule counts once per request). */
interface IndexedRule {
  readonly rule: ValueRule;
  readonly index: number;
}

/** The rules each kind of value is read by, worked out at compile: `message-user` is a user's message text, `message` anyone else's. */
type RuleTable = Readonly<Record<TargetKind | 'message-user', readonly RuleGroup[]>>;

/**
 * The rules a kind of value is read by that read one form of it, and one expression that matches wherever any of them
 * does (their alternation): a clean value, which most are, costs one match per form instead of one per rule. Each
 * alternative is a rule's own linear pattern, so the alternation is linear too (redos.test.ts runs these as well).
 */
interface RuleGroup {
  readonly view: ViewName;
  readonly any: RegExp;
  readonly rules: readonly IndexedRule[];
}

function groupByView(rules: readonly IndexedRule[]): RuleGroup[] {
  const views = [...new Set(rules.map(({ rule }) => rule.view))];
  return views.map((view) => {
    const of = rules.filter(({ rule }) => rule.view === view);
    return { view, any: new RegExp(of.map(({ rule }) => `(?:${rule.pattern.source})`).join('|')), rules: of };
  });
}

const TARGET_KINDS: readonly (TargetKind | 'message-user')[] = ['method', 'path', 'query', 'query-name', 'header', 'custom-header', 'cookie', 'body', 'body-key', 'message', 'message-user'];

function rulesByKind(rules: readonly ValueRule[], inspectMessages: boolean): RuleTable {
  const indexed = rules.map((rule, index) => ({ rule, index }));
  // Message text is read by the prompt-injection family (a user's only) and, when the route opts in, by the others.
  const reads = (r: ValueRule, kind: TargetKind | 'message-user'): boolean => {
    if (kind === 'message-user') return r.kinds.includes('message') && (r.family === 'prompt-injection' || inspectMessages);
    if (kind === 'message') return r.kinds.includes('message') && r.family !== 'prompt-injection' && inspectMessages;
    return r.kinds.includes(kind);
  };
  return Object.fromEntries(TARGET_KINDS.map((kind) => [kind, groupByView(indexed.filter(({ rule }) => reads(rule, kind)))])) as unknown as RuleTable;
}

interface Settings {
  readonly rules: readonly ValueRule[];
  readonly byKind: RuleTable;
  readonly custom: readonly CompiledCustomRule[];
  readonly threshold: number;
  readonly protocolOn: boolean;
  readonly traversalOn: boolean;
  readonly maxHeaders: number;
  readonly maxHeaderChars: number;
  readonly methods: ReadonlySet<string>;
  readonly targets: TargetOptions;
  readonly deny: { readonly list: BlockList; readonly trusted: BlockList | undefined } | undefined;
  readonly clean: CleanValues;
}

/**
 * Values the built-in rules found nothing in, per kind of value, for this engine's rules: most of a request's values
 * repeat across requests (the path, User-Agent, body keys, model names, an application's tags), and a value seen clean
 * is clean again (the rules are a pure function of kind and value), so it is not decoded into forms and matched again.
 * Only clean results are kept, so an attacker can only make entries miss (the normal cost); short values only, and
 * each kind's set is emptied when full, so memory is bounded (about CLEAN_MAX_ENTRIES × 11 kinds × 256 characters).
 * Custom rules, which read labels, still run on every value.
 */
class CleanValues {
  private readonly sets = new Map<TargetKind, Set<string>>();
  has(kind: TargetKind, raw: string): boolean {
    return raw.length <= CLEAN_MAX_CHARS && this.sets.get(kind)?.has(raw) === true;
  }
  add(kind: TargetKind, raw: string): void {
    if (raw.length > CLEAN_MAX_CHARS) return;
    let set = this.sets.get(kind);
    if (set === undefined) this.sets.set(kind, (set = new Set()));
    if (set.size >= CLEAN_MAX_ENTRIES) set.clear();
    set.add(raw);
  }
}

/** Remembers nothing (memoizeCleanValues: false). */
const NO_CLEAN_VALUES = { has: () => false, add: () => undefined } as unknown as CleanValues;

const CLEAN_MAX_CHARS = 256;
const CLEAN_MAX_ENTRIES = 4096;

/** One request's inspection: its head first, then (once read) its body, matches and budget carried between them. */
class Scan implements WafScan {
  private readonly matches: WafMatch[] = [];
  /** Rules other than the value rules (request-level, custom, ip-deny) that matched. */
  private readonly matched = new Set<string>();
  /** Value rules that matched, by their index in Settings.rules. */
  private readonly matchedRules: Uint8Array;
  private readonly budget: TargetBudget;
  private score = 0;

  constructor(private readonly s: Settings) {
    this.budget = new TargetBudget(s.targets);
    this.matchedRules = new Uint8Array(s.rules.length);
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
    // On even when the protocol family is off: without it, padding past the budget would hide an attack from every family.
    if (this.budget.valuesOverLimit > 0) this.record(PROTOCOL_REQUEST_RULES.valueCount.id, 'protocol', 'request', 5);
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
      const kind = target.kind;
      if (kind === 'method') continue;
      if (s.protocolOn && kind !== 'body' && kind !== 'message' && target.raw.length >= s.targets.maxValueChars) {
        this.record(PROTOCOL_REQUEST_RULES.valueSize.id, 'protocol', target.label, 5);
      }
      const views = new Views(target);
      // Message text is prose that seldom repeats: never looked up or kept.
      const memo = kind !== 'message';
      if (!memo || !s.clean.has(kind, target.raw)) {
        let clean = true;
        const groups = s.byKind[kind === 'message' && target.fromUser ? 'message-user' : kind];
        for (let g = 0; g < groups.length; g++) {
          const group = groups[g]!;
          const form = views.get(group.view);
          if (!group.any.test(form)) continue;
          clean = false;
          for (let i = 0; i < group.rules.length; i++) {
            const { rule, index } = group.rules[i]!;
            if (this.matchedRules[index] === 1) continue;
            if (rule.pattern.test(form)) {
              this.matchedRules[index] = 1;
              this.record(rule.id, rule.family, target.label, rule.score);
            }
          }
        }
        if (kind === 'path' && s.traversalOn && resolveDotSegments(views.get('path')).escapesRoot) {
          clean = false;
          this.record('traversal-2', 'traversal', target.label, 5);
        }
        if (memo && clean) s.clean.add(kind, target.raw);
      }
      if (s.custom.length === 0 || (kind === 'message' && !inspectMessages)) continue;
      for (const rule of s.custom) {
        if (rule.reads(target) && rule.matches(views.caseKept())) {
          this.record(`custom:${rule.name}`, 'custom', target.label, rule.action === 'block' ? s.threshold : 0, rule.action);
        }
      }
    }
  }
}

/** The forms of one value, each computed the first time a rule asks for it (most values are read in two or three). */
class Views {
  private raw: string | undefined;
  private sql: string | undefined;
  private html: string | undefined;
  private path: string | undefined;
  private command: string | undefined;
  private prose: string | undefined;
  private caseKeptForm?: string;
  constructor(private readonly target: Target) {}

  get(view: ViewName): string {
    const t = this.target;
    switch (view) {
      case 'decoded':
        return t.decoded;
      case 'raw':
        return (this.raw ??= t.raw.toLowerCase());
      case 'sql':
        return (this.sql ??= sqlForm(t.decoded));
      case 'html':
        return (this.html ??= htmlDecode(t.decoded).toLowerCase());
      case 'path':
        return (this.path ??= pathForm(t.decoded));
      case 'command':
        return (this.command ??= commandForm(t.decoded));
      case 'prose':
        return (this.prose ??= compressSpaces(t.decoded));
    }
  }

  /** The decoded value with its case: what a custom rule reads (an operator may match case-sensitively). */
  caseKept(): string {
    if (this.caseKeptForm === undefined) {
      const t = this.target;
      this.caseKeptForm = t.kind === 'message' ? t.raw : percentDecode(t.raw, t.kind === 'query' || t.kind === 'query-name');
    }
    return this.caseKeptForm;
  }
}
