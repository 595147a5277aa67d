import { modelNamePattern } from '../../specs';
import type { ModelProps, ModelRoute } from '../model-route';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';

/** The entry's `*` patterns: its name and aliases that contain one (what the data plane's matcher makes regexes of). */
function patternsOf(m: ModelProps): string[] {
  return [m.name, ...(m.aliases ?? [])].filter((n) => typeof n === 'string' && n.includes('*'));
}

function check(route: ModelRoute): Finding[] {
  const at = describe('ModelRoute', route.routeName, route);
  const out: Finding[] = [];
  for (const m of route.models) {
    const limit: unknown = m.maxOutputTokens;
    if (limit !== undefined && !(typeof limit === 'number' && Number.isInteger(limit) && limit >= 1)) {
      out.push(finding(route, `${at}: model '${m.name}' has maxOutputTokens ${JSON.stringify(limit)}, but it must be a whole number of tokens, 1 or more. Set it to the model's output limit (e.g. 8192), or leave it out for no limit.`));
    }
    if (m.listAs === undefined) continue;
    if (!Array.isArray(m.listAs)) {
      out.push(finding(route, `${at}: model '${m.name}' has listAs ${JSON.stringify(m.listAs)}, but it must be an array of model names. Set listAs: ['name-a', 'name-b'].`));
      continue;
    }
    const patterns = patternsOf(m);
    if (patterns.length === 0) {
      out.push(finding(route, `${at}: model '${m.name}' has listAs, but it is no wildcard: /v1/models lists its own name and aliases already. Remove listAs, or put a '*' in the name (e.g. '${m.name}-*').`));
      continue;
    }
    const regexes = patterns.map(modelNamePattern);
    for (const name of m.listAs) {
      if (typeof name !== 'string' || name.length === 0 || name.includes('*')) {
        out.push(finding(route, `${at}: model '${m.name}' lists ${JSON.stringify(name)} in listAs, but each entry must be one model name without '*' (a pattern cannot be requested). Use a name such as '${patterns[0].replace(/\*/g, 'max')}'.`));
      } else if (!regexes.some((r) => r.test(name))) {
        out.push(finding(route, `${at}: model '${m.name}' lists '${name}' in listAs, but ${patterns.map((p) => `'${p}'`).join(' or ')} does not match it, so a client that picks it from /v1/models would not reach this model. List only names the pattern matches, or widen the pattern.`));
      }
    }
  }
  return out;
}

export const modelEntriesRule: Rule = {
  id: 'model-entries',
  description: "A model's maxOutputTokens is a positive whole number; listAs is set on wildcard models only, and names only model names their pattern matches.",
  level: 'error',
  errors: { suppressible: false, because: 'the data plane rejects a maxOutputTokens that is not a positive integer, and a listed name outside the pattern would be listed but not served' },
  check: (ctx) => ctx.gateways.flatMap((g) => g.children.modelRoutes.flatMap(check)),
};
