import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type MetricLabelName, METRICS } from '../specs/metrics';

/**
 * The data plane's metrics, built from the one contract in `specs/metrics.ts` (names, help, labels
 * and buckets are stated there, and nowhere here), registered in the contract's order.
 */
export class GatewayMetrics {
  public readonly registry = new Registry();
  public readonly requests: Counter<MetricLabelName<'requests'>>;
  public readonly errors: Counter<MetricLabelName<'errors'>>;
  public readonly duration: Histogram<MetricLabelName<'duration'>>;
  public readonly ttft: Histogram<MetricLabelName<'ttft'>>;
  public readonly tokens: Counter<MetricLabelName<'tokens'>>;
  public readonly connections: Gauge<MetricLabelName<'connections'>>;
  public readonly capacityRejections: Counter<MetricLabelName<'capacityRejections'>>;
  public readonly configReloads: Counter<MetricLabelName<'configReloads'>>;
  public readonly rateLimitDecisions: Counter<MetricLabelName<'rateLimitDecisions'>>;
  public readonly rateLimitBackendErrors: Counter<MetricLabelName<'rateLimitBackendErrors'>>;
  public readonly configSwapSeconds: Histogram<MetricLabelName<'configSwapSeconds'>>;
  /** 1 for each field of the config that is set but not served yet (the fixed list in unserved.ts), else 0. */
  public readonly configUnserved: Gauge<MetricLabelName<'configUnserved'>>;
  public readonly mcpRequests: Counter<MetricLabelName<'mcpRequests'>>;
  public readonly mcpToolCalls: Counter<MetricLabelName<'mcpToolCalls'>>;
  public readonly mcpToolCallDuration: Histogram<MetricLabelName<'mcpToolCallDuration'>>;
  public readonly mcpSessionsActive: Gauge<MetricLabelName<'mcpSessionsActive'>>;
  /** Extensions' hooks (extensions/runner.ts): labels `extension` (a configured extension's name) and `hook` (one of the API's). */
  public readonly extensionDuration: Histogram<'extension' | 'hook'>;
  public readonly extensionErrors: Counter<'extension' | 'hook'>;
  public readonly extensionBudgetOverruns: Counter<'extension' | 'hook'>;
  public readonly wafMatches: Counter<MetricLabelName<'wafMatches'>>;

  /** @param labels the default labels on every series (`defaultMetricLabels` of the config). */
  public constructor(labels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    // Field order is registration order, which is the order /metrics lists them: the contract's.
    this.requests = new Counter({ ...spec('requests'), registers });
    this.errors = new Counter({ ...spec('errors'), registers });
    this.duration = new Histogram({ ...spec('duration'), buckets: [...METRICS.duration.buckets], registers });
    this.ttft = new Histogram({ ...spec('ttft'), buckets: [...METRICS.ttft.buckets], registers });
    this.tokens = new Counter({ ...spec('tokens'), registers });
    this.connections = new Gauge({ ...spec('connections'), registers });
    this.capacityRejections = new Counter({ ...spec('capacityRejections'), registers });
    this.configReloads = new Counter({ ...spec('configReloads'), registers });
    this.rateLimitDecisions = new Counter({ ...spec('rateLimitDecisions'), registers });
    this.rateLimitBackendErrors = new Counter({ ...spec('rateLimitBackendErrors'), registers });
    this.configSwapSeconds = new Histogram({ ...spec('configSwapSeconds'), buckets: [...METRICS.configSwapSeconds.buckets], registers });
    this.configUnserved = new Gauge({ ...spec('configUnserved'), registers });
    this.mcpRequests = new Counter({ ...spec('mcpRequests'), registers });
    this.mcpToolCalls = new Counter({ ...spec('mcpToolCalls'), registers });
    this.mcpToolCallDuration = new Histogram({ ...spec('mcpToolCallDuration'), buckets: [...METRICS.mcpToolCallDuration.buckets], registers });
    this.mcpSessionsActive = new Gauge({ ...spec('mcpSessionsActive'), registers });
    this.extensionDuration = new Histogram({ ...spec('extensionDuration'), buckets: [...METRICS.extensionDuration.buckets], registers });
    this.extensionErrors = new Counter({ ...spec('extensionErrors'), registers });
    this.extensionBudgetOverruns = new Counter({ ...spec('extensionBudgetOverruns'), registers });
    this.wafMatches = new Counter({ ...spec('wafMatches'), registers });
  }

  /** Process metrics (CPU, memory, event loop): the "system resources" tier. */
  public collectSystemMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }
}

/** What prom-client takes of a contract entry: its name, help and label names. */
function spec<K extends keyof typeof METRICS>(key: K): { name: string; help: string; labelNames: ReadonlyArray<MetricLabelName<K>> } {
  const { name, help, labelNames } = METRICS[key];
  return { name, help, labelNames: labelNames as ReadonlyArray<MetricLabelName<K>> };
}
