import type { McpToolBackend } from '../tool-backend';
import { createToolUpstream, type HttpToMcpServerConfig } from './call';
import { DEFAULT_MAX_RESPONSE_BYTES } from './map-response';
import { compileTool } from './tool';
import { ToolErrors } from './tool-results';

/**
 * HTTP-to-MCP: an MCP server whose tools the gateway serves itself, each tool call becoming one
 * request to the server's declared REST upstream. Compiled once per config (the front builds one per
 * `http-to-mcp` server in the snapshot and closes it with the snapshot). The jobs, one file each:
 * argument checks (validate-args.ts), request building and its guards (build-request.ts,
 * safe-segment.ts, template.ts), the call (call.ts), reading and mapping the answer (read-body.ts,
 * map-response.ts, json-pointer.ts), and the texts of every result (tool-results.ts).
 */
export function createHttpToolBackend(server: HttpToMcpServerConfig, credential: string | undefined): McpToolBackend {
  const upstream = createToolUpstream(server, credential);
  const limit = server.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const tools = new Map(server.tools.map((t) => [t.name, compileTool(t, upstream, limit)]));
  const names = [...tools.keys()];
  return {
    tools: [...tools.values()].map((t) => t.descriptor),
    call: async (name, args, signal) => {
      const tool = tools.get(name);
      if (!tool) return ToolErrors.unknownTool(server.name, name, names);
      try {
        return await tool.call(args, signal);
      } catch (e) {
        // The interface's promise: reject only for the client leaving; anything else is a result.
        if (signal.aborted) throw e;
        return ToolErrors.internal(server.name, name, e instanceof Error ? e.message : String(e));
      }
    },
    close: async () => {
      // Waits for calls in flight (a request keeps the snapshot it started with), then closes the connections.
      await upstream.pool.close().catch(() => undefined);
    },
  };
}
