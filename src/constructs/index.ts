export * from './fleet';
export * from './gateway';
export type { ResolvedWaf, RouteWafProps, WafCustomRuleProps, WafProps, WafRuleSetProps } from './waf';
export type { MonitoringProps } from './observability/props';
export * from './model-route';
export * from './agent-route';
export * from './mcp-server';
export * from './extension';
export * from './consumer';
export * from './upstream-service';
export * from './service-source';
export * from './domain';
export * from './backend';
export * from './policies';
export * from './secret-ref';
export { LOCK_FILE_CONTEXT_KEY, LOCK_FILE_NAME, type LockEntry } from './lock-file';
export { RULES, FINAL_RULES, QUOTA_COUNTERS, type Rule, type RuleContext } from './rules';
export type { Finding, RuleLevel, Violation } from './violation';
export { Rules, type Suppression } from './suppressions';
export { openApiDocumentToTools, openApiFileToTools, type OpenApiToolsResult } from './openapi-tools';
export type {
  GatewayLatencyMetricOptions,
  GatewayRequestMetricOptions,
  GatewayWafMatchMetricOptions,
  LatencyMetricOptions,
  MetricOptions,
  PrometheusMetric,
  RequestMetricOptions,
  TokenMetricOptions,
  WafMatchMetricOptions,
} from './metrics';
