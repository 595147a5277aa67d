import type { PoliciesConfig } from '../specs';
import { CONVERSATION_HEADER } from './agents/protocol';
import type { RequestContext } from './request-context';

type Cors = NonNullable<PoliciesConfig['cors']>;

/** Response headers of the gateway's own that a browser client may read. */
const EXPOSED_HEADERS = `${CONVERSATION_HEADER}, x-aigw-served-model, x-aigw-overhead-ms`;

function allowedOrigin(cors: Cors, origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  if (cors.allowOrigins.includes('*')) return '*';
  return cors.allowOrigins.includes(origin) ? origin : undefined;
}

/**
 * CORS for a route that configures it: answers a preflight itself (true: the request is done),
 * or adds the allow-origin header to the response that follows (false: carry on).
 */
export function applyCors(ctx: RequestContext, cors: Cors | undefined): boolean {
  if (!cors) return false;
  const origin = allowedOrigin(cors, ctx.req.headers.origin);
  const preflight = ctx.req.method === 'OPTIONS' && ctx.req.headers['access-control-request-method'] !== undefined;
  if (origin) {
    ctx.res.setHeader('access-control-allow-origin', origin);
    // A browser client continues an agent's conversation only if it may read the header that names it.
    ctx.res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    if (origin !== '*') ctx.res.setHeader('vary', 'Origin');
  }
  if (!preflight) return false;
  ctx.res.writeHead(origin ? 204 : 403, {
    ...(origin && {
      'access-control-allow-methods': cors.allowMethods.join(', '),
      'access-control-allow-headers': cors.allowHeaders.join(', '),
      'access-control-max-age': String(cors.maxAgeSeconds),
    }),
    'content-length': '0',
  });
  ctx.res.end();
  return true;
}
