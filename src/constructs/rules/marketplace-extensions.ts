import type { SystemExtension } from '../../extensions/catalog-types';
import { findMarketplaceExtension, marketplaceNames, marketplaceVersions } from '../../extensions/marketplace';
import { SYSTEM_EXTENSIONS } from '../../extensions/system';
import type { JsonObject } from '../../extensions/types';
import { FEATURES } from '../../specs';
import type { Extension } from '../extension';
import type { AiGateway } from '../gateway';
import { describe, finding, type Finding } from '../violation';
import type { Rule, RuleContext } from './context';

const quoted = (names: readonly string[]) => (names.length ? names.map((n) => `'${n}'`).join(', ') : '(none)');

/**
 * What stands for a field given in `secrets` when synth checks the config: the value is in a Secret synth never
 * reads. Long enough for any length check a secret's schema makes (hmac-auth wants 32 characters or more).
 */
const SECRET_PLACEHOLDER = 'secret-value-read-by-the-data-plane-at-load-'.padEnd(64, '0');

/** The config's problems as its extension's `parseConfig` words them, or undefined when it passes (or there is nothing to check it with). */
function configProblem(definition: SystemExtension['definition'], e: Extension): string | undefined {
  const config = e.config as unknown;
  // A config that is not an object is the config schema's to report.
  if (!definition.parseConfig || typeof config !== 'object' || config === null || Array.isArray(config)) return undefined;
  const secrets = typeof e.secrets === 'object' && e.secrets !== null ? Object.keys(e.secrets) : [];
  try {
    definition.parseConfig({ ...(config as JsonObject), ...Object.fromEntries(secrets.map((field) => [field, SECRET_PLACEHOLDER])) });
    return undefined;
  } catch (problem) {
    return problem instanceof Error ? problem.message : String(problem);
  }
}

function checkSystem(g: AiGateway, e: Extension, at: string): Finding[] {
  const system = Object.prototype.hasOwnProperty.call(SYSTEM_EXTENSIONS, e.name) ? SYSTEM_EXTENSIONS[e.name] : undefined;
  if (!system) {
    return [finding(e, `${at}: the gateway has no system extension '${e.name}'; its system extensions: ${quoted(Object.keys(SYSTEM_EXTENSIONS).sort())}. Fix name, or use source 'marketplace' or 'custom'.`)];
  }
  const problem = configProblem(system.definition, e);
  if (problem !== undefined) return [finding(e, `${at}: config does not match system extension '${e.name}': ${problem}. Fix config.`)];
  if (e.name === 'key-auth') return keyAuthNames(g, e, at);
  if (e.name === 'token-quota') return tokenQuotaNames(g, e, at);
  return [];
}

const unknownNames = (names: unknown, known: readonly string[]) => (Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string' && !known.includes(n)) : []);

/** token-quota's `consumers` names the gateway's consumers: a misspelt one leaves that consumer on the default limits. */
function tokenQuotaNames(g: AiGateway, e: Extension, at: string): Finding[] {
  const limits = (e.config as { consumers?: unknown } | undefined)?.consumers;
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) return [];
  const consumers = g.children.consumers.map((c) => c.consumerName);
  const strangers = unknownNames(Object.keys(limits), consumers);
  if (strangers.length === 0) return [];
  return [finding(e, `${at}: config.consumers names ${quoted(strangers)}, no consumer of gateway '${g.gatewayName}'; its consumers: ${quoted(consumers)}. Fix consumers.`)];
}

/**
 * key-auth's `allow` and `routes` name the gateway's consumers and routes: a misspelt route is left unguarded, a
 * misspelt consumer shut out, and neither is visible until traffic meets it.
 */
