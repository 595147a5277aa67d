import type { Logger } from 'pino';
import type { GatewayConfig } from '../specs';

/**
 * Parts of the config contract this data plane does not serve yet ("declared means served": each
 * is at least refused loudly). When a later issue serves one, it deletes its line here, and its
 * warning and gauge series go with it.
 */
export const UNSERVED_FIELDS = {
  'mcpServers': {
    // Streamable HTTP sessions are served by every replica; the legacy transport's streams are shared through `redis`, without it each replica's own.
    isSet: (c: GatewayConfig) => c.mcpServers.length > 0 && c.redis === undefined,
    effect:
      "without redis, the legacy HTTP+SSE transport (<path>/sse) is served per replica: a message POSTed to another replica than the one holding its stream gets 404; set redis to share the streams across replicas, or have clients behind a load balancer without affinity use Streamable HTTP at the server's path",
  },
  'mcp.sessionKey': {
    // Not a field that is set: one that is missing while MCP servers exist, which changes what they do.
    isSet: (c: GatewayConfig) => c.mcpServers.length > 0 && c.mcp === undefined,
    effect:
      'MCP session ids are sealed with a random key of this replica alone: another replica (or this one after a restart) answers 404 to them and the client must initialize again; set mcp.sessionKey to a Secret every replica reads',
  },
  'backends[].responses': {
    // Stored Responses API responses: whose each is, and which backend keeps it, is recorded in redis, or per replica without it.
    isSet: (c: GatewayConfig) => c.redis === undefined && c.backends.some((b) => b.provider === 'openai' || b.provider === 'azure-openai'),
    effect:
      'without redis, whose each stored Responses API response is (and which backend keeps it) is recorded by the replica that relayed it, the last 100,000: with more than one replica, a call by id (GET /v1/responses/{id}, previous_response_id) that lands on another replica answers 404 / 400; set redis to share the records',
  },
  'acceleration.compression': {
    // TLS offload is served (acceleration/): detected at start, with its fallback. QATzip has no Node binding to call.
    isSet: (c: GatewayConfig) => c.acceleration.compression.enabled,
    effect:
      'QAT compression is not used: this data plane has no QATzip path, so compression runs in software (fallback software), or the replica stays not ready (fallback fail); aigw_acceleration_mode{feature="compression"} says which',
  },
  'serviceSources[].kubeconfig': {
    isSet: (c: GatewayConfig) => c.serviceSources.some((s) => s.kind === 'kubeconfig'),
    effect: 'services are not discovered from another cluster: upstreams are reached by their base URL only',
  },
  'services[].addresses': {
    isSet: (c: GatewayConfig) => c.services.some((s) => s.kind === 'static' && s.addresses.length > 1),
    effect: 'a static service is reached at its first address only: the others get no traffic',
  },
} as const satisfies Record<string, { isSet: (c: GatewayConfig) => boolean; effect: string }>;

export type UnservedField = keyof typeof UNSERVED_FIELDS;

/** The fields of `config` that are set but not served, in the list's order. */
export function unservedFields(config: GatewayConfig): UnservedField[] {
  return (Object.keys(UNSERVED_FIELDS) as UnservedField[]).filter((field) => UNSERVED_FIELDS[field].isSet(config));
}

/** What the gauge needs: `aigw_config_unserved{field}`. */
export interface UnservedGauge {
  set(labels: { field: string }, value: number): void;
}

/**
 * Says so when a config declares what is not served: one `warn` line per such field, and the gauge
 * at 1 for it (0 for every other field of the list, so a reload that drops one clears it).
 * Called once per config at load and on each applied reload, never per request.
 */
export function reportUnserved(config: GatewayConfig, logger: Logger, gauge: UnservedGauge): UnservedField[] {
  const set = unservedFields(config);
  for (const field of Object.keys(UNSERVED_FIELDS) as UnservedField[]) gauge.set({ field }, set.includes(field) ? 1 : 0);
  for (const field of set) logger.warn({ field, effect: UNSERVED_FIELDS[field].effect }, 'configured but not served yet');
  return set;
}
