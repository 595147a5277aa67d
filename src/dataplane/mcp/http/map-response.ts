import { StringDecoder } from 'string_decoder';
import type { McpToolConfig } from '../../../specs/config';
import { isObject } from '../../../specs/json';
import type { McpToolResult } from '../tool-backend';
import { resolvePointer } from './json-pointer';
import type { BoundedBody } from './read-body';
import { ToolErrors, toolText } from './tool-results';

/**
 * An upstream's answer (status and bounded body) → the tool result the MCP client reads, as the
 * tool's `response` declares: `json` (the document, or the value at `pointer`, as JSON text, plus
 * `structuredContent` when the tool has an output schema and the value is an object) or `text`.
 * Error statuses become `isError` results with the status and an excerpt of at most ERROR_EXCERPT_BYTES.
 */

/** The largest upstream response a tool result carries when the server sets no `maxResponseBytes`: 1 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** How much of an error body a tool error quotes: enough for the upstream's message, never a whole page. */
export const ERROR_EXCERPT_BYTES = 2 * 1024;

export interface ResponseShape {
  readonly server: string;
  readonly tool: McpToolConfig;
  /** The server's `maxResponseBytes`, or the default. */
  readonly limit: number;
}

export function mapSuccess(shape: ResponseShape, status: number, body: BoundedBody): McpToolResult {
  const { tool, server, limit } = shape;
  const text = decode(body);
  const pointer = tool.response.pointer;
  const structuredExpected = tool.outputSchema !== undefined;
  if (body.truncated) {
    if (structuredExpected) return ToolErrors.noStructuredResult(server, tool.name, `is longer than maxResponseBytes (${limit} bytes)`);
    const note = truncationNote(limit, pointer);
    return toolText(`${text}${note}`);
  }
  if (tool.response.format === 'text') return structuredExpected ? ToolErrors.noStructuredResult(server, tool.name, 'is read as text (response.format)') : toolText(text);
  if (text.trim() === '') {
    if (pointer !== undefined) return ToolErrors.pointerNotApplicable(server, tool.name, pointer, `is empty (HTTP ${status})`);
    if (structuredExpected) return ToolErrors.noStructuredResult(server, tool.name, `is empty (HTTP ${status})`);
    return toolText('');
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The tool says JSON but the upstream sent something else: the text is still the answer.
    if (pointer !== undefined) return ToolErrors.pointerNotApplicable(server, tool.name, pointer, 'is not JSON');
    if (structuredExpected) return ToolErrors.noStructuredResult(server, tool.name, 'is not JSON');
    return toolText(text);
  }
  let value = document;
  if (pointer !== undefined) {
    const found = resolvePointer(document, pointer);
    if (!found.found) return ToolErrors.pointerMissing(server, tool.name, pointer);
    value = found.value;
  }
  if (structuredExpected && !isObject(value)) return ToolErrors.noStructuredResult(server, tool.name, `is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}, not a JSON object`);
  const structured = structuredExpected ? (value as Record<string, unknown>) : undefined;
  // Without a pointer the upstream's own text is the JSON: no need to write it again.
  return toolText(pointer === undefined ? text : JSON.stringify(value), structured);
}

export function mapErrorStatus(server: string, status: number, body: BoundedBody): McpToolResult {
  return ToolErrors.upstreamStatus(server, status, decode(body).trim(), body.truncated);
}

/** UTF-8 text; at a cut, a character split by it is left out rather than shown as a replacement. */
function decode(body: BoundedBody): string {
  return body.truncated ? new StringDecoder('utf8').write(body.bytes) : body.bytes.toString('utf8');
}

function truncationNote(limit: number, pointer: string | undefined): string {
  return (
    `\n\n[truncated by the gateway: the upstream's answer is longer than this MCP server's maxResponseBytes (${limit} bytes), ` +
    `so only its first ${limit} bytes were read (shown here) and the rest was not${pointer === undefined ? '' : `; the JSON pointer ${pointer} was not applied`}. ` +
    'Ask for less (filters, paging) or raise maxResponseBytes.]'
  );
}
