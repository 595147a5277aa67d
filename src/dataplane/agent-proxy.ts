import { Readable } from 'stream';
import type { Dispatcher } from 'undici';
import type { CompiledAgentRoute } from './compile/snapshot';
import { Errors } from './errors';
import type { ProxyEvents } from './model-proxy';
import type { RequestContext } from './request-context';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'authorization', 'x-api-key', 'content-length']);

/** An agent route: the request streams through to the agent's API, body and response unbuffered. */
export async function proxyAgentRequest(ctx: RequestContext, route: CompiledAgentRoute, events: ProxyEvents): Promise<void> {
  const declared = Number(ctx.req.headers['content-length']);
  if (Number.isFinite(declared) && declared > route.maxBodyBytes) throw Errors.tooLarge(route.maxBodyBytes);
  const upstream = route.upstream;
  const prefix = route.match.pathPrefix === '/' ? '' : route.match.pathPrefix.replace(/\/$/, '');
  let rest = ctx.path.slice(prefix.length) || '/';
  // Model Studio applications: POST {base}/apps/{appId}/completion.
  if (route.config.kind === 'model-studio' && route.config.appId) rest = `/apps/${encodeURIComponent(route.config.appId)}${rest === '/' ? '/completion' : rest}`;
  const headers: Record<string, string> = { ...upstream.headers };
  for (const [k, v] of Object.entries(ctx.req.headers)) if (typeof v === 'string' && !HOP_BY_HOP.has(k)) headers[k] = v;
  Object.assign(headers, upstream.headers);
  ctx.record.backend = upstream.config.name;

  let bytes = 0;
  const body = ctx.req.method === 'GET' || ctx.req.method === 'HEAD' ? undefined : Readable.from(limited(ctx, route.maxBodyBytes, (n) => (bytes = n)));
  let response: Dispatcher.ResponseData;
  events.onDispatch();
  try {
    response = await upstream.pool.request({
      path: `${upstream.basePath}${rest}${ctx.query}`,
      method: (ctx.req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body,
      signal: ctx.cancellation.signal,
    });
  } catch (e) {
    if (bytes > route.maxBodyBytes) throw Errors.tooLarge(route.maxBodyBytes);
    const code = (e as { code?: string }).code ?? 'error';
    if (code === 'UND_ERR_HEADERS_TIMEOUT') throw Errors.upstreamTimeout(upstream.config.name, 'first byte', upstream.config.timeouts.firstByteMs);
    throw Errors.upstreamUnreachable(upstream.config.name, code);
  }
  if (response.statusCode === 401 || response.statusCode === 403) {
    await response.body.dump();
    throw Errors.upstreamAuth(upstream.config.name);
  }
  events.onFirstByte();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers)) if (typeof v === 'string' && !HOP_BY_HOP.has(k)) out[k] = v;
  ctx.res.writeHead(response.statusCode, out);
  let first = true;
  try {
    for await (const chunk of response.body) {
      if (first) {
        first = false;
        events.onFirstToken();
      }
      if (!ctx.res.write(chunk)) await new Promise((r) => ctx.res.once('drain', r));
    }
    ctx.res.end();
  } catch {
    ctx.res.destroy();
  }
}

/** The request body as an async iterable that stops at the route's limit. */
async function* limited(ctx: RequestContext, limit: number, count: (n: number) => void): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    n += chunk.length;
    count(n);
    if (n > limit) throw Errors.tooLarge(limit);
    yield chunk;
  }
}
