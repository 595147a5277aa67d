import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ENCODER_BUDGET } from './compression/budget';
import { registerSystemMetrics, type SystemMetricSources } from './system-metrics';
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
  public readonly heapTrims: Counter<MetricLabelName<'heapTrims'>>;
  /** 1 for each field of the config that is set but not served yet (the fixed list in unserved.ts), else 0. */
  public readonly configUnserved: Gauge<MetricLabelName<'configUnserved'>>;
  /** 1 for each feature's current acceleration mode, 0 for the others: software until `aigw serve` detects QAT (acceleration/apply.ts). */
  public readonly accelerationMode: Gauge<MetricLabelName<'accelerationMode'>>;
  public readonly mcpRequests: Counter<MetricLabelName<'mcpRequests'>>;
  public readonly mcpToolCalls: Counter<MetricLabelName<'mcpToolCalls'>>;
  public readonly mcpToolCallDuration: Histogram<MetricLabelName<'mcpToolCallDuration'>>;
  public readonly mcpSessionsActive: Gauge<MetricLabelName<'mcpSessionsActive'>>;
  /** Extensions' hooks (extensions/runner.ts): labels `extension` (a configured extension's name) and `hook` (one of the API's). */
  public readonly extensionDuration: Histogram<'extension' | 'hook'>;
  public readonly extensionErrors: Counter<'extension' | 'hook'>;
  public readonly extensionBudgetOverruns: Counter<'extension' | 'hook'>;
  public readonly wafMatches: Counter<MetricLabelName<'wafMatches'>>;
  /** The replica's inbound bandwidth (inflow/bandwidth.ts): read from its bucket at each scrape, see `readInboundBandwidth`. */
  public readonly requestBodyBytes: Counter<MetricLabelName<'requestBodyBytes'>>;
  public readonly bandwidthThrottled: Counter<MetricLabelName<'bandwidthThrottled'>>;
  private inbound: (() => InboundCounts) | undefined;
  private readonly inboundSeen = { bytes: 0, heldSeconds: 0 };

  /** The config's request labels (`observability.requestLabels`) the per-request counters carry: fixed for the process, as a family's label names are. */
  public readonly requestLabelNames: readonly string[];

  /**
   * @param labels the default labels on every series (`defaultMetricLabels` of the config).
   * @param requestLabelNames labels taken from each request, added to the counters of REQUEST_LABEL_METRICS.
   */
  public constructor(labels: Record<string, string> = {}, requestLabelNames: readonly string[] = []) {
    this.requestLabelNames = requestLabelNames;
    const withRequestLabels = <K extends 'requests' | 'errors' | 'tokens'>(key: K) => {
      const s = spec(key);
      return { ...s, labelNames: [...s.labelNames, ...requestLabelNames] as unknown as typeof s.labelNames };
    };
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    // Field order is registration order, which is the order /metrics lists them: the contract's.
    this.requests = new Counter({ ...withRequestLabels('requests'), registers });
    this.errors = new Counter({ ...withRequestLabels('errors'), registers });
    this.duration = new Histogram({ ...spec('duration'), buckets: [...METRICS.duration.buckets], registers });
    this.ttft = new Histogram({ ...spec('ttft'), buckets: [...METRICS.ttft.buckets], registers });
    this.tokens = new Counter({ ...withRequestLabels('tokens'), registers });
    this.connections = new Gauge({ ...spec('connections'), registers });
    this.capacityRejections = new Counter({ ...spec('capacityRejections'), registers });
    this.configReloads = new Counter({ ...spec('configReloads'), registers });
    this.rateLimitDecisions = new Counter({ ...spec('rateLimitDecisions'), registers });
    this.rateLimitBackendErrors = new Counter({ ...spec('rateLimitBackendErrors'), registers });
    this.configSwapSeconds = new Histogram({ ...spec('configSwapSeconds'), buckets: [...METRICS.configSwapSeconds.buckets], registers });
    this.heapTrims = new Counter({ ...spec('heapTrims'), registers });
    this.configUnserved = new Gauge({ ...spec('configUnserved'), registers });
    this.accelerationMode = new Gauge({ ...spec('accelerationMode'), registers });
    // Both features are always listed: software unless something offloads them.
    for (const feature of ['tls', 'compression']) {
      for (const mode of ['qat', 'software', 'unavailable']) this.accelerationMode.set({ feature, mode }, mode === 'software' ? 1 : 0);
    }
    this.mcpRequests = new Counter({ ...spec('mcpRequests'), registers });
    this.mcpToolCalls = new Counter({ ...spec('mcpToolCalls'), registers });
    this.mcpToolCallDuration = new Histogram({ ...spec('mcpToolCallDuration'), buckets: [...METRICS.mcpToolCallDuration.buckets], registers });
    this.mcpSessionsActive = new Gauge({ ...spec('mcpSessionsActive'), registers });
    this.extensionDuration = new Histogram({ ...spec('extensionDuration'), buckets: [...METRICS.extensionDuration.buckets], registers });
    this.extensionErrors = new Counter({ ...spec('extensionErrors'), registers });
    this.extensionBudgetOverruns = new Counter({ ...spec('extensionBudgetOverruns'), registers });
    this.wafMatches = new Counter({ ...spec('wafMatches'), registers });
    // Counted by the bucket itself (one add per chunk read, no metric call on the hot path), synced when scraped.
    const syncInbound = () => this.syncInbound();
    this.requestBodyBytes = new Counter({ ...spec('requestBodyBytes'), registers, collect: syncInbound });
    this.bandwidthThrottled = new Counter({ ...spec('bandwidthThrottled'), registers, collect: syncInbound });
    // Read off the process's encoder budget at each scrape: the request path counts nothing for them.
    const budget = ENCODER_BUDGET;
    new Gauge({
      ...spec('compressionEncoderBytes'),
      registers,
      collect(this: Gauge) {
        this.set(budget.usedBytes);
      },
    });
    new Gauge({
      ...spec('compressionEncoderBudget'),
      registers,
      collect(this: Gauge) {
        this.set(budget.limitBytes);
      },
    });
    let refusalsSeen = 0;
    new Counter({
      ...spec('compressionRefused'),
      registers,
      collect(this: Counter) {
        if (budget.refusals > refusalsSeen) this.inc(budget.refusals - refusalsSeen);
        refusalsSeen = budget.refusals;
      },
    });
  }

  /** Where the inbound-bandwidth counters come from: the serving snapshot's bucket (`() => plane.snapshot.bandwidth.totals`), monotonic across reloads. */
  public readInboundBandwidth(source: () => InboundCounts): void {
    this.inbound = source;
  }

  private syncInbound(): void {
    const now = this.inbound?.();
    if (!now) return;
    const seen = this.inboundSeen;
    if (now.bytes > seen.bytes) this.requestBodyBytes.inc(now.bytes - seen.bytes);
    if (now.heldSeconds > seen.heldSeconds) this.bandwidthThrottled.inc(now.heldSeconds - seen.heldSeconds);
    seen.bytes = Math.max(seen.bytes, now.bytes);
    seen.heldSeconds = Math.max(seen.heldSeconds, now.heldSeconds);
  }

  /**
   * The "system resources" tier (observability.tier 'full'): prom-client's process metrics (CPU,
   * memory, event-loop delay percentiles, GC pauses, heap by space), then the container's cgroup v2
   * CPU and memory and the upstream pools (SYSTEM_METRICS, system-metrics.ts). Registered once.
   */
  public collectSystemMetrics(sources: SystemMetricSources = {}): void {
    collectDefaultMetrics({ register: this.registry });
    registerSystemMetrics(this.registry, sources);
  }
}

/** The replica's inbound totals since it started (inflow/bandwidth.ts InboundTotals). */
interface InboundCounts {
  readonly bytes: number;
  readonly heldSeconds: number;
}

/** What prom-client takes of a contract entry: its name, help and label names. */
function spec<K extends keyof typeof METRICS>(key: K): { name: string; help: string; labelNames: ReadonlyArray<MetricLabelName<K>> } {
  const { name, help, labelNames } = METRICS[key];
  return { name, help, labelNames: labelNames as ReadonlyArray<MetricLabelName<K>> };
}
