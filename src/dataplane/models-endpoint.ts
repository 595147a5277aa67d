import { visibleRoutes } from './auth';
import { pathHasPrefix } from './compile/route-table';
import type { CompiledModelRoute } from './compile/snapshot';
import { Errors } from './errors';
import type { RequestContext } from './request-context';

/** GET /v1/models: the models this consumer may use on this host and path. */
export function listModels(ctx: RequestContext): void {
  const routes = ctx.snapshot.routes
    .routesForHost(ctx.host)
    .filter((r): r is CompiledModelRoute => r.kind === 'model' && pathHasPrefix(ctx.path, r.match.pathPrefix));
  if (routes.length === 0) throw Errors.noRoute(ctx.host, ctx.path);
  const visible = visibleRoutes(routes, ctx.caller);
  const seen = new Set<string>();
  const data = visible.flatMap((r) =>
    r.models.listable().flatMap((id) => {
      if (seen.has(id)) return [];
      seen.add(id);
      return [{ id, object: 'model', created: 0, owned_by: r.name }];
    }),
  );
  const body = JSON.stringify({ object: 'list', data });
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  ctx.res.end(body);
}
