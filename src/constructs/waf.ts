import { type GatewayConfig, type RouteWafConfig, WAF_DEFAULT_ANOMALY_THRESHOLD } from '../specs';
import { listOf } from './props-input';

/** One operator-written rule: a pattern looked for in one part of every request. */
export interface WafCustomRuleProps {
  /** Named in the metric (`rule="custom:<name>"`), the log line and a blocked request's error: a letter or digit, then `A-Z a-z 0-9 . _ : / @ -`. */
  readonly name: string;
  readonly target: 'path' | 'query' | 'header' | 'body';
  /** For `target: 'header'`: the header read (`cookie` for cookie values). @default - every inspected header and cookie */
  readonly header?: string;
  /**
   * An RE2 regular expression (linear-time: no back-references, lookahead or lookbehind), matched on the decoded
   * value, case-sensitive unless it starts with `(?i)`; at most 1024 characters. Checked at synth.
   */
  readonly pattern: string;
  /** `block`: a match alone reaches the anomaly threshold; `log`: a match is logged and counted only. @default 'block' */
  readonly action?: 'block' | 'log';
}

/** The built-in rule families, each switched on or off. */
export interface WafRuleSetProps {
  /** SQL injection. */
  readonly sqlInjection?: boolean;
  /** Cross-site scripting. */
  readonly xss?: boolean;
  /** Path traversal and local file inclusion (`../`, encoded and overlong forms, `/etc/passwd`). */
  readonly pathTraversal?: boolean;
  /** Shell command injection. */
  readonly commandInjection?: boolean;
  /**
   * Instruction-override and exfiltration patterns in user messages (model and agent routes). Off by default: such
   * phrases also appear in prompts that discuss them; turn it on with `mode: 'detect'` first.
   */
  readonly promptInjection?: boolean;
  /** Protocol anomalies: forbidden methods, header and value sizes, malformed encodings, control characters. */
  readonly protocol?: boolean;
}

export interface WafProps {
  /** `detect`: matches are logged and counted, requests go on; `block`: a request reaching the anomaly threshold gets 403. @default 'block' */
  readonly mode?: 'detect' | 'block';
  /**
   * Built-in rule sets; each one omitted is on (`{ sqlInjection: false }` turns off only that one), except prompt
   * injection, which is off unless set.
   * @default - all on but promptInjection
   */
  readonly rules?: WafRuleSetProps;
  /** @default [] */
  readonly customRules?: WafCustomRuleProps[];
  /**
   * Clients refused on every route, whatever a route's `waf` says (`off` included): CIDR blocks (`10.0.0.0/8`,
   * `2001:db8::/32`) or addresses (`203.0.113.7`), at most 10,000. A match counts as a critical rule, `ip-deny`.
   * @default []
   */
  readonly ipDenyList?: string[];
  /**
   * The proxies in front of the gateway (CIDR blocks or addresses, at most 10,000): a request from one of them is
   * judged by the client address it names in X-Forwarded-For (for `ipDenyList`), not by the proxy's.
   * @default [] - the peer's address is the client's
   */
  readonly trustedProxies?: string[];
  /**
   * The anomaly score at which a request is blocked (`mode: 'block'`), a whole number from 1 to 1000. A critical
   * rule scores 5, so 5 blocks on any critical match, as the OWASP Core Rule Set's default.
   * @default 5
   */
  readonly anomalyThreshold?: number;
  /**
   * On model and agent routes: also read message text (`messages[].content`, `input`, `prompt`) with the SQL
   * injection, XSS, traversal and command rules. Off by default: chat legitimately carries SQL, shell, HTML and code.
   * @default false
   */
  readonly inspectMessages?: boolean;
}

/**
 * A route's or MCP server's own WAF settings over its gateway's (the gateway must have a WAF): each field left out
 * is the gateway's.
 */
export interface RouteWafProps {
  /**
   * `off`: the route is not inspected (no rule family, no custom rule); the gateway's `ipDenyList` still refuses
   * its clients. `detect` or `block`: as the gateway's `mode`, for this route.
   * @default - the gateway's mode
   */
  readonly mode?: 'off' | 'detect' | 'block';
  /** Rule families switched for this route; each one left out is as the gateway has it. @default - the gateway's */
  readonly rules?: WafRuleSetProps;
  /** The anomaly score at which this route's requests are blocked, 1 to 1000. @default - the gateway's */
  readonly anomalyThreshold?: number;
  /**
   * Model and agent routes: also read message text with the SQL injection, XSS, traversal and command rules (an MCP
   * server has no message text: all of its body is inspected already).
   * @default - the gateway's
   */
  readonly inspectMessages?: boolean;
}

