import { carriesBody } from '../agent-proxy';
import { readBody } from '../body';
import type { CompiledAgentRoute } from '../compile/snapshot';
import { checkJsonShape } from '../json-shape';
import type { RequestContext } from '../request-context';
import { formFieldsOf } from '../waf/form-fields';
import { inspectBody } from '../waf/inspection';

/**
 * A custom agent's body, on a route whose WAF reads bodies: a custom agent's body otherwise streams through unread
 * (agent-proxy.ts), which would leave it uninspected. A body that may be text is read whole, within the route's
 * maxBodyBytes, inspected, and then sent from memory: JSON, a URL-encoded form, text, and a body whose type says nothing
 * (none, or application/octet-stream: many frameworks parse such a body as JSON anyway), which is inspected as JSON when
 * it is JSON. Multipart bodies and media (image, audio, video, fonts, archives) stream through uninspected (README
 * says so): the WAF never holds a whole upload.
 */
export function readInspectedAgentBody(ctx: RequestContext, route: CompiledAgentRoute): void | Promise<void> {
  const method = ctx.req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD' || !carriesBody(ctx.req)) return inspectBody(ctx, undefined);
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (UNREAD_TYPES.test(type)) return inspectBody(ctx, undefined);
  return readBody(ctx.req, route.maxBodyBytes, ctx.snapshot.bodyTimeoutMs, ctx.snapshot.bandwidth).then((raw) => {
    ctx.inspectedBody = raw;
    inspectBody(ctx, type === 'application/x-www-form-urlencoded' ? formFieldsOf(new URLSearchParams(raw.toString('utf8'))) : jsonOrText(raw, type, ctx.snapshot.maxJsonDepth));
  });
}

/** Types that are not text: an upload, or media. */
const UNREAD_TYPES = /^(?:multipart\/|image\/|audio\/|video\/|font\/|application\/(?:zip|gzip|x-gzip|x-tar|pdf|x-7z-compressed|vnd\.))/;

/**
 * The parsed document when the body is JSON (whatever its type says); otherwise its text, inspected as one string, so
 * that mislabelling a body hides nothing; a body of an untyped or octet-stream request that is not JSON is binary, not read.
 */
function jsonOrText(raw: Buffer, type: string, maxDepth: number): unknown {
  const text = raw.toString('utf8');
  const untyped = type === '' || type === 'application/octet-stream';
  // Nested past the limit (or a key twice): JSON a parser upstream may still read, inspected as text.
  if (checkJsonShape(raw, maxDepth, '') !== 'ok') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return untyped ? undefined : text;
  }
}
