import type { McpRateLimitConfig, McpServerConfig, RateLimitConfig } from '../../specs';
import { Errors, type GatewayError } from '../errors';
import type { CallLog } from './calls';
import type { Exchange } from './front';
import { errorResponse, type JsonRpcMessage, rpcCodeOf } from './jsonrpc';
import { compileLimitPlan, type LimitPlan } from '../limits/plan';

type Request = Extract<JsonRpcMessage, { kind: 'request' }>;

/**
 * An MCP server's request budgets (the config's `rateLimits`), compiled once per config snapshot onto the
 * model routes' limiter (limits/plan.ts): every JSON-RPC request counts on the server-wide rules; a
 * `tools/call` of a limited tool checks the server-wide rules and that tool's in one store call, so a call
 * refused by one budget takes nothing from the other.
 */
export interface McpLimits {
  /** The server-wide rules; undefined when it has none (its other requests then never ask the store). */
  readonly server: LimitPlan | undefined;
  /** Per limited tool: the server-wide rules and the tool's. */
  readonly tools: ReadonlyMap<string, LimitPlan>;
  readonly onRedisUnavailable: 'failOpen' | 'failClosed';
  /** The config's rule behind each compiled one, to name it (and its tool) in a refusal. */
  readonly sources: ReadonlyMap<RateLimitConfig, McpRateLimitConfig>;
}

/**
 * The counters' route part. Config names may contain `:` (a model route may be called `mcp:files`), but
 * never `%`: keyPart escapes it to `%25`, which no model route's key holds. The server name has no `%`
 * either, so the first `%25` after the prefix ends it, and a tool's counters cannot meet another server's.
 */
export const mcpLimitRoute = (server: string): string => `mcp%${server}`;
export const mcpToolLimitRoute = (server: string, tool: string): string => `mcp%${server}%tool%${tool}`;

/** The server's limits as the limiter's plans; undefined for a server without any (the hot path asks nothing). */
export function compileMcpLimits(server: McpServerConfig): McpLimits | undefined {
  const rules = server.rateLimits ?? [];
  if (rules.length === 0) return undefined;
  const sources = new Map<RateLimitConfig, McpRateLimitConfig>();
  // `consumer`: the caller's own counter on this server (the routes' consumer-route scope); `server`: one counter (route scope).
  const asRule = (r: McpRateLimitConfig): RateLimitConfig => {
    const rule: RateLimitConfig = { name: r.name, kind: 'requests', limit: r.limit, window: r.window, scope: r.scope === 'consumer' ? 'consumer-route' : 'route' };
    sources.set(rule, r);
    return rule;
  };
  const serverWide = rules.filter((r) => r.tool === undefined).map(asRule);
  const serverPlan = serverWide.length > 0 ? compileLimitPlan(mcpLimitRoute(server.name), serverWide) : undefined;
  const byTool = new Map<string, RateLimitConfig[]>();
  for (const r of rules) {
    if (r.tool !== undefined) byTool.set(r.tool, [...(byTool.get(r.tool) ?? []), asRule(r)]);
  }
  const tools = new Map<string, LimitPlan>();
  for (const [tool, toolRules] of byTool) {
    const own = compileLimitPlan(mcpToolLimitRoute(server.name, tool), toolRules);
    tools.set(tool, {
      route: own.route,
      rules: [...(serverPlan?.rules ?? []), ...own.rules],
      counters: [...(serverPlan?.counters ?? []), ...own.counters],
    });
  }
  return { server: serverPlan, tools, onRedisUnavailable: server.onRedisUnavailable ?? 'failOpen', sources };
}

/** The plan a request is checked against: undefined when no limit counts it. */
export function planFor(limits: McpLimits | undefined, m: Request, tool: string | undefined): LimitPlan | undefined {
  if (!limits) return undefined;
  return (m.method === 'tools/call' && tool !== undefined ? limits.tools.get(tool) : undefined) ?? limits.server;
}

/** The catalog error behind each refusal the limits answered, for the front that may turn a lone one into its HTTP status. */
const refusals = new WeakMap<object, GatewayError>();

/** The catalog error (429 or 503, with its headers) behind an answer `admitLimited` refused with; undefined for any other. */
export function limitRefusalOf(answer: object | undefined): GatewayError | undefined {
  return answer === undefined ? undefined : refusals.get(answer);
}

/**
 * The HTTP status and headers of a POST whose one message the gateway answered itself: a limit's
 * refusal is its 429 (with Retry-After) or 503, as the model routes answer; any other answer is 200.
 */
export function statusOfAnswer(answer: object | undefined): { readonly status: number; readonly headers: Record<string, string> } {
  const refusal = limitRefusalOf(answer);
  return refusal ? { status: refusal.status, headers: refusal.headers } : { status: 200, headers: {} };
}

/**
 * Counts the request on `plan`: undefined when admitted (its accounting opened in `calls`), else the
 * JSON-RPC error answer the client gets, accounted as `limited`; it is never forwarded.
 */
export async function admitLimited(
  x: Exchange,
  m: Request,
  calls: CallLog,
  limits: McpLimits,
  plan: LimitPlan,
  tool: string | undefined,
): Promise<Record<string, unknown> | undefined> {
  const admission = await x.deps.limiter.admit({ plan, consumer: x.consumer.name, tokenEstimate: 1, onRedisUnavailable: limits.onRedisUnavailable });
  if (admission.kind === 'allowed') {
    calls.request(m.id, m.method, tool);
    return undefined;
  }
  const error =
    admission.kind === 'limited'
      ? Errors.mcpRateLimited(x.route.name, x.consumer.name, limits.sources.get(admission.rule)!, admission.retryAfterSeconds, admission.headers)
      : Errors.mcpLimitsUnavailable(x.route.name);
  const code = rpcCodeOf(error);
  calls.done(m.method, 'limited', tool, code);
  // A store that does not answer gives no time to wait: the data then says nothing of it (never `null`).
  const retryAfter = error.headers['retry-after'];
  const data = { code: error.code, ...(retryAfter !== undefined && { retryAfterSeconds: Number(retryAfter) }) };
  const answer = errorResponse(m.id, { code, message: error.message, data });
  refusals.set(answer, error);
  return answer;
}
