import type { ModelRoute } from '../model-route';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';

function check(route: ModelRoute): Finding[] {
  const at = describe('ModelRoute', route.routeName, route);
  const graph = new Map(route.models.map((m) => [m.name, m.fallbacks ?? []]));
  const out: Finding[] = [];
  for (const [name, fallbacks] of graph) {
    for (const f of fallbacks) {
      if (!graph.has(f)) out.push(finding(route, `${at}: model '${name}' falls back to '${f}', which the route does not define. Add model '${f}' or remove the fallback.`));
    }
  }
  // Depth-first search; each loop is reported once, from its smallest member.
  const reported = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    const at0 = trail.indexOf(name);
    if (at0 >= 0) {
      const loop = trail.slice(at0);
      const key = [...loop].sort().join('|');
      if (!reported.has(key)) {
        reported.add(key);
        out.push(finding(route, `${at}: fallback loop ${[...loop, name].join(' → ')}. Remove one of these fallbacks.`));
      }
      return;
    }
    for (const next of graph.get(name) ?? []) if (graph.has(next)) visit(next, [...trail, name]);
  };
  for (const name of graph.keys()) visit(name, []);
  return out;
}

export const fallbackLoopsRule: Rule = {
  id: 'fallback-loops',
  description: 'Model fallbacks name models of the same route and never loop.',
  level: 'error',
  errors: { suppressible: false, because: 'the data plane rejects a fallback to a model the route does not define, or a loop' },
  check: (ctx) => ctx.gateways.flatMap((g) => g.children.modelRoutes.flatMap(check)),
};
