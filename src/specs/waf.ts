import { BlockList, isIP } from 'net';
import { RE2JS } from 're2js';
import { z } from 'zod';

/**
 * The WAF's part of the config contract: the gateway's `waf` and a route's `waf` override, with the checks the
 * constructs (at synth) and the data plane (at load) both apply: CIDR blocks, and custom patterns RE2 can compile.
 */

/** The built-in rule families, as the config switches them (`rules`), and the engine's name for each. */
export const WAF_RULE_FAMILIES = {
  sqlInjection: 'sqli',
  xss: 'xss',
  pathTraversal: 'traversal',
  commandInjection: 'cmdi',
  protocol: 'protocol',
  promptInjection: 'prompt-injection',
} as const;

export type WafRuleSwitch = keyof typeof WAF_RULE_FAMILIES;

/** The anomaly score a request must reach to be blocked: 5, one critical match, as the OWASP Core Rule Set's default. */
export const WAF_DEFAULT_ANOMALY_THRESHOLD = 5;
/** Entries of `ipDenyList` and of `trustedProxies`, each. */
export const WAF_MAX_CIDRS = 10_000;
/** A custom rule's pattern, in characters. */
export const WAF_MAX_PATTERN_CHARS = 1024;

/** Why a CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or address (`203.0.113.7`) is not one, or undefined when it is. */
export function cidrProblem(value: string): string | undefined {
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return 'is not an IPv4 or IPv6 address (write e.g. "10.0.0.0/8", "2001:db8::/32" or "203.0.113.7")';
  if (slash < 0) return undefined;
  const bits = value.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `has a prefix length that is not a whole number from 0 to ${max}`;
  return undefined;
}

/** A Node BlockList of CIDR blocks and addresses that cidrProblem accepts. */
export function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    list.addSubnet(address, bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits), type);
  }
  return list;
}

/** Whether an address is in the list ('' and non-addresses never are). */
export function inBlockList(list: BlockList | undefined, address: string): boolean {
  if (list === undefined) return false;
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** An X-Forwarded-For entry as an address: without a port (`1.2.3.4:5678`, `[::1]:80`) or brackets; '' when it is none. */
function forwardedAddress(entry: string): string {
  let a = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(a)) a = a.slice(0, a.indexOf(':'));
  return isIP(a) !== 0 ? a : '';
}

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then, walking X-Forwarded-For from the right
 * (the entry the trusted proxy added), the first address that is not a trusted proxy (or the left-most, when all
 * are). '' when the entry found is not an address (a broken proxy): such a client matches no block.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: BlockList | undefined): string {
  if (!inBlockList(trusted, peer) || !forwardedFor) return peer;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const address = forwardedAddress(hops[i]);
    if (address === '' || !inBlockList(trusted, address) || i === 0) return address;
  }
  return peer;
}

/**
 * Why a custom rule's pattern is not one the data plane runs, or undefined when it is. Patterns run on client input
 * in the request path, so they are RE2 (re2js), which matches in linear time: back-references, lookahead and
 * lookbehind are refused.
 */
export function wafPatternProblem(pattern: string): string | undefined {
  if (pattern.length > WAF_MAX_PATTERN_CHARS) return `is ${pattern.length} characters, more than the limit of ${WAF_MAX_PATTERN_CHARS}: split it into several rules`;
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (e) {
    return (
      `is not a regular expression RE2 accepts (${(e as Error).message}). WAF patterns use RE2 syntax, which matches in linear time: ` +
      'no back-references (\\1), lookahead or lookbehind ((?=, (?!, (?<=, (?<!); rewrite it without them (e.g. list the alternatives)'
    );
  }
}

const cidr = z.string().superRefine((value, ctx) => {
  const reason = cidrProblem(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});
const cidrs = z.array(cidr).max(WAF_MAX_CIDRS, `must have at most ${WAF_MAX_CIDRS} entries`);

const anomalyThreshold = z.int().min(1).max(1_000);

/** Every family switched; protocol anomalies were added later, so they are optional (on). */
const WafRules = z.strictObject({
  sqlInjection: z.boolean(),
  xss: z.boolean(),
  pathTraversal: z.boolean(),
  commandInjection: z.boolean(),
  promptInjection: z.boolean(),
  /** Forbidden methods, header and value sizes, malformed encodings, control characters. @default true */
  protocol: z.boolean().optional(),
});

/** Headers that carry credentials: the WAF never reads them, so a custom rule may not name one (it would never match). */
export const WAF_UNREAD_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'x-api-key', 'api-key'];

export const WafCustomRuleSchema = z.strictObject({
  name: z.string().min(1).max(253).regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, 'must start with a letter or digit and use only A-Z a-z 0-9 . _ : / @ -'),
  /** Where the pattern is looked for. */
  target: z.enum(['path', 'query', 'header', 'body']),
  /** `target: 'header'` only: the header read (`cookie` for cookie values); without it every inspected header and cookie. */
  header: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name')
    .refine((h) => !WAF_UNREAD_HEADERS.includes(h.toLowerCase()), {
      message: `names a credential header, which the WAF never reads (${WAF_UNREAD_HEADERS.join(', ')}): the rule would never match. Match another header, or check keys with key auth`,
    })
    .optional(),
  /** RE2 syntax, matched on the decoded value; case-sensitive unless it starts with `(?i)`. */
  pattern: z
    .string()
    .min(1)
    .superRefine((pattern, ctx) => {
      const reason = wafPatternProblem(pattern);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    }),
  action: z.enum(['block', 'log']),
});

/** A gateway's WAF (Dedicated only): inspects every request of every route, unless a route's `waf` says otherwise. */
export const WafSchema = z.strictObject({
  mode: z.enum(['detect', 'block']),
  rules: WafRules,
  customRules: z.array(WafCustomRuleSchema).max(1_000),
  /** Clients refused on every route (a match counts as a critical rule, `ip-deny`). @default [] */
  ipDenyList: cidrs.optional(),
  /** Proxies in front of the gateway: from these, the client is read from X-Forwarded-For (for ipDenyList). @default [] */
  trustedProxies: cidrs.optional(),
  /** The anomaly score at which a request is blocked (5: any critical rule). @default 5 */
  anomalyThreshold: anomalyThreshold.optional(),
  /** On model and agent routes: also read message text with the SQLi, XSS, traversal and command rules. @default false */
  inspectMessages: z.boolean().optional(),
});

/** A route's own WAF settings over its gateway's: each field left out is the gateway's. */
export const RouteWafSchema = z.strictObject({
  /** `off`: the route is not inspected at all (the IP deny list still applies). @default - the gateway's mode */
  mode: z.enum(['off', 'detect', 'block']).optional(),
  rules: WafRules.partial().optional(),
  anomalyThreshold: anomalyThreshold.optional(),
  inspectMessages: z.boolean().optional(),
});

export type WafConfig = z.infer<typeof WafSchema>;
export type RouteWafConfig = z.infer<typeof RouteWafSchema>;
export type WafCustomRuleConfig = z.infer<typeof WafCustomRuleSchema>;
