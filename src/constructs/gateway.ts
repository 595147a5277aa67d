import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { type AccessLogField, BANDWIDTH, type CapacitySpec, defaultMetricLabels, type Edition, GATEWAY_CONFIG_DEFAULTS, GATEWAY_METRIC_LABEL, type GatewayConfig, isCapacitySpec, PORTS, type RequestLabelConfig, sizeGateway } from '../specs';
import { AgentRoute, type AgentRouteOptions } from './agent-route';
import { AppRegistry } from './app-registry';
import { Consumer, type ConsumerOptions } from './consumer';
import { Domain, type DomainOptions } from './domain';
import { Extension, type ExtensionOptions } from './extension';
import type { AiGatewayFleet } from './fleet';
import { McpServer, type McpServerOptions } from './mcp-server';
import {
  type GatewayLatencyMetricOptions,
  type GatewayRequestMetricOptions,
  type GatewayWafMatchMetricOptions,
  type MetricOptions,
  metricScope,
  type PrometheusMetric,
  quantileMetric,
  rateMetric,
  wafMatchMetric,
} from './metrics';
import { ModelRoute, type ModelRouteOptions } from './model-route';
import { toK8sName } from './names';
import type { MonitoringProps } from './observability/props';
import { fleetName, placementOf, REDIS_PORT } from './placement';
import type { SecretRef } from './secret-ref';
import { serverlessScaling } from './serverless-scaling';
import { ServiceSource, type ServiceSourceOptions, type ServiceSourceProps } from './service-source';
import { UpstreamService, type UpstreamServiceOptions, type UpstreamServiceProps } from './upstream-service';
import { type ResolvedWaf, resolveWaf, wafConfig, type WafProps } from './waf';

/**
 * Intel QAT offload. `aigw serve` detects the device and what drives it at start (TLS: the OpenSSL
 * QAT provider or engine in the image; compression: QATzip, which this data plane has no path for
 * yet) and reports each feature on `aigw_acceleration_mode`.
 */
export interface HardwareAccelerationProps {
  /** Offload TLS to Intel QAT (with fallback 'fail', requests `qat.intel.com/cy`). @default false */
  readonly tls?: boolean;
  /** Offload compression to Intel QAT (with fallback 'fail', requests `qat.intel.com/dc`). @default false */
  readonly compression?: boolean;
  /**
   * What happens without the accelerator. 'fail': the device is requested (pods run only on nodes
   * that have one), and a replica that cannot use it stays alive but not ready, `/readyz` naming what
   * is missing. 'software': no device is requested (Kubernetes has no optional device request), QAT
   * nodes are preferred, and the replica serves in software with one warning; the device plugin
   * mounts no device into such a pod, so it runs in software (synth warns).
   * @default 'software'
   */
  readonly fallback?: 'software' | 'fail';
}

export interface DedicatedEndpointProps {
  /** A fixed IP (EIP) for the gateway's LoadBalancer Service. @default - assigned by the cloud */
  readonly fixedIp?: string;
  /** Annotations for the LoadBalancer Service, e.g. for cloud-specific EIP binding: Kubernetes annotation keys (`[prefix/]name`), 256 KiB in all. @default {} */
  readonly serviceAnnotations?: Record<string, string>;
}

/** What the metrics carry, and (MonitoringProps) what the monitoring stack gets from the synthesis. */
export interface ObservabilityProps extends MonitoringProps {
  /** Collect system-resource metrics besides business metrics. @default true */
  readonly systemResources?: boolean;
  /** Labels added to every metric. @default {} */
  readonly customLabels?: Record<string, string>;
  /**
   * Labels of the per-request counters (`aigw_requests_total`, `aigw_request_errors_total`,
   * `gen_ai_client_token_usage_total`) taken from each request: a header's value or an attribute
   * of the consumer, kept when it is one of `values`, else `other` (`none` when missing), so the
   * series stay bounded whatever clients send. At most 5 labels of 50 values. @default - none
   */
  readonly requestLabels?: RequestLabelConfig[];
  /** The fields of each access-log line (`method`, `path`, `status`, `route`, `consumer`…). @default - every field */
  readonly accessLogFields?: AccessLogField[];
}

