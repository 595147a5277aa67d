import { EXTENSION_BUDGETS_MS, FEATURES } from '../../specs';
import type { Extension } from '../extension';
import { describe, finding, type Finding } from '../violation';
import type { Rule, RuleContext } from './context';

function check(ctx: RuleContext): Finding[] {
  return ctx.gateways.flatMap((g) =>
    g.children.extensions.flatMap((e) => {
      const at = describe('Extension', e.name, e);
      const out: Finding[] = [];
      const source = e.source as string;
      if (!['system', 'marketplace', 'custom'].includes(source)) {
        out.push(finding(e, `${at}: source must be 'system', 'marketplace' or 'custom', found ${JSON.stringify(source)}. Fix source.`));
      } else if (g.edition === 'serverless' && source !== 'system') {
        const feature = source === 'custom' ? FEATURES.customExtensions : FEATURES.extensionMarketplace;
        out.push(
          finding(
            e, `${at}: ${feature.feature} are not available on the Serverless edition of gateway '${g.gatewayName}' (catalog: no). Remove it, or use a Dedicated gateway.`),
        );
      }
      if (source === 'custom' && !e.modulePath) {
        out.push(finding(e, `${at}: a custom extension needs modulePath, the path to its local module. Set modulePath.`));
      } else if (source === 'custom' && typeof e.modulePath !== 'string') {
        out.push(finding(e, `${at}: modulePath must be a path, found ${JSON.stringify(e.modulePath)}. Set modulePath.`));
      } else if (source === 'custom' && !ctx.fileExists(e.modulePath as string)) {
        out.push(finding(e, `${at}: modulePath '${e.modulePath}' does not exist. Fix the path (relative paths are from the working directory).`));
      }
      // Declared but not served is refused: a system or custom extension has no catalog version, only a custom one a module.
      if ((source === 'system' || source === 'custom') && e.version !== undefined) {
        out.push(finding(e, `${at}: version is for marketplace extensions (the catalog's versions); a ${source} extension has none, found ${JSON.stringify(e.version)}. Remove version.`));
      }
      if ((source === 'system' || source === 'marketplace') && (e.modulePath !== undefined || (Array.isArray(e.allowedModules) && e.allowedModules.length > 0))) {
        out.push(finding(e, `${at}: modulePath and allowedModules are for custom extensions; a ${source} extension is shipped with the gateway. Remove them.`));
      }
      const priority = e.priority;
      if (!Number.isInteger(priority) || priority < 0 || priority > 1000) {
        out.push(finding(e, `${at}: priority must be an integer from 0 to 1000, found ${priority}. Fix priority.`));
      }
      out.push(...budgetFindings(e, at));
      return out;
    }),
  );
}

/** The budgets in their ranges (EXTENSION_BUDGETS_MS): the data plane refuses a config with one outside them. */
function budgetFindings(e: Extension, at: string): Finding[] {
  const out: Finding[] = [];
  const { sync, async } = EXTENSION_BUDGETS_MS;
  const syncMs = e.syncBudgetMs;
  if (typeof syncMs !== 'number' || !Number.isFinite(syncMs) || syncMs < sync.min || syncMs > sync.max) {
    out.push(finding(e, `${at}: syncBudgetMs must be a number of milliseconds from ${sync.min} to ${sync.max}, found ${JSON.stringify(syncMs)}. Fix syncBudgetMs (default ${sync.default}).`));
  }
  const asyncMs = e.asyncBudgetMs;
  if (!Number.isInteger(asyncMs) || asyncMs < async.min || asyncMs > async.max) {
    out.push(finding(e, `${at}: asyncBudgetMs must be a whole number of milliseconds from ${async.min} to ${async.max}, found ${JSON.stringify(asyncMs)}. Fix asyncBudgetMs (default ${async.default}).`));
  }
  return out;
}

export const extensionsRule: Rule = {
  id: 'extensions',
  description:
    'Marketplace and custom extensions only on Dedicated gateways; a custom extension names a module that exists; version only on marketplace extensions, modulePath and allowedModules only on custom ones; ' +
    'hook budgets within their ranges (syncBudgetMs 0.1 to 1,000 ms, asyncBudgetMs 1 to 60,000 ms).',
  level: 'error',
  errors: { suppressible: false, because: "the edition does not offer the extension (the catalog's feature matrix), or its module cannot be loaded" },
  check,
};
