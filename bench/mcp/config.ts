/**
 * The MCP bench's gateway config, built from the constructs as a user would declare it: two proxied
 * MCP servers (the SDK upstream answering in JSON, and in SSE), one HTTP-to-MCP server over the REST
 * service, one consumer granted all, and `mcpSessionKey` set (as every multi-replica gateway should).
 */
import { secretEnvName } from '../../src/dataplane/secrets';
import { CONSUMER_KEY_REF } from '../dataplane/configs';
import { type BenchGatewayConfig, benchGatewayConfig } from '../shared/gateway-config';

export const SESSION_KEY_REF = { secretName: 'mcp-keys', key: 'session' } as const;
export const SESSION_KEY_ENV = secretEnvName(SESSION_KEY_REF);
/** A bench-only value; a real one is `openssl rand -base64 32` in a Secret. */
export const SESSION_KEY = 'aigw-bench-mcp-session-key-0123456789abcdef';

/** Where each server is published on the gateway, and what it fronts upstream. */
export const PATHS = {
  json: { gateway: '/mcp/echo-json', upstream: '/mcp/json' },
  sse: { gateway: '/mcp/echo-sse', upstream: '/mcp/sse' },
  rest: { gateway: '/mcp/rest', upstream: '/items/{{args.id}}' },
} as const;

/** `upstream`: the upstream process's base URL (`http://127.0.0.1:PORT`). */
export function buildMcpBenchConfig(upstream: string): BenchGatewayConfig {
  return benchGatewayConfig(
    { mcpSessionKey: SESSION_KEY_REF },
    (gateway) => {
      gateway.addMcpServer('echo-json', { kind: 'proxy', url: `${upstream}${PATHS.json.upstream}` });
      gateway.addMcpServer('echo-sse', { kind: 'proxy', url: `${upstream}${PATHS.sse.upstream}` });
      gateway.addMcpServer('rest', {
        kind: 'http-to-mcp',
        baseUrl: upstream,
        tools: [
          {
            name: 'get_item',
            description: 'one item by id',
            inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
            request: { method: 'GET', path: PATHS.rest.upstream },
          },
        ],
      });
      gateway.addConsumer('bench', { apiKey: CONSUMER_KEY_REF, grants: 'all' });
    },
    'no MCP rate limits configured',
  );
}