interface GatewayBaseProps {
  /**
   * The gateway's name in Kubernetes and in messages: a DNS label of at most 58 characters for
   * Serverless, 52 for Dedicated (its Redis Service is `aigw-<name>-redis`), and for Dedicated
   * `<fleet namespace>-<name>` at most 63 (synth states the exact maximum).
   * @default - the construct id, lowercased
   */
  readonly gatewayName?: string;
  /**
   * The key that seals the gateway's MCP session ids: a Secret key holding at least 32 random bytes
   * (e.g. `openssl rand -base64 32`), mounted in every replica, so that any replica serves any session.
   * @default - none: each replica seals sessions with a random key of its own, so an MCP session
   * breaks when one of its requests lands on another replica (synth warns: `mcp-session-key`)
   */
  readonly mcpSessionKey?: SecretRef;
  /**
   * The token of the extensions' admin API (`/extensions/<extension>/…` on the admin port, e.g. token-quota's
   * balances and top-ups): a Secret key holding a long random token (at least 16 bytes, e.g. `openssl rand -hex 32`),
   * mounted in every replica. Callers send it as `Authorization: Bearer <token>`.
   * @default - none: the admin API of extensions answers 403 to every call
   */
  readonly adminToken?: SecretRef;
  /**
   * How the replicas count rate limits in Redis. `lease`: each replica charges 1 % of a counter's limit to Redis at
   * once and admits from it locally, so most limited requests cost no Redis round trip; never more than a limit is
   * admitted, but up to the other replicas' unused lease units may be refused early (limits under 1000 are counted
   * exactly anyway). `exact`: one Redis round trip per limited request, refusing only when a limit is used up.
   * @default 'lease'
   */
  readonly rateLimitCounting?: 'lease' | 'exact';
}

/** A Serverless gateway: elastic, shared endpoint and middleware, automatic updates. */
export interface ServerlessGatewayProps extends GatewayBaseProps {
  readonly edition: 'serverless';
  /** Inbound bandwidth, shared, at most 400. @default 400 */
  readonly bandwidthMbps?: number;
  readonly spec?: never;
  readonly hardwareAcceleration?: never;
  readonly waf?: never;
  readonly endpoint?: never;
  readonly observability?: never;
  readonly version?: never;
}

/** A Dedicated gateway: a capacity spec, dedicated endpoint and middleware, manual updates. */
export interface DedicatedGatewayProps extends GatewayBaseProps {
  readonly edition: 'dedicated';
  /** The capacity spec: QPS and client connections. */
  readonly spec: CapacitySpec;
  /** @default - no acceleration */
  readonly hardwareAcceleration?: HardwareAccelerationProps;
  /** @default - no WAF */
  readonly waf?: WafProps;
  /** @default - a LoadBalancer Service with a cloud-assigned IP */
  readonly endpoint?: DedicatedEndpointProps;
  /** Inbound bandwidth. @default 4000 */
  readonly bandwidthMbps?: number;
  /** @default - system resources on, no custom labels */
  readonly observability?: ObservabilityProps;
  /**
   * The data-plane image version: an image tag that is also the `app.kubernetes.io/version` label,
   * so at most 63 characters of `[A-Za-z0-9_.-]`, starting and ending with a letter or digit.
   * @default - the version in aigw.lock.json, else this library's version
   */
  readonly version?: string;
}

export type AiGatewayProps = ServerlessGatewayProps | DedicatedGatewayProps;

/** What the gateway records of its children, by kind. */
export interface GatewayChildren {
  readonly modelRoutes: ModelRoute[];
  readonly agentRoutes: AgentRoute[];
  readonly mcpServers: McpServer[];
  readonly extensions: Extension[];
  readonly consumers: Consumer[];
  readonly services: UpstreamService[];
  readonly serviceSources: ServiceSource[];
  readonly domains: Domain[];
}

/** The parts of `GatewayConfig` a gateway renders itself; its children render the rest. */
type McpConfig = NonNullable<GatewayConfig['mcp']>;
type AdminConfig = NonNullable<GatewayConfig['admin']>;

type GatewayOwnConfig = Pick<GatewayConfig, 'metadata' | 'listeners' | 'limits' | 'waf' | 'acceleration' | 'observability' | 'redis'>;

/**
 * One AI gateway of a fleet. Generic over its edition, so that what a Serverless gateway cannot
 * have does not compile. Children may be added at any time before synth; rendering is late.
 */
