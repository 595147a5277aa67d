/**
 * The MCP bench's gateway config, built from the constructs as a user would declare it: two proxied
 * MCP servers (the SDK upstream answering in JSON, and in SSE), one HTTP-to-MCP server over the REST
 * service, one consumer granted all, and `mcpSessionKey` set (as every multi-replica gateway should).
 */
import { rmSync } from 'fs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { AiGatewayFleet } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { secretEnvName } from '../../src/dataplane/secrets';
import type { GatewayConfig } from '../../src/specs';
import { CONSUMER_KEY_REF } from '../dataplane/configs';

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

export interface McpBenchConfig {
  readonly config: GatewayConfig;
  /** What was changed after synthesis, for the report. */
  readonly changes: string[];
}

/** `upstream`: the upstream process's base URL (`http://127.0.0.1:PORT`). */
export function buildMcpBenchConfig(upstream: string): McpBenchConfig {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'bench');
  new KubernetesProvider(stack, 'k8s', {});
  const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'bench' });
  const gateway = fleet.addGateway('gw', { edition: 'dedicated', spec: 'aigw.large.x4', mcpSessionKey: SESSION_KEY_REF });
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
  const synthesized = synthesizedGatewayConfig(gateway);
  // Testing.app() leaves a cdktf.outdir.* folder in the system temp dir: the bench removes it.
  rmSync(app.outdir, { recursive: true, force: true });
  const config = structuredClone(synthesized.config);
  const changes: string[] = [];
  // The spec's per-replica ceiling would measure the ceiling, not the process (as in the data-plane bench).
  changes.push(`limits.maxQps ${config.limits.maxQps} → 1000000`);
  config.limits = { ...config.limits, maxQps: 1_000_000 };
  // No MCP server here has a rate limit, so nothing needs the Dedicated gateway's Redis.
  if (config.redis) changes.push('redis removed (no MCP rate limits configured)');
  delete (config as { redis?: unknown }).redis;
  return { config, changes };
}

