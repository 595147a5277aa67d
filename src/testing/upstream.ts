import { simulated } from '../cli/dev-rewrite';
import type { GatewayConfig } from '../specs';

/**
 * The config with every backend, agent and HTTP-to-MCP API pointed at one upstream (a simulator),
 * keeping each original URL's path, so provider path shapes (DashScope's `/compatible-mode/v1`,
 * Dify's `/v1`) are exercised as in the cluster. Service discovery is dropped: it would override
 * the address. MCP proxies keep their URLs: the simulator does not serve MCP.
 */
export function pointAtUpstream(config: GatewayConfig, upstreamUrl: string): GatewayConfig {
  const at = (url: string) => simulated(upstreamUrl, url);
  return {
    ...config,
    services: [],
    serviceSources: [],
    backends: config.backends.map(({ service: _service, ...b }) => ({ ...b, baseUrl: at(b.baseUrl) })),
    agentRoutes: config.agentRoutes.map((r) => {
      const { service: _service, ...upstream } = r.upstream;
      return { ...r, upstream: { ...upstream, baseUrl: at(upstream.baseUrl) } };
    }),
    mcpServers: config.mcpServers.map((m) => {
      if (m.kind === 'proxy') return m;
      const { service: _service, ...upstream } = m.upstream;
      return { ...m, upstream: { ...upstream, baseUrl: at(upstream.baseUrl) } };
    }),
  };
}
