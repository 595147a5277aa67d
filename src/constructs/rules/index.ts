import { agentRoutesRule } from './agent-routes';
import { configSchemaRule } from './config-schema';
import type { Rule } from './context';
import { domainTlsRule } from './domain-tls';
import { extensionAdminTokenRule } from './extension-admin-token';
import { extensionBundlesRule } from './extension-bundles';
import { extensionsRule } from './extensions';
import { fallbackLoopsRule } from './fallback-loops';
import { fleetPropsRule } from './fleet-props';
import { foreignReferencesRule } from './foreign-references';
import { gatewayPropsRule } from './gateway-props';
import { imageReferencesRule } from './image-references';
import { inlineCredentialsRule } from './inline-credentials';
import { kubernetesNamesRule } from './kubernetes-names';
import { marketplaceExtensionsRule } from './marketplace-extensions';
import { mcpRateLimitsRule } from './mcp-rate-limits';
import { mcpSessionKeyRule } from './mcp-session-key';
import { mcpToolGrantsRule } from './mcp-tool-grants';
import { modelEntriesRule } from './model-entries';
import { noDowngradeRule } from './no-downgrade';
import { openApiFilesRule } from './openapi-files';
import { publishedHostsRule } from './published-hosts';
import { quotasRule } from './quotas';
import { regionLimitRule } from './region-limit';
import { routeBackendsRule } from './route-backends';
import { routeConflictsRule } from './route-conflicts';
import { routeWafRule } from './route-waf';
import { secretMountsRule } from './secret-mounts';
import { serviceAnnotationsRule } from './service-annotations';
import { uniqueNamesRule } from './unique-names';
import { unservedFeaturesRule } from './unserved-features';
import { upstreamUrlsRule } from './upstream-urls';

export type { Rule, RuleContext } from './context';
export { QUOTA_COUNTERS } from './quotas';

/** Every synth-time rule, in the order they run (rules/runner.ts stamps and judges their findings). All run; every finding is reported. */
export const RULES: readonly Rule[] = [
  fleetPropsRule,
  gatewayPropsRule,
  regionLimitRule,
  quotasRule,
  uniqueNamesRule,
  kubernetesNamesRule,
  imageReferencesRule,
  serviceAnnotationsRule,
  routeConflictsRule,
  publishedHostsRule,
  foreignReferencesRule,
  mcpToolGrantsRule,
  mcpRateLimitsRule,
  routeBackendsRule,
  upstreamUrlsRule,
  agentRoutesRule,
  routeWafRule,
  fallbackLoopsRule,
  modelEntriesRule,
  openApiFilesRule,
  extensionsRule,
  marketplaceExtensionsRule,
  extensionBundlesRule,
  noDowngradeRule,
  secretMountsRule,
  inlineCredentialsRule,
  domainTlsRule,
  mcpSessionKeyRule,
  extensionAdminTokenRule,
  unservedFeaturesRule,
];

/** Runs only when every rule above passed: a config built from broken props would only repeat their errors. */
export const FINAL_RULES: readonly Rule[] = [configSchemaRule];
