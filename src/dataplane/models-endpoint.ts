import type { ModelEntryConfig } from '../specs';
import { visibleRoutes } from './auth';
import { pathHasPrefix } from './compile/route-table';
import type { CompiledModel, CompiledModelRoute } from './compile/snapshot';
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

interface ListedModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** The routes whose models this consumer may use here, and whether a model (an agent's included) is one of them. */
interface Visible {
  readonly routes: readonly CompiledModelRoute[];
  usable(model: CompiledModel): boolean;
}

/** The model routes this consumer may use on this host and path (under an agent's own prefix: that agent's). */
function visibleRoutesHere(ctx: RequestContext): Visible {
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
  return { routes: visible, usable: (model) => !model.owner || !!own || admitted.has(model.owner.asModel!) };
}

/**
 * The names a wildcard entry lists: its `listAs`, else its patterns themselves (a pattern cannot be
 * enumerated, and a client should find something to pick; `qwen-*` matches itself). An entry with no
 * pattern lists through the matcher's exact names.
 */
function wildcardNames(entry: ModelEntryConfig): readonly string[] {
  if (entry.listAs !== undefined) return entry.listAs;
  return [entry.name, ...entry.aliases].filter((n) => n.includes('*'));
}

/**
 * The models this consumer may use on this host and path: each route's exact names and aliases, then its
 * wildcard entries' names, each id once (the first route that answers it), as the model each resolves to.
 */
function visibleModels(ctx: RequestContext): ListedModel[] {
  const { routes, usable } = visibleRoutesHere(ctx);
  const seen = new Set<string>();
  const out: ListedModel[] = [];
  const add = (r: CompiledModelRoute, id: string, model: CompiledModel | undefined): void => {
    if (!model || seen.has(id) || !usable(model)) return;
    seen.add(id);
    out.push(listed(r, id, model));
  };
  for (const r of routes) {
    for (const { id, model } of r.models.listableModels()) add(r, id, model);
    for (const entry of r.config.models) for (const id of wildcardNames(entry)) add(r, id, r.models.match(id));
  }
  return out;
}

function listed(r: CompiledModelRoute, id: string, model: CompiledModel): ListedModel {
  return { id, object: 'model', created: 0, owned_by: model.owner?.name ?? r.name };
}

/** GET /v1/models: the models this consumer may use on this host and path. */
export function listModels(ctx: RequestContext): void {
  send(ctx, JSON.stringify({ object: 'list', data: visibleModels(ctx) }));
}

/**
 * GET /v1/models/{id}: a model this consumer may use, listed or not (a concrete name a wildcard entry
 * answers, `qwen-turbo` under `qwen-*`), as a request for it would resolve; else 404 as for a model the
 * consumer may not use (its existence is not revealed).
 */
export function retrieveModel(ctx: RequestContext): void {
  const id = modelIdOf(ctx.path);
  const model = id === undefined ? undefined : resolvable(ctx, id);
  if (!model) throw Errors.noModel(boundedForLog(id ?? ctx.path), ctx.route!.name);
  send(ctx, JSON.stringify(model));
}

/** The first visible route whose models answer `id` with one this consumer may use. */
function resolvable(ctx: RequestContext, id: string): ListedModel | undefined {
  const { routes, usable } = visibleRoutesHere(ctx);
  for (const r of routes) {
    const model = r.models.match(id);
    if (model && usable(model)) return listed(r, id, model);
  }
  return undefined;
}

function send(ctx: RequestContext, body: string): void {
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  ctx.res.end(body);
}
