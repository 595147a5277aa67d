import { PROVIDERS } from '../../specs';
import type { AiGateway } from '../gateway';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';

function check(g: AiGateway): Finding[] {
  const c = g.children;
  const out: Finding[] = [];
  for (const route of c.modelRoutes) {
    const at = describe('ModelRoute', route.routeName, route);
    if (route.models.length === 0) {
      out.push(finding(route, `${at}: has no models, so no backend. Add one with the models prop or route.addModel().`));
    }
    for (const model of route.models) {
      if ((model.targets ?? []).length === 0) {
        out.push(finding(route, `${at}: model '${model.name}' has no targets, so no backend. Add a target { backend } to it.`));
      }
      for (const target of model.targets ?? []) {
        const b = target.backend;
        if (!b || typeof b._baseUrl !== 'function' || !(b.provider in PROVIDERS)) {
          out.push(finding(route, `${at}: model '${model.name}' has a target whose backend provider is ${JSON.stringify(b?.provider)}. Use one of ${Object.keys(PROVIDERS).join(', ')}.`));
          continue;
        }
        if (!b._baseUrl()) {
          out.push(finding(route, `${at}: model '${model.name}' goes to a ${b.provider} backend with no baseUrl. Set baseUrl or service on the Backend.`));
        }
        if (b.provider === 'azure-openai' && !b.azure?.apiVersion) {
          out.push(finding(route, `${at}: model '${model.name}' goes to an Azure OpenAI backend with no azure.apiVersion. Set azure: { apiVersion: '2024-10-21' } or the version you deploy.`));
        }
      }
    }
  }
  for (const route of c.agentRoutes) {
    const at = describe('AgentRoute', route.routeName, route);
    const p = route;
    if (p.kind !== 'model-studio' && !p.baseUrl && !p.service) {
      out.push(finding(route, `${at}: a '${p.kind}' agent route has no baseUrl or service, so no backend. Set baseUrl (the agent's API) or service.`));
    }
    if (p.kind === 'model-studio' && !p.appId) {
      out.push(finding(route, `${at}: a 'model-studio' agent route needs the application's appId. Set appId.`));
    }
  }
  for (const server of c.mcpServers) {
    const at = describe('McpServer', server.serverName, server);
    const p = server;
    if (p.kind === 'proxy' && !p.url) out.push(finding(server, `${at}: a proxy MCP server has no url. Set url to the upstream MCP endpoint.`));
    if (p.kind === 'http-to-mcp') {
      if (!p.baseUrl && !p.service) out.push(finding(server, `${at}: an HTTP-to-MCP server has no baseUrl or service. Set baseUrl (the HTTP API) or service.`));
      if (p.tools.length === 0 && !p.openApiFile) out.push(finding(server, `${at}: an HTTP-to-MCP server has no tools. Set tools, or openApiFile to convert an OpenAPI 3 file.`));
    }
  }
  return out;
}

export const routeBackendsRule: Rule = {
  id: 'route-backends',
  description: 'Every route, model and MCP server has somewhere to send requests: a backend with a base URL, an agent URL and app id, an MCP upstream and tools.',
  level: 'error',
  errors: { suppressible: false, because: 'the data plane rejects a route, model or MCP server with nowhere to send requests' },
  check: (ctx) => ctx.gateways.flatMap(check),
};
