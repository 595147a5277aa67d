import type { McpToolConfig } from '../../../specs/config';
import type { UpstreamResponse } from '../../upstream-call';
import type { McpToolDescriptor, McpToolResult } from '../tool-backend';
import { compileRequest } from './build-request';
import { callToolUpstream, type ToolUpstream } from './call';
import { ERROR_EXCERPT_BYTES, mapErrorStatus, mapSuccess, type ResponseShape } from './map-response';
import { readBounded } from './read-body';
import { quote, ToolErrors } from './tool-results';
import { compileArgsCheck } from './validate-args';

/** One tool of an HTTP-to-MCP server, compiled at config load: check the arguments, build the request, call, map the answer. */
export interface CompiledTool {
  readonly descriptor: McpToolDescriptor;
  call(args: Record<string, unknown>, signal: AbortSignal): Promise<McpToolResult>;
}

export function compileTool(tool: McpToolConfig, upstream: ToolUpstream, limit: number): CompiledTool {
  const check = compileArgsCheck(tool.name, tool.inputSchema);
  const build = compileRequest(tool, upstream.target, upstream.auth);
  const shape: ResponseShape = { server: upstream.server, tool, limit };
  const answer = (response: UpstreamResponse) => answerOf(upstream, shape, response);
  const descriptor: McpToolDescriptor = {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
    ...(tool.outputSchema ? { outputSchema: tool.outputSchema } : {}),
  };
  return {
    descriptor,
    call: async (args, signal) => {
      // Both before any upstream call: a refused call costs the upstream nothing.
      const refusal = check(args);
      if (refusal) return refusal;
      const request = build(args);
      if ('content' in request) return request;
      return callToolUpstream(upstream, tool.name, request, signal, answer);
    },
  };
}

async function answerOf(upstream: ToolUpstream, shape: ResponseShape, response: UpstreamResponse): Promise<McpToolResult> {
  const status = response.statusCode;
  if (status >= 300 && status < 400) {
    // Not followed, not read: the body of a redirect is of no use to the caller.
    response.abort(new Error('redirects are not followed'));
    return ToolErrors.redirect(upstream.server, status, upstream.scrubber.text(redirectTarget(upstream.target.origin, response.headers.location)));
  }
  const encoding = response.headers['content-encoding'];
  if (typeof encoding === 'string' && encoding.trim() !== '' && encoding.trim().toLowerCase() !== 'identity') {
    response.abort(new Error('compressed answer'));
    return ToolErrors.contentEncoding(upstream.server, upstream.scrubber.text(encoding.slice(0, 64)));
  }
  if (status >= 400) {
    return mapErrorStatus(upstream.server, status, await readBounded(response, Math.min(ERROR_EXCERPT_BYTES, shape.limit), upstream.scrubber));
  }
  return mapSuccess(shape, status, await readBounded(response, shape.limit, upstream.scrubber));
}

/** Where a redirect points, as much as the message needs: its host, or that it stays on the upstream's. */
function redirectTarget(origin: string, location: string | string[] | undefined): string {
  const value = Array.isArray(location) ? location[0] : location;
  if (value === undefined || value === '') return 'nowhere (no Location header)';
  try {
    const url = new URL(value, origin);
    return url.origin === origin ? `the same host (${url.host})` : `host ${quote(url.host)}`;
  } catch {
    return `an unparsable Location ${quote(value)}`;
  }
}
