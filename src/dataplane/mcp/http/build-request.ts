import type { McpToolConfig } from '../../../specs/config';
import type { McpToolResult } from '../tool-backend';
import { encodeSegment, segmentProblem } from './safe-segment';
import { parseTemplate, type Template } from './template';
import { ToolErrors } from './tool-results';

/**
 * A tool call's arguments → the HTTP request to the declared upstream. Compiled once per tool.
 *
 * No way out of the declared upstream: the request goes through the server's one keep-alive pool,
 * whose origin (scheme, host, port) comes from the config's baseUrl; arguments only ever fill
 * placeholders, each encoded for where it goes (a path argument is one encoded segment, see
 * safe-segment.ts; query values are form-encoded; header values are refused if they could break the
 * header). An argument that is an absolute URL is therefore just text in a segment or a query value.
 * After building, the URL is parsed back and must still have the configured origin and start with
 * the base path: a last check that also covers the config's own path text. What is sent is that
 * parsed path, so what was checked is what goes on the wire.
 */

export interface UpstreamTarget {
  /** `http://host:port`, from the server's baseUrl. */
  readonly origin: string;
  /** The baseUrl's path without a trailing slash (`''` for none). */
  readonly basePath: string;
}

export interface BuiltRequest {
  readonly method: McpToolConfig['request']['method'];
  /** Path and query, as sent. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

export type RequestBuilder = (args: Record<string, unknown>) => BuiltRequest | McpToolResult;

/** Headers that frame the connection or the message: only the gateway (undici) sets them. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-connection']);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** What a header value may contain: visible ASCII, space and tab. No CR, LF, NUL or other controls; no non-ASCII. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

export function compileRequest(tool: McpToolConfig, target: UpstreamTarget, auth: { name: string; value: string } | undefined): RequestBuilder {
  const { request } = tool;
  // The config's own mistakes are refused on every call, loudly, rather than sent or charged to the upstream.
  const invalid = Object.keys(request.headers).find((h) => !HEADER_NAME.test(h));
  const reserved = Object.keys(request.headers).find((h) => RESERVED_HEADERS.has(h.toLowerCase()));
  if (invalid !== undefined || reserved !== undefined) {
    const refusal = invalid !== undefined ? ToolErrors.invalidHeaderName(tool.name, invalid) : ToolErrors.reservedHeader(tool.name, reserved!);
    return () => refusal;
  }
  const path = parseTemplate(request.path);
  const query = Object.entries(request.query).map(([name, text]) => ({ name, template: parseTemplate(text) }));
  const headers = Object.entries(request.headers).map(([name, text]) => ({ name: name.toLowerCase(), template: parseTemplate(text) }));
  const fixedHeaders: Record<string, string> = {
    // The body is read as text (JSON or not): a compressed one would be unreadable, so ask for none.
    'accept-encoding': 'identity',
    'accept': tool.response.format === 'json' ? 'application/json' : '*/*',
  };
  const authName = auth?.name.toLowerCase();

  return (args) => {
    // ---- path: literal text from the config, each argument one encoded segment
    let pathText = target.basePath;
    for (const part of path.parts) {
      if ('literal' in part) {
        pathText += part.literal;
        continue;
      }
      const value = args[part.arg];
      if (value === undefined || value === null) return ToolErrors.argumentMissing(tool.name, part.arg, 'a value for the URL path');
      const text = scalarText(value);
      if (text === undefined) return ToolErrors.argumentNotScalar(tool.name, part.arg, 'URL path', value);
      const problem = segmentProblem(text);
      if (problem) return ToolErrors.pathArgumentUnsafe(tool.name, part.arg, value, problem);
      const encoded = encodeSegment(text);
      if (encoded === undefined) return ToolErrors.argumentInvalid(tool.name, part.arg, value, 'valid Unicode text');
      pathText += encoded;
    }

    // ---- the final URL, parsed back and checked against the declared upstream
    let url: URL;
    try {
      url = new URL(pathText, target.origin);
    } catch {
      return ToolErrors.leavesUpstream(tool.name, target.origin, target.basePath);
    }
    if (url.origin !== target.origin || url.username !== '' || url.password !== '' || !underBase(url.pathname, target.basePath)) {
      return ToolErrors.leavesUpstream(tool.name, target.origin, target.basePath);
    }

    // ---- query: form-encoded values; a parameter whose argument is absent is left out
    for (const { name, template } of query) {
      const only = template.only;
      const value = only === undefined ? undefined : args[only];
      if (only !== undefined && Array.isArray(value)) {
        for (const item of value) {
          const text = scalarText(item);
          if (text === undefined) return ToolErrors.argumentNotScalar(tool.name, only, `query parameter "${name}"`, item);
          url.searchParams.append(name, text);
        }
        continue;
      }
      const filled = fill(template, args);
      if (filled === null) continue;
      if (typeof filled !== 'string') return ToolErrors.argumentNotScalar(tool.name, filled.arg, `query parameter "${name}"`, filled.value);
      url.searchParams.append(name, filled);
    }

    // ---- headers: the tool's, then the gateway's own, then the upstream credential (never a client header: none reach here)
    const out: Record<string, string> = {};
    for (const { name, template } of headers) {
      if (name === authName) continue;
      const filled = fill(template, args);
      if (filled === null) continue;
      if (typeof filled !== 'string') return ToolErrors.argumentNotScalar(tool.name, filled.arg, `header "${name}"`, filled.value);
      if (!HEADER_VALUE.test(filled)) {
        const culprit = template.parts.find((p): p is { arg: string } => 'arg' in p && !HEADER_VALUE.test(scalarText(args[p.arg]) ?? ''));
        return ToolErrors.headerArgumentUnsafe(tool.name, culprit?.arg ?? '(the config\'s literal text)', name, culprit ? args[culprit.arg] : filled);
      }
      out[name] = filled;
    }
    for (const [name, value] of Object.entries(fixedHeaders)) out[name] ??= value;

    let body: string | undefined;
    if (request.bodyArg !== undefined && args[request.bodyArg] !== undefined) {
      body = JSON.stringify(args[request.bodyArg]);
      out['content-type'] = 'application/json';
    }
    if (auth) out[authName!] = auth.value;

    return { method: request.method, path: url.pathname + url.search, headers: out, body };
  };
}

function underBase(pathname: string, basePath: string): boolean {
  return basePath === '' || pathname === basePath || pathname.startsWith(`${basePath}/`);
}

/** A scalar argument as the text it puts in a URL or header; undefined for objects and arrays. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The template filled in: null when an argument it needs is absent, `{ arg, value }` when one is not a scalar. */
function fill(template: Template, args: Record<string, unknown>): string | null | { arg: string; value: unknown } {
  let text = '';
  for (const part of template.parts) {
    if ('literal' in part) {
      text += part.literal;
      continue;
    }
    const value = args[part.arg];
    if (value === undefined || value === null) return null;
    const scalar = scalarText(value);
    if (scalar === undefined) return { arg: part.arg, value };
    text += scalar;
  }
  return text;
}
