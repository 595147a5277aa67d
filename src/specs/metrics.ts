/**
 * The metrics contract: every metric the data plane exposes on `/metrics`, with its name, help
 * text, label names and buckets, stated once. The data plane builds its prom-client metrics from
 * this table, and the constructs' metric helpers (`gateway.metricRequests()`, `route.metricErrors()`
 * …) read the same names and labels, so a dashboard built from the helpers names series that exist.
 *
 * Names follow the OpenTelemetry GenAI semantic conventions where they fit
 * (`gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token`, `gen_ai.client.token.usage`),
 * with the gateway's own dimensions: route and consumer.
 */

/** One metric as `/metrics` lists it. */
export interface MetricSpec {
  /** The metric family's name (a histogram's samples add `_bucket`, `_sum` and `_count`). */
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  /** The labels the data plane sets per sample, besides the default labels on every series. */
  readonly labelNames: readonly string[];
  /** Upper bounds of a histogram's buckets, in the metric's unit. */
  readonly buckets?: readonly number[];
}

/** The data plane's own metrics, in the order `/metrics` lists them. */
export const METRICS = {
  requests: {
    name: 'aigw_requests_total',
    type: 'counter',
    help: 'Requests by route, consumer, requested and served model, and HTTP status',
    labelNames: ['route', 'consumer', 'gen_ai_request_model', 'gen_ai_response_model', 'status'],
  },
  errors: {
    name: 'aigw_request_errors_total',
    type: 'counter',
    help: 'Failed requests by route, consumer, requested model and error type (the OpenAI error code)',
    labelNames: ['route', 'consumer', 'gen_ai_request_model', 'error_type'],
  },
  duration: {
    name: 'gen_ai_server_request_duration_seconds',
    type: 'histogram',
    help: 'Time from request received to the last response byte',
    labelNames: ['route', 'gen_ai_request_model', 'gen_ai_provider_name'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
  },
  ttft: {
    name: 'gen_ai_server_time_to_first_token_seconds',
    type: 'histogram',
    help: 'Time from request received to the first content chunk of a streamed response',
    labelNames: ['route', 'gen_ai_request_model', 'gen_ai_provider_name'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
  },
  tokens: {
    name: 'gen_ai_client_token_usage_total',
    type: 'counter',
    help: 'Tokens by route, consumer, requested model and type (input or output), as the provider reports them',
    labelNames: ['route', 'consumer', 'gen_ai_request_model', 'gen_ai_token_type'],
  },
  connections: {
    name: 'aigw_client_connections',
    type: 'gauge',
    help: 'Open client connections on this replica',
    labelNames: [],
  },
  capacityRejections: {
    name: 'aigw_capacity_rejections_total',
    type: 'counter',
    help: 'Connections and requests refused because the replica is at its share of the spec (reason: connections or qps)',
    labelNames: ['reason'],
  },
  configReloads: {
    name: 'aigw_config_reloads_total',
    type: 'counter',
    help: 'Config reload attempts by result: applied, unchanged or rejected (the last good config keeps serving)',
    labelNames: ['result'],
  },
  rateLimitDecisions: {
    name: 'aigw_ratelimit_decisions_total',
    type: 'counter',
    help: 'Rate-limit decisions: allowed, limited, and failOpen/failClosed while Redis is unreachable or not answering (decided at once, without asking Redis)',
    labelNames: ['decision'],
  },
  rateLimitBackendErrors: {
    name: 'aigw_ratelimit_backend_errors_total',
    type: 'counter',
    help: 'Rate-limit store (Redis) errors by operation (admit, settle)',
    labelNames: ['op'],
  },
  configSwapSeconds: {
    name: 'aigw_config_swap_duration_seconds',
    type: 'histogram',
    help: 'Time to read, validate and compile a new config before it is swapped in',
    labelNames: [],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2],
  },
  heapTrims: {
    name: 'aigw_heap_trims_total',
    type: 'counter',
    help: 'Full garbage collections run while the replica was quiet (no request started since the last look, none in flight) to give unused heap back to the system',
    labelNames: [],
  },
  configUnserved: {
    name: 'aigw_config_unserved',
    type: 'gauge',
    help: 'Config fields that are set but not served by this data plane version yet (1), by field; 0 when unset',
    labelNames: ['field'],
  },
  accelerationMode: {
    name: 'aigw_acceleration_mode',
    type: 'gauge',
    help: 'How each feature that Intel QAT can offload (tls, compression) runs on this replica: 1 for its current mode, 0 for the others. qat: offloaded; software: not requested, or requested and missing with fallback software; unavailable: required (fallback fail) and missing, the replica stays not ready',
    labelNames: ['feature', 'mode'],
  },
  mcpRequests: {
    name: 'aigw_mcp_requests_total',
    type: 'counter',
    help: 'MCP JSON-RPC messages from clients by server, method (the MCP method names, else other) and result',
    labelNames: ['server', 'method', 'result'],
  },
  mcpToolCalls: {
    name: 'aigw_mcp_tool_calls_total',
    type: 'counter',
    help: 'MCP tools/call requests by server, tool (a tool the config declares, else other) and result',
    labelNames: ['server', 'tool', 'result'],
  },
  mcpToolCallDuration: {
    name: 'aigw_mcp_tool_call_duration_seconds',
    type: 'histogram',
    help: 'Time from an MCP tools/call request received to its answer, by server and tool (a tool the config declares, else other)',
    labelNames: ['server', 'tool'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  },
  mcpSessionsActive: {
    name: 'aigw_mcp_sessions_active',
    type: 'gauge',
    help: 'MCP sessions initialized on this replica minus those deleted on it (sessions survive replicas: summed over replicas it is the sessions open; one replica alone may read below zero). A proxy whose upstream speaks HTTP+SSE counts instead the sessions whose upstream stream this replica holds, until it ends for any reason (DELETE, idle, TTL, the upstream, a reload)',
    labelNames: ['server'],
  },
  extensionDuration: {
    name: 'aigw_extension_duration_seconds',
    type: 'histogram',
    help: "Time an extension's hook took, by extension and hook (an async hook over its budget is counted at its budget)",
    labelNames: ['extension', 'hook'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  },
  extensionErrors: {
    name: 'aigw_extension_errors_total',
    type: 'counter',
    help: "Extension hooks that threw, rejected or overran their time budget, by extension and hook (the extension's failPolicy decided the request)",
    labelNames: ['extension', 'hook'],
  },
  extensionBudgetOverruns: {
    name: 'aigw_extension_budget_overruns_total',
    type: 'counter',
    help: 'Extension hooks over their time budget, by extension and hook: an async hook is abandoned, a synchronous one is only measured',
    labelNames: ['extension', 'hook'],
  },
  wafMatches: {
    name: 'aigw_waf_matches_total',
    type: 'counter',
    help: "WAF rule matches by route, rule (a built-in rule's id, custom:<name>, ip-deny) and action (block: the request was refused; log: let through, in detect mode, below the anomaly threshold or by a log rule)",
    labelNames: ['route', 'rule', 'action'],
  },
  requestBodyBytes: {
    name: 'aigw_request_body_bytes_total',
    type: 'counter',
    help: "Request body bytes read off clients' connections on this replica, as sent (compressed bodies count compressed): what its share of limits.bandwidthMbps shapes",
    labelNames: [],
  },
  bandwidthThrottled: {
    name: 'aigw_bandwidth_throttled_seconds_total',
    type: 'counter',
    help: "Time request bodies were held back (their reading paused) by the replica's share of limits.bandwidthMbps, summed over requests",
    labelNames: [],
  },
  compressionEncoderBytes: {
    name: 'aigw_compression_encoder_bytes',
    type: 'gauge',
    help: "Memory held by this replica's response encoders now, against their budget (aigw_compression_encoder_budget_bytes)",
    labelNames: [],
  },
  compressionEncoderBudget: {
    name: 'aigw_compression_encoder_budget_bytes',
    type: 'gauge',
    help: "The most memory this replica's response encoders may hold at once: past it, answers go uncompressed",
    labelNames: [],
  },
  compressionRefused: {
    name: 'aigw_compression_budget_refusals_total',
    type: 'counter',
    help: "Answers sent uncompressed although the client accepted a coding, because the encoders' memory budget was full",
    labelNames: [],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/**
 * The system tier (`observability.tier: 'full'`, Dedicated), on top of METRICS and of prom-client's
 * process metrics (`process_*`, `nodejs_*`: CPU, memory, event-loop delay percentiles, GC pauses,
 * heap by space, handles). Container figures come from the replica's cgroup v2 files and have no
 * sample where the file is absent (cgroup v1, or no limit set); pool figures are per upstream
 * pool of the current config, labelled by the backend's or MCP server's name.
 */
export const SYSTEM_METRICS = {
  cpuUsage: {
    name: 'aigw_container_cpu_usage_seconds_total',
    type: 'counter',
    help: "CPU time used by the replica's container (cgroup v2 cpu.stat usage_usec)",
    labelNames: [],
  },
  cpuThrottled: {
    name: 'aigw_container_cpu_throttled_seconds_total',
    type: 'counter',
    help: "Time the replica's container was throttled by its CPU limit (cgroup v2 cpu.stat throttled_usec)",
    labelNames: [],
  },
  cpuThrottledPeriods: {
    name: 'aigw_container_cpu_throttled_periods_total',
    type: 'counter',
    help: "Scheduling periods in which the replica's container was throttled (cgroup v2 cpu.stat nr_throttled)",
    labelNames: [],
  },
  cpuLimit: {
    name: 'aigw_container_cpu_limit_cores',
    type: 'gauge',
    help: "The container's CPU limit in cores (cgroup v2 cpu.max quota / period); no sample without a limit",
    labelNames: [],
  },
  memoryUsage: {
    name: 'aigw_container_memory_usage_bytes',
    type: 'gauge',
    help: "Memory used by the replica's container, page cache included (cgroup v2 memory.current)",
    labelNames: [],
  },
  memoryLimit: {
    name: 'aigw_container_memory_limit_bytes',
    type: 'gauge',
    help: "The container's memory limit (cgroup v2 memory.max); no sample without a limit",
    labelNames: [],
  },
  oomKills: {
    name: 'aigw_container_oom_kills_total',
    type: 'counter',
    help: "Processes of the container killed by the kernel's OOM killer (cgroup v2 memory.events oom_kill)",
    labelNames: [],
  },
  upstreamPoolConnections: {
    name: 'aigw_upstream_pool_connections',
    type: 'gauge',
    help: 'Upstream keep-alive pools of the current config by pool (a backend or MCP server name) and state: connected (open sockets), free (idle sockets), running (requests in flight), pending (requests waiting for a socket)',
    labelNames: ['pool', 'state'],
  },
} as const satisfies Record<string, MetricSpec>;

export type SystemMetricKey = keyof typeof SYSTEM_METRICS;

/** The label names a metric's samples carry (besides the default labels). */
export type MetricLabelName<K extends MetricKey> = (typeof METRICS)[K]['labelNames'][number];

/** The default label on every series: the gateway's name (`metadata.name` of its config). */
export const GATEWAY_METRIC_LABEL = 'gateway';

/**
 * The labels on every series of a gateway: its name, then the custom labels, which win on a clash
 * (a custom `gateway` label replaces the name).
 */
export function defaultMetricLabels(gatewayName: string, customLabels: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { [GATEWAY_METRIC_LABEL]: gatewayName, ...customLabels };
}
