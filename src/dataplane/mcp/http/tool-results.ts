import type { McpToolResult } from '../tool-backend';

/**
 * Every result an HTTP-to-MCP tool call can end in, and the text of every tool error: the catalog of
 * what a caller (an agent, usually a model) reads when a call fails. Each message names the thing,
 * the value (bounded), the limit or expectation, and what to do. Tool errors are MCP results with
 * `isError: true`, not JSON-RPC errors: the model sees them and can correct its call.
 */

/** How much of a value a message quotes: enough to recognise it, never a whole document. */
const MAX_QUOTED_CHARS = 120;

export function toolText(text: string, structuredContent?: Record<string, unknown>): McpToolResult {
  return structuredContent ? { content: [{ type: 'text', text }], structuredContent } : { content: [{ type: 'text', text }] };
}

function toolError(text: string): McpToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** A value as a message quotes it: JSON, cut at MAX_QUOTED_CHARS. */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}

/** The JSON type of a value, as schemas name them. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export const ToolErrors = {
  unknownTool: (server: string, name: string, known: readonly string[]) =>
    toolError(`MCP server "${server}" has no tool ${quote(name)}; its tools are: ${known.join(', ')}. Call one of those.`),

  // ---- arguments (nothing was sent upstream)
  argumentMissing: (tool: string, at: string, expected: string) =>
    toolError(`Tool "${tool}": argument "${at}" is required but missing; expected ${expected}. Call again with it.`),
  argumentInvalid: (tool: string, at: string, value: unknown, expected: string) =>
    toolError(`Tool "${tool}": argument "${at}" is ${quote(value)} (${jsonType(value)}); expected ${expected}. Call again with a valid value.`),
  argumentNotDeclared: (tool: string, at: string, allowed: readonly string[]) =>
    toolError(
      `Tool "${tool}": argument "${at}" is not declared by the tool's input schema (additionalProperties is false); ` +
        `allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'}. Remove it and call again.`,
    ),
  argumentNotScalar: (tool: string, arg: string, where: string, value: unknown) =>
    toolError(`Tool "${tool}": argument "${arg}" is ${quote(value)} (${jsonType(value)}) but goes into the ${where}, which takes a string, number or boolean. Pass one of those.`),
  pathArgumentUnsafe: (tool: string, arg: string, value: unknown, problem: string) =>
    toolError(
      `Tool "${tool}": path argument "${arg}" is ${quote(value)}, which ${problem}; a path argument is exactly one URL path segment, ` +
        'so it may not be empty, "." or "..", nor contain "/", "\\" or ".." in any (percent-)encoding. Pass the plain value of that one segment.',
    ),
  headerArgumentUnsafe: (tool: string, arg: string, header: string, value: unknown) =>
    toolError(
      `Tool "${tool}": argument "${arg}" is ${quote(value)}, which would put control or non-ASCII characters (CR, LF, NUL…) into header "${header}"; ` +
        'a header value takes visible ASCII characters, spaces and tabs only. Pass a value without them.',
    ),

  // ---- the tool's own config (the same answer on every call until the config is fixed)
  reservedHeader: (tool: string, header: string) =>
    toolError(`Tool "${tool}" is misconfigured: its request sets header "${header}", which only the gateway sets (connection and framing headers). Remove it from the tool's request.headers.`),
  invalidHeaderName: (tool: string, header: string) =>
    toolError(`Tool "${tool}" is misconfigured: its request sets header ${quote(header)}, which is not an HTTP header name (RFC 9110 token characters). Fix the name in the tool's request.headers.`),
  leavesUpstream: (tool: string, origin: string, basePath: string) =>
    toolError(
      `Tool "${tool}" is misconfigured: its request would leave the declared upstream ${origin}${basePath}; the gateway refused to send it. ` +
        'Fix the tool\'s request.path so that it stays under the upstream\'s baseUrl.',
    ),

  // ---- the upstream's answer
  redirect: (server: string, status: number, location: string) =>
    toolError(
      `The upstream of MCP server "${server}" answered HTTP ${status}, a redirect to ${location}; the gateway does not follow redirects ` +
        '(a tool reaches only the declared upstream). Point the server\'s baseUrl or the tool\'s path at the final location.',
    ),
  upstreamStatus: (server: string, status: number, excerpt: string, cut: boolean) =>
    toolError(
      `The upstream of MCP server "${server}" answered HTTP ${status}` +
        (excerpt === '' ? ' with an empty body.' : `: ${excerpt}${cut ? ' […the body was cut at 2 KiB]' : ''}`),
    ),
  contentEncoding: (server: string, encoding: string) =>
    toolError(`The upstream of MCP server "${server}" answered with content-encoding "${encoding}" although the gateway asked for identity; have it send uncompressed bodies.`),
  pointerMissing: (server: string, tool: string, pointer: string) =>
    toolError(
      `The answer of MCP server "${server}" to tool "${tool}" has no value at JSON pointer ${quote(pointer)} (the tool's response.pointer). ` +
        'The upstream\'s answer does not have the declared shape: fix the pointer or the upstream.',
    ),
  /** MCP: a tool that declares an output schema must return a structured result; the SDK client refuses one without. */
  noStructuredResult: (server: string, tool: string, why: string) =>
    toolError(
      `The answer of MCP server "${server}" to tool "${tool}" ${why}, so it cannot be the structured result the tool's outputSchema promises. ` +
        "Fix the upstream, the tool's response.pointer, or drop its outputSchema.",
    ),
  pointerNotApplicable: (server: string, tool: string, pointer: string, why: string) =>
    toolError(`The answer of MCP server "${server}" to tool "${tool}" ${why}, so JSON pointer ${quote(pointer)} (the tool's response.pointer) cannot be applied.`),

  // ---- reaching the upstream
  unreachable: (server: string, reason: string) =>
    toolError(`The upstream of MCP server "${server}" could not be reached (${reason}). Try again later; if it persists, check the server's baseUrl.`),
  timeout: (server: string, which: string, ms: number) =>
    toolError(`The upstream of MCP server "${server}" did not answer in time: the ${which} timeout of ${ms} ms passed. Try again later or ask for less.`),
  circuitOpen: (server: string, failures: number, cooldownMs: number) =>
    toolError(
      `The upstream of MCP server "${server}" is taken out for ${cooldownMs / 1000} s after ${failures} consecutive failures (circuit breaker open); ` +
        'the call was not sent. Try again after the cool-down.',
    ),
  internal: (server: string, tool: string, message: string) =>
    toolError(`Tool "${tool}" of MCP server "${server}" failed inside the gateway: ${message}. This is a gateway bug; please report it.`),
};