function keyAuthNames(g: AiGateway, e: Extension, at: string): Finding[] {
  const config = e.config as { allow?: unknown; routes?: unknown } | undefined;
  const consumers = g.children.consumers.map((c) => c.consumerName);
  const routes = [...g.children.modelRoutes, ...g.children.agentRoutes].map((r) => r.routeName);
  routes.push(...g.children.mcpServers.map((s) => s.serverName));
  const out: Finding[] = [];
  const strangers = unknownNames(config?.allow, consumers);
  if (strangers.length > 0) {
    out.push(finding(e, `${at}: config.allow names ${quoted(strangers)}, no consumer of gateway '${g.gatewayName}'; its consumers: ${quoted(consumers)}. Fix allow.`));
  }
  const nowhere = unknownNames(config?.routes, routes);
  if (nowhere.length > 0) {
    out.push(finding(e, `${at}: config.routes names ${quoted(nowhere)}, no route or MCP server of gateway '${g.gatewayName}'; its routes and MCP servers: ${quoted(routes)}. Fix routes.`));
  }
  return out;
}

function checkMarketplace(g: AiGateway, e: Extension, at: string): Finding[] {
  const versions = marketplaceVersions(e.name);
  if (versions.length === 0) {
    return [finding(e, `${at}: the marketplace has no extension '${e.name}'; its extensions: ${quoted(marketplaceNames())}. Fix name, or use source 'custom' for your own module.`)];
  }
  const manifest = findMarketplaceExtension(e.name, e.version);
  if (!manifest) {
    const asked = typeof e.version === 'string' ? `'${e.version}'` : JSON.stringify(e.version);
    return [
      finding(
        e,
        `${at}: the marketplace has no version ${asked} of '${e.name}'; its versions: ${quoted(versions)}. Set version to one of these, or leave it out for the latest ('${versions[0]}').`,
      ),
    ];
  }
  const out: Finding[] = [];
  // The edition's own refusal of the marketplace is the extensions rule's to report.
  if (FEATURES.extensionMarketplace[g.edition] && !manifest.editions.includes(g.edition)) {
    out.push(finding(e, `${at}: '${e.name}' ${manifest.version} may be installed on ${manifest.editions.join(' and ')} gateways only, and gateway '${g.gatewayName}' is ${g.edition}. Remove it from this gateway.`));
  }
  const problem = configProblem(manifest.definition, e);
  if (problem !== undefined) out.push(finding(e, `${at}: config does not match the schema of '${e.name}' ${manifest.version}: ${problem}. Fix config (the manifest: ${manifest.description})`));
  out.push(...inlineSecrets(e, at));
  return out;
}

/**
 * A marketplace extension's secret given as a value in its config (hmac-auth's `secret`) rather than in `secrets`:
 * a warning, since it works, but the value ends up in the ConfigMap and Terraform state.
 */
function inlineSecrets(e: Extension, at: string): Finding[] {
  const config = e.config as Record<string, unknown> | undefined;
  if (e.name !== 'hmac-auth' || typeof config?.secret !== 'string') return [];
  const message =
    `${at}: config.secret is given inline: it is written into the gateway's ConfigMap and Terraform state. ` +
    "Give it as a Secret key instead: secrets: { secret: { secretName, key } } (and remove config.secret); until then keep the state and the ConfigMap's namespace access-controlled.";
  return [{ ...finding(e, message), level: 'warning' }];
}

function check(ctx: RuleContext): Finding[] {
  return ctx.gateways.flatMap((g) =>
    g.children.extensions.flatMap((e) => {
      // A name that is not text is the config schema's to report.
      if (typeof e.name !== 'string') return [];
      const at = describe('Extension', e.name, e);
      if (e.source === 'system') return checkSystem(g, e, at);
      if (e.source === 'marketplace') return checkMarketplace(g, e, at);
      return [];
    }),
  );
}

export const marketplaceExtensionsRule: Rule = {
  id: 'marketplace-extensions',
  description:
    "A system or marketplace extension names one the gateway ships (a marketplace one, a version the catalog has, for the gateway's edition), with a config " +
    "its schema accepts (key-auth's allow and routes, token-quota's consumers name the gateway's consumers and routes); a secret given inline in a marketplace extension's config (hmac-auth's) is a warning.",
  level: 'error',
  errors: { suppressible: false, because: 'the data plane refuses a config naming an extension it does not ship, or a config the extension does not accept' },
  check,
};