export class AiGateway<E extends Edition = Edition> extends Construct {
  public readonly edition: E;
  public readonly fleet: AiGatewayFleet;
  /** The gateway's name in Kubernetes and in messages. @default - the construct id, lowercased */
  public readonly gatewayName: string;
  /** Inbound bandwidth in Mbps. @default 4000 for Dedicated (BANDWIDTH.dedicatedDefaultMbps), 400 for Serverless (its maximum) */
  public readonly bandwidthMbps: number;
  /** Dedicated: QAT offload. @default - no acceleration: tls and compression false, fallback 'software' */
  public readonly hardwareAcceleration: Required<HardwareAccelerationProps>;
  /**
   * Dedicated: the WAF, defaults filled in: mode 'block', every rule set on but promptInjection, custom rules' action
   * 'block', no deny list nor trusted proxies, anomaly threshold 5, message text not read.
   * @default - no WAF
   */
  public readonly waf?: ResolvedWaf;
  /** Dedicated: the LoadBalancer Service's fixed IP and annotations. @default - a cloud-assigned IP, no annotations */
  public readonly endpoint?: DedicatedEndpointProps;
  /** What the gateway's metrics carry. @default - Dedicated: system resources on, no custom labels; Serverless: business metrics only */
  public readonly observability: Required<Pick<ObservabilityProps, 'systemResources' | 'customLabels'>> & Pick<ObservabilityProps, 'requestLabels' | 'accessLogFields'>;
  /**
   * Dedicated: the monitoring resources synthesized besides the pods' scrape annotations (Grafana dashboard
   * ConfigMap, ServiceMonitor, PrometheusRule), as given in `observability`. @default - none
   */
  public readonly monitoring: MonitoringProps;
  /** Dedicated: the data-plane image version. @default - the version in aigw.lock.json, else this library's version */
  public readonly version?: string;
  /** The Secret key that seals MCP session ids. @default - none: each replica uses a key of its own */
  public readonly mcpSessionKey?: SecretRef;
  /** The Secret key of the extensions' admin API token. @default - none: that API answers 403 */
  public readonly adminToken?: SecretRef;
  /** How the replicas count rate limits in Redis: in leases, or one round trip per request. @default 'lease' */
  public readonly rateLimitCounting: 'lease' | 'exact';
  /**
   * @internal The props exactly as given (a plain-JS caller may pass anything): for the rules that
   * check the input itself (gateway-props' schema of the edition's props) and what was declared
   * rather than defaulted (unserved-features: a declared bandwidth).
   */
  public readonly _input: Readonly<Record<string, unknown>>;
  /** @internal */
  public readonly _children: GatewayChildren = {
    modelRoutes: [],
    agentRoutes: [],
    mcpServers: [],
    extensions: [],
    consumers: [],
    services: [],
    serviceSources: [],
    domains: [],
  };

  public constructor(fleet: AiGatewayFleet, id: string, props: AiGatewayProps & { readonly edition: E }) {
    super(fleet, id);
    // Plain-JS callers may pass nothing: record it, and let the rules say what is missing.
    const p = props ?? ({} as AiGatewayProps & { readonly edition: E });
    this._input = p as unknown as Readonly<Record<string, unknown>>;
    this.fleet = fleet;
    this.edition = p.edition;
    this.gatewayName = p.gatewayName ?? toK8sName(id);
    // The Dedicated-only props count only on a Dedicated gateway (gateway-props reports them on a Serverless one).
    const d = p.edition === 'dedicated' ? (p as DedicatedGatewayProps) : undefined;
    this.bandwidthMbps = p.bandwidthMbps ?? (d ? BANDWIDTH.dedicatedDefaultMbps : BANDWIDTH.serverlessMaxMbps);
    const accel = d?.hardwareAcceleration;
    this.hardwareAcceleration = { tls: accel?.tls ?? false, compression: accel?.compression ?? false, fallback: accel?.fallback ?? 'software' };
    this.waf = d?.waf ? resolveWaf(d.waf) : undefined;
    this.endpoint = d ? { fixedIp: d.endpoint?.fixedIp, serviceAnnotations: d.endpoint?.serviceAnnotations ?? {} } : undefined;
    this.observability = {
      systemResources: d ? d.observability?.systemResources ?? true : false,
      customLabels: { ...d?.observability?.customLabels },
      requestLabels: d?.observability?.requestLabels?.map((l) => ({ ...l, values: [...l.values] })),
      accessLogFields: d?.observability?.accessLogFields ? [...d.observability.accessLogFields] : undefined,
    };
    this.monitoring = {
      grafanaDashboard: d?.observability?.grafanaDashboard ?? false,
      serviceMonitor: d?.observability?.serviceMonitor ?? false,
      prometheusRule: d?.observability?.prometheusRule ?? false,
      alertThresholds: { ...d?.observability?.alertThresholds },
      monitoringLabels: { ...d?.observability?.monitoringLabels },
    };
    this.version = d?.version;
    this.mcpSessionKey = p.mcpSessionKey;
    this.adminToken = p.adminToken;
    // Recorded as given: a plain-JS caller's other value is the gateway-props rule's to report.
    this.rateLimitCounting = p.rateLimitCounting ?? 'lease';
    fleet._attachGateway(this as unknown as AiGateway);
  }

