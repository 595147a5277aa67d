import type { AiGateway } from '../gateway';
import { describe, finding, type Finding } from '../violation';
import type { Rule, RuleContext } from './context';
import { declaredTools } from './mcp-tool-grants';

function check(g: AiGateway, ctx: RuleContext): Finding[] {
  return g.children.mcpServers.flatMap((server) => {
    // A list that is not one is the config schema's to report.
    if (!Array.isArray(server.rateLimits)) return [];
    const declared = declaredTools(server, ctx);
    if (!declared) return [];
    const where = server.kind === 'proxy' ? 'allowTools' : server.openApiFile !== undefined ? 'tools or its OpenAPI file' : 'tools';
    return server.rateLimits.flatMap((limit, i) =>
      typeof limit?.tool !== 'string' || declared.includes(limit.tool)
        ? []
        : [
          finding(
            server,
            `${describe('McpServer', server.serverName, server)}: rateLimits[${i}] ('${limit.name}') limits tool ${JSON.stringify(limit.tool)}, which the server does not declare; its tools: ${declared.map((t) => `'${t}'`).join(', ')}. Name one of these in its tool, or add '${limit.tool}' to the server's ${where}.`,
          ),
        ],
    );
  });
}

export const mcpRateLimitsRule: Rule = {
  id: 'mcp-rate-limits',
  description: "An MCP server's per-tool rate limit names a tool the server declares, where synth knows them (an HTTP-to-MCP server's tools and OpenAPI operations, a proxy's allowTools when it lists some).",
  level: 'error',
  errors: { suppressible: false, because: 'a limit on a tool the server does not declare never counts anything: the budget it was meant to enforce would not exist' },
  check: (ctx) => ctx.gateways.flatMap((g) => check(g, ctx)),
};
