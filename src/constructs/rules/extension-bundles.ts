import { BundleLoadError, loadBundle } from '../../dataplane/extensions/bundle';
import { PACKAGE_NAME_PATTERN } from '../../specs';
import type { Extension } from '../extension';
import { describe, finding, type Finding } from '../violation';
import type { Rule, RuleContext } from './context';

/**
 * A custom extension's module bundles (its imports resolve, and each package it imports is a Node builtin or
 * allowed), within the size limit, and loads as the data plane loads it: its top level runs, and its default
 * export is an extension of the construct's name. A modulePath that is missing altogether is the extensions rule's.
 */
function check(ctx: RuleContext): Finding[] {
  return ctx.gateways.flatMap((g) => g.children.extensions.filter((e) => e.source === 'custom' && ctx.fileExists(e.modulePath as string)).flatMap(checkOne));
}

function checkOne(e: Extension): Finding[] {
  const at = describe('Extension', e.name, e);
  const allowed: unknown = e.allowedModules;
  if (!Array.isArray(allowed) || allowed.some((m) => typeof m !== 'string' || !PACKAGE_NAME_PATTERN.test(m))) {
    return [finding(e, `${at}: allowedModules must be a list of package names ('yaml', '@scope/name'), found ${JSON.stringify(allowed)}. Fix allowedModules.`)];
  }
  const result = e._bundle();
  if (!result) return [];
  if (!result.ok) return result.problems.map((p) => finding(e, `${at}: ${p}`));
  try {
    loadBundle(result.bundle, e.name);
  } catch (err) {
    const reason = err instanceof BundleLoadError ? err.reason : (err as Error).message;
    return [finding(e, `${at}: modulePath '${e.modulePath}' does not load as the gateway will load it: ${reason}`)];
  }
  return [];
}

export const extensionBundlesRule: Rule = {
  id: 'extension-bundles',
  description: "A custom extension's module bundles into one file within 1 MiB, imports only Node's builtins and allowedModules, and exports the extension it names.",
  level: 'error',
  errors: { suppressible: false, because: 'the data plane refuses a config whose extension bundle does not load' },
  check,
};
