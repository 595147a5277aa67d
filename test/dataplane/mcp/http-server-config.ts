import type { McpServerConfig, McpToolConfig } from '../../../src/specs/config';
import { CONFIG_PART_SCHEMAS } from '../../../src/specs/config-parts';

export type HttpServerConfig = Extract<McpServerConfig, { kind: 'http-to-mcp' }>;

/** A tool as the config declares it: GET of `path` answering JSON, unless `overrides` say otherwise. */
export function tool(name: string, path: string, overrides: Partial<Omit<McpToolConfig, 'request' | 'response'>> & {
  request?: Partial<McpToolConfig['request']>;
  response?: Partial<McpToolConfig['response']>;
} = {}): McpToolConfig {
  const { request, response, ...rest } = overrides;
  return {
    name,
    description: `test tool ${name}`,
    inputSchema: { type: 'object', properties: {} },
    ...rest,
    request: { method: 'GET', path, query: {}, headers: {}, ...request },
    response: { format: 'json', ...response },
  };
}

/** An http-to-mcp server config, parsed with the contract's own schema so tests only use what a real config can say. */
export function httpServer(baseUrl: string, tools: McpToolConfig[], extra: Partial<HttpServerConfig> = {}): HttpServerConfig {
  const parsed = CONFIG_PART_SCHEMAS.mcpServer.parse({ name: 'rest', kind: 'http-to-mcp', path: '/mcp/rest', upstream: { baseUrl }, tools, ...extra });
  return parsed as HttpServerConfig;
}

/** A signal that never aborts, for calls that are not about cancellation. */
export const NEVER: AbortSignal = new AbortController().signal;

/** The text of a tool result's one content item. */
export function textOf(result: { content: { text: string }[] }): string {
  return result.content.map((c) => c.text).join('');
}