  /** The capacity spec, for a Dedicated gateway (undefined when the props name none of the catalog's: a rule reports that). */
  public get spec(): CapacitySpec | undefined {
    return this.edition === 'dedicated' && isCapacitySpec(this._input.spec) ? this._input.spec : undefined;
  }

  public get children(): Readonly<GatewayChildren> {
    return this._children;
  }

  /** @internal Children register themselves here. */
  public _attach<K extends keyof GatewayChildren>(kind: K, child: GatewayChildren[K][number]): void {
    if (AppRegistry.of(this).isPrepared) {
      // Synth already rendered this gateway: say so loudly rather than drop the child in silence.
      Annotations.of(child).addError(`${child.node.path} was added to gateway '${this.gatewayName}' after synth prepared it; it is not rendered. Add children before synth (not from an Aspect).`);
    }
    (this._children[kind] as Array<GatewayChildren[K][number]>).push(child);
  }

  public addModelRoute(id: string, options: ModelRouteOptions = {}): ModelRoute {
    return new ModelRoute(this, id, { ...options, gateway: this as unknown as AiGateway });
  }

  public addAgentRoute(id: string, options: AgentRouteOptions): AgentRoute {
    return new AgentRoute(this, id, { ...options, gateway: this as unknown as AiGateway });
  }

  public addMcpServer(id: string, options: McpServerOptions): McpServer {
    return new McpServer(this, id, { ...options, gateway: this as unknown as AiGateway });
  }

  public addExtension(id: string, options: ExtensionOptions<E>): Extension<E> {
    return new Extension<E>(this, id, { ...options, gateway: this });
  }

  public addConsumer(id: string, options: ConsumerOptions): Consumer {
    return new Consumer(this, id, { ...options, gateway: this as unknown as AiGateway });
  }

  public addUpstreamService(id: string, options: UpstreamServiceOptions): UpstreamService {
    return new UpstreamService(this, id, { ...options, gateway: this as unknown as AiGateway } as UpstreamServiceProps);
  }

  public addServiceSource(id: string, options: ServiceSourceOptions): ServiceSource {
    return new ServiceSource(this, id, { ...options, gateway: this as unknown as AiGateway } as ServiceSourceProps);
  }

  public addDomain(id: string, options: DomainOptions): Domain {
    return new Domain(this, id, { ...options, gateway: this as unknown as AiGateway });
  }

  /**
   * Requests per second (`aigw_requests_total`), of the whole gateway or of one route or consumer.
   * Every answer counts, whatever its status.
   */
  public metricRequests(options: GatewayRequestMetricOptions = {}): PrometheusMetric {
    return rateMetric('requests', metricScope(this as unknown as AiGateway, options), options);
  }

  /**
   * Failed requests per second (`aigw_request_errors_total`), of the whole gateway or of one route or
   * consumer: answers of status 400 or more (499 for a client that left before the answer), and
   * streams that broke after their 200.
   */
  public metricErrors(options: GatewayRequestMetricOptions = {}): PrometheusMetric {
    return rateMetric('errors', metricScope(this as unknown as AiGateway, options), options);
  }

  /** Requests per second answered 4xx (the client's faults, 499 `client_aborted` included). */
  public metricClientErrors(options: MetricOptions = {}): PrometheusMetric {
    return rateMetric('requests', metricScope(this as unknown as AiGateway, {}), options, ['status=~"4.."']);
  }

  /** Requests per second answered 5xx (the gateway's or an upstream's failures). */
  public metricServerErrors(options: MetricOptions = {}): PrometheusMetric {
    return rateMetric('requests', metricScope(this as unknown as AiGateway, {}), options, ['status=~"5.."']);
  }

