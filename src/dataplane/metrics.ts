import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Business metrics, named after the OpenTelemetry GenAI semantic conventions where they fit
 * (`gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token`, `gen_ai.client.token.usage`),
 * with the gateway's own dimensions: route and consumer.
 */
export class GatewayMetrics {
  public readonly registry = new Registry();
  public readonly requests: Counter<'route' | 'consumer' | 'gen_ai_request_model' | 'gen_ai_response_model' | 'status'>;
  public readonly errors: Counter<'route' | 'consumer' | 'gen_ai_request_model' | 'error_type'>;
  public readonly duration: Histogram<'route' | 'gen_ai_request_model' | 'gen_ai_provider_name'>;
  public readonly ttft: Histogram<'route' | 'gen_ai_request_model' | 'gen_ai_provider_name'>;
  public readonly tokens: Counter<'route' | 'consumer' | 'gen_ai_request_model' | 'gen_ai_token_type'>;
  public readonly connections: Gauge;
  public readonly capacityRejections: Counter<'reason'>;
  public readonly configReloads: Counter<'result'>;
  public readonly rateLimitDecisions: Counter<'decision'>;
  public readonly rateLimitBackendErrors: Counter<'op'>;
  public readonly configSwapSeconds: Histogram;
  /** 1 for each field of the config that is set but not served yet (the fixed list in unserved.ts), else 0. */
  public readonly configUnserved: Gauge<'field'>;

  public constructor(labels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'aigw_requests_total',
      help: 'Requests by route, consumer, requested and served model, and HTTP status',
      labelNames: ['route', 'consumer', 'gen_ai_request_model', 'gen_ai_response_model', 'status'],
      registers,
    });
    this.errors = new Counter({
      name: 'aigw_request_errors_total',
      help: 'Failed requests by route, consumer, requested model and error type (the OpenAI error code)',
      labelNames: ['route', 'consumer', 'gen_ai_request_model', 'error_type'],
      registers,
    });
    this.duration = new Histogram({
      name: 'gen_ai_server_request_duration_seconds',
      help: 'Time from request received to the last response byte',
      labelNames: ['route', 'gen_ai_request_model', 'gen_ai_provider_name'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers,
    });
    this.ttft = new Histogram({
      name: 'gen_ai_server_time_to_first_token_seconds',
      help: 'Time from request received to the first content chunk of a streamed response',
      labelNames: ['route', 'gen_ai_request_model', 'gen_ai_provider_name'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    this.tokens = new Counter({
      name: 'gen_ai_client_token_usage_total',
      help: 'Tokens by route, consumer, requested model and type (input or output), as the provider reports them',
      labelNames: ['route', 'consumer', 'gen_ai_request_model', 'gen_ai_token_type'],
      registers,
    });
    this.connections = new Gauge({ name: 'aigw_client_connections', help: 'Open client connections on this replica', registers });
    this.capacityRejections = new Counter({
      name: 'aigw_capacity_rejections_total',
      help: 'Connections and requests refused because the replica is at its share of the spec (reason: connections or qps)',
      labelNames: ['reason'],
      registers,
    });
    this.configReloads = new Counter({
      name: 'aigw_config_reloads_total',
      help: 'Config reload attempts by result: applied, unchanged or rejected (the last good config keeps serving)',
      labelNames: ['result'],
      registers,
    });
    this.rateLimitDecisions = new Counter({
      name: 'aigw_ratelimit_decisions_total',
      help: 'Rate-limit decisions: allowed, limited, and failOpen/failClosed while Redis is unreachable or not answering (decided at once, without asking Redis)',
      labelNames: ['decision'],
      registers,
    });
    this.rateLimitBackendErrors = new Counter({
      name: 'aigw_ratelimit_backend_errors_total',
      help: 'Rate-limit store (Redis) errors by operation (admit, settle)',
      labelNames: ['op'],
      registers,
    });
    this.configSwapSeconds = new Histogram({
      name: 'aigw_config_swap_duration_seconds',
      help: 'Time to read, validate and compile a new config before it is swapped in',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers,
    });
    this.configUnserved = new Gauge({
      name: 'aigw_config_unserved',
      help: 'Config fields that are set but not served by this data plane version yet (1), by field; 0 when unset',
      labelNames: ['field'],
      registers,
    });
  }

  /** Process metrics (CPU, memory, event loop): the "system resources" tier. */
  public collectSystemMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }
}
