import { visibleRoutes } from './auth';
import { pathHasPrefix } from './compile/route-table';
import type { CompiledModelRoute } from './compile/snapshot';
import { modelIdOf } from './endpoints';
import { Errors } from './errors';
import { boundedForLog } from './log-bounds';
import type { RequestContext } from './request-context';

/** The as-model routes of the agents these model routes also serve, each once. */
function agentsOf(routes: readonly CompiledModelRoute[]): CompiledModelRoute[] {
  const out = new Set<CompiledModelRoute>();
  for (const r of routes) for (const a of r.agentModels) out.add(a);
  return [...out];
}

/** The models this consumer may use on this host and path (under an agent's own prefix: that agent's model). */
function visibleModels(ctx: RequestContext): { id: string; object: 'model'; created: number; owned_by: string }[] {
  const own = ctx.route?.kind === 'model' && ctx.route.owner ? ctx.route : undefined;
  // Under an agent's own prefix: that agent's model only. Elsewhere: the host's model routes under the path.
  const routes = own
    ? [own]
    : ctx.snapshot.routes.routesForHost(ctx.host).filter((r): r is CompiledModelRoute => r.kind === 'model' && pathHasPrefix(ctx.path, r.match.pathPrefix));
  if (routes.length === 0) throw Errors.noRoute(ctx.host, ctx.path);
  // An agent's model is listed to those its agent route admits; the route's own models to those the route admits.
  const agentRoutes = own ? [] : agentsOf(routes);
  const visible = agentRoutes.length === 0 ? visibleRoutes(routes, ctx.caller) : visibleRoutes([...routes, ...agentRoutes], ctx.caller);
  const admitted = new Set(visible);
  const seen = new Set<string>();
  return visible.flatMap((r) =>
    r.models.listableModels().flatMap(({ id, model }) => {
      if (seen.has(id) || (model.owner && !own && !admitted.has(model.owner.asModel!))) return [];
      seen.add(id);
      return [{ id, object: 'model' as const, created: 0, owned_by: model.owner?.name ?? r.name }];
    }),
  );
}

/** GET /v1/models: the models this consumer may use on this host and path. */
export function listModels(ctx: RequestContext): void {
  send(ctx, JSON.stringify({ object: 'list', data: visibleModels(ctx) }));
}

/** GET /v1/models/{id}: one of those models, or 404 as for a model the consumer may not use (its existence is not revealed). */
export function retrieveModel(ctx: RequestContext): void {
  const id = modelIdOf(ctx.path);
  const model = id === undefined ? undefined : visibleModels(ctx).find((m) => m.id === id);
  if (!model) throw Errors.noModel(boundedForLog(id ?? ctx.path), ctx.route!.name);
  send(ctx, JSON.stringify(model));
}

function send(ctx: RequestContext, body: string): void {
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  ctx.res.end(body);
}
