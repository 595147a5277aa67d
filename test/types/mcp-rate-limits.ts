/**
 * Compile-time tests of MCP servers' rate limits. Type-checked by `tsc --noEmit -p test/tsconfig.json`,
 * never run (jest ignores test/types). Each `// @ts-expect-error` has a positive control next to it.
 */
import { App, TerraformStack } from 'cdktf';
import { AiGatewayFleet, type McpRateLimitProps } from 'cdktf-ai-gateway';

const stack = new TerraformStack(new App(), 'types');
const gateway = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou' }).addGateway('gw', { edition: 'serverless' });
const url = 'https://mcp.example.com/mcp';

// Positive controls: every window and both scopes; a tool limit on either kind of server.
export const limits: McpRateLimitProps[] = [
  { limit: 60, window: 'minute' },
  { name: 'shared', limit: 1_000, window: 'day', scope: 'server' },
  { limit: 5, window: 'second', scope: 'consumer', tool: 'delete' },
  { limit: 1, window: 'hour' },
  { limit: 1, window: 'month' },
];
export const proxy = gateway.addMcpServer('files', { kind: 'proxy', url, rateLimits: limits, onRedisUnavailable: 'failClosed' });
export const local = gateway.addMcpServer('api', { kind: 'http-to-mcp', baseUrl: 'https://api.example.com', rateLimits: [{ limit: 1, window: 'minute', tool: 'x' }] });
export const resolved: 'consumer' | 'server' = proxy.rateLimits[0]!.scope;

// @ts-expect-error a window is one of second, minute, hour, day, month
export const week: McpRateLimitProps = { limit: 1, window: 'week' };
// @ts-expect-error the routes' scopes are not an MCP server's: consumer or server
export const routeScope: McpRateLimitProps = { limit: 1, window: 'minute', scope: 'consumer-route' };
// @ts-expect-error MCP limits count requests: there is no kind (tokens)
export const tokens: McpRateLimitProps = { limit: 1, window: 'minute', kind: 'tokens' };
// @ts-expect-error the limit is required
export const noLimit: McpRateLimitProps = { window: 'minute' };
// @ts-expect-error onRedisUnavailable is failOpen or failClosed
gateway.addMcpServer('bad', { kind: 'proxy', url, onRedisUnavailable: 'open' });
