import { readBody } from '../body';
import type { CompiledAgentRoute } from '../compile/snapshot';
import { checkJsonShape } from '../json-shape';
import type { RequestContext } from '../request-context';
import { inspectBody } from '../waf/inspection';

/**
 * A custom agent's body, on a route whose WAF reads bodies: a custom agent's body otherwise streams through unread
 * (agent-proxy.ts), which would leave it uninspected. A textual body (JSON, a URL-encoded form, text) is read whole,
 * within the route's maxBodyBytes, inspected, and then sent from memory; a multipart or binary body still streams
 * through, uninspected (README says so): the WAF never holds a whole upload.
 */
export function readInspectedAgentBody(ctx: RequestContext, route: CompiledAgentRoute): void | Promise<void> {
  const method = ctx.req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD' || !carriesBody(ctx)) return inspectBody(ctx, undefined);
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const form = type === 'application/x-www-form-urlencoded';
  if (!form && !isJson(type) && !type.startsWith('text/')) return inspectBody(ctx, undefined);
  return readBody(ctx.req, route.maxBodyBytes, ctx.snapshot.bodyTimeoutMs).then((raw) => {
    ctx.inspectedBody = raw;
    inspectBody(ctx, form ? formFields(raw) : isJson(type) ? jsonOrText(raw, ctx.snapshot.maxJsonDepth) : raw.toString('utf8'));
  });
}

function carriesBody(ctx: RequestContext): boolean {
  const h = ctx.req.headers;
  return h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0');
}

function isJson(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** The parsed document; a body that is not JSON (or nests deeper than the limit) is inspected as one string, so that mislabelling it hides nothing. */
function jsonOrText(raw: Buffer, maxDepth: number): unknown {
  const text = raw.toString('utf8');
  if (checkJsonShape(raw, maxDepth, '') !== 'ok') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A URL-encoded form as an object of its fields (a repeated name: each value, in an array). */
function formFields(raw: Buffer): Record<string, string | string[]> {
  // No prototype: a field named __proto__ is a field like any other, not a way to hide one.
  const fields = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of new URLSearchParams(raw.toString('utf8'))) {
    const seen = fields[name];
    fields[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return fields;
}