/** A Dedicated gateway's WAF with the defaults of WafProps and WafCustomRuleProps filled in. */
export interface ResolvedWaf {
  readonly mode: 'detect' | 'block';
  readonly rules: Required<WafRuleSetProps>;
  readonly customRules: readonly WafCustomRuleProps[];
  readonly ipDenyList: readonly string[];
  readonly trustedProxies: readonly string[];
  readonly anomalyThreshold: number;
  readonly inspectMessages: boolean;
}

type WafConfig = NonNullable<GatewayConfig['waf']>;

/** @internal The defaults of WafProps and WafCustomRuleProps (a plain-JS value of the wrong type is kept for the rules to report). */
export function resolveWaf(waf: WafProps): ResolvedWaf {
  return {
    mode: waf.mode ?? 'block',
    rules: {
      sqlInjection: waf.rules?.sqlInjection ?? true,
      xss: waf.rules?.xss ?? true,
      pathTraversal: waf.rules?.pathTraversal ?? true,
      commandInjection: waf.rules?.commandInjection ?? true,
      promptInjection: waf.rules?.promptInjection ?? false,
      protocol: waf.rules?.protocol ?? true,
    },
    customRules: listOf(waf.customRules, (r) => ({
      name: r?.name,
      target: r?.target,
      ...(r?.header !== undefined && { header: r.header }),
      pattern: r?.pattern,
      action: r?.action ?? 'block',
    })),
    ipDenyList: listOf(waf.ipDenyList, (a) => a),
    trustedProxies: listOf(waf.trustedProxies, (a) => a),
    anomalyThreshold: waf.anomalyThreshold ?? WAF_DEFAULT_ANOMALY_THRESHOLD,
    inspectMessages: waf.inspectMessages ?? false,
  };
}

/**
 * @internal The gateway's `waf` config: mode, every rule switch (protocol included) and the custom rules always; the
 * other fields only when declared, so that a config whose WAF does not use them reads as before.
 */
export function wafConfig(resolved: ResolvedWaf, declared: WafProps): WafConfig {
  return {
    mode: resolved.mode,
    rules: { ...resolved.rules },
    customRules: resolved.customRules.map((r) => ({ ...r }) as WafConfig['customRules'][number]),
    ...(declared.ipDenyList !== undefined && { ipDenyList: copyList(resolved.ipDenyList) }),
    ...(declared.trustedProxies !== undefined && { trustedProxies: copyList(resolved.trustedProxies) }),
    ...(declared.anomalyThreshold !== undefined && { anomalyThreshold: resolved.anomalyThreshold }),
    ...(declared.inspectMessages !== undefined && { inspectMessages: resolved.inspectMessages }),
  };
}

/** @internal A route's `waf` as given, copied (its defaults are the gateway's, which the data plane applies). */
export function copyRouteWaf(waf: RouteWafProps | undefined): Readonly<RouteWafProps> | undefined {
  // A plain-JS value that is not an object is kept as it is, for the route-waf rule to report.
  if (waf === null || typeof waf !== 'object') return waf;
  return { ...waf, ...(waf.rules !== null && typeof waf.rules === 'object' && { rules: { ...waf.rules } }) };
}

/** @internal A route's `waf` config: the fields given, each left out being the gateway's. */
export function routeWafConfig(waf: Readonly<RouteWafProps>): RouteWafConfig {
  if (waf === null || typeof waf !== 'object') return waf;
  return {
    ...(waf.mode !== undefined && { mode: waf.mode }),
    ...(waf.rules !== undefined && { rules: waf.rules !== null && typeof waf.rules === 'object' ? { ...waf.rules } : waf.rules }),
    ...(waf.anomalyThreshold !== undefined && { anomalyThreshold: waf.anomalyThreshold }),
    ...(waf.inspectMessages !== undefined && { inspectMessages: waf.inspectMessages }),
  };
}

/** A list as given when it is not an array (for the schema to report), else a copy. */
function copyList(list: readonly string[]): string[] {
  return Array.isArray(list) ? [...list] : (list as unknown as string[]);
}