  /** A quantile of the request duration in seconds (`gen_ai_server_request_duration_seconds`), of routed requests. */
  public metricLatency(options: GatewayLatencyMetricOptions = {}): PrometheusMetric {
    return quantileMetric('duration', metricScope(this as unknown as AiGateway, { route: options.route }), options);
  }

  /**
   * WAF rule matches per second (`aigw_waf_matches_total`), of the whole gateway (requests no route matches
   * included) or of one route or MCP server, of every rule or one, refused (`block`) or let through (`log`). A
   * request that matches several rules counts once per rule. Dedicated gateways with a `waf` only: without one,
   * the series never appears.
   */
  public metricWafMatches(options: GatewayWafMatchMetricOptions = {}): PrometheusMetric {
    return wafMatchMetric(this as unknown as AiGateway, options.route, options);
  }

  /** @internal The value of the `gateway` label on this gateway's series: its name, unless a custom label named `gateway` replaces it. */
  public _metricGatewayLabel(): string {
    return defaultMetricLabels(this.gatewayName, this.observability.customLabels)[GATEWAY_METRIC_LABEL];
  }

  /** @internal The gateway-wide MCP settings, when there are any (`mcp` is absent from the config otherwise). */
  public _mcpConfig(): McpConfig | undefined {
    return this.mcpSessionKey === undefined ? undefined : { sessionKey: { ...this.mcpSessionKey } };
  }

  /** @internal The admin listener's settings, when there are any (`admin` is absent from the config otherwise). */
  public _adminConfig(): AdminConfig | undefined {
    return this.adminToken === undefined ? undefined : { token: { ...this.adminToken } };
  }

  /** @internal The gateway's own parts of its config: metadata, listeners, limits, WAF, acceleration, observability and Redis. */
  public _toConfig(): GatewayOwnConfig {
    const gateway = this as unknown as AiGateway;
    const placement = placementOf(gateway);
    const sizing = sizeGateway(this.edition, this.spec, serverlessScaling(this.fleet));
    const accel = this.hardwareAcceleration;
    return {
      metadata: {
        name: this.gatewayName,
        fleet: fleetName(this.fleet),
        constructPath: this.node.path,
        edition: this.edition,
        ...(this.spec && { spec: this.spec }),
        region: this.fleet.region,
      },
      listeners: { port: PORTS.traffic, tlsPort: PORTS.trafficTls, adminPort: PORTS.admin },
      limits: {
        maxClientConnections: sizing.perReplicaClientConnections,
        maxQps: sizing.perReplicaQps,
        bandwidthMbps: this.bandwidthMbps,
        // The divisor each replica shapes its share by (config.ts). Serverless: minReplicas, so that a client sees the
        // bandwidth it was promised at the resting size (maxReplicas would give 2 of 10 replicas a fifth of it); scaled
        // out under load, the gateway admits more, up to maxReplicas / minReplicas times bandwidthMbps (README says so).
        bandwidthReplicas: sizing.kind === 'fixed' ? sizing.replicas : sizing.minReplicas,
        maxBodyBytes: GATEWAY_CONFIG_DEFAULTS.limits.maxBodyBytes,
        headersTimeoutMs: GATEWAY_CONFIG_DEFAULTS.limits.headersTimeoutMs,
        idleTimeoutMs: GATEWAY_CONFIG_DEFAULTS.limits.idleTimeoutMs,
      },
      ...(this.waf && { waf: wafConfig(this.waf, this._input.waf as WafProps) }),
      acceleration: {
        tls: { enabled: accel.tls, fallback: accel.fallback },
        compression: { enabled: accel.compression, fallback: accel.fallback },
      },
      observability: {
        tier: this.edition === 'dedicated' && this.observability.systemResources !== false ? 'full' : 'business',
        customLabels: { ...this.observability.customLabels },
        ...(this.observability.requestLabels && { requestLabels: this.observability.requestLabels.map((l) => ({ ...l, values: [...l.values] })) }),
        ...(this.observability.accessLogFields && { accessLog: { fields: [...this.observability.accessLogFields] } }),
      },
      redis: {
        address: `${placement.redisHost}:${REDIS_PORT}`,
        keyPrefix: placement.redisKeyPrefix,
        ...(placement.redisUser && {
          user: placement.redisUser,
          password: { secretName: this.fleet.redisAclSecretName, key: placement.redisUser },
        }),
        // Only when it differs from the data plane's default, so that a config without it stays as it was.
        ...(this.rateLimitCounting === 'exact' && { counting: 'exact' as const }),
      },
    };
  }
}
