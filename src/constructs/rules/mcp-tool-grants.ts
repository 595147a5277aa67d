import type { AiGateway } from '../gateway';
import type { McpServer } from '../mcp-server';
import { describe, finding, type Finding } from '../violation';
import type { Rule, RuleContext } from './context';

/**
 * The tools an MCP server declares, where synth knows them: an HTTP-to-MCP server's inline tools
 * and its OpenAPI file's (undefined when the file could not be converted: openapi-files says why);
 * a proxy's `allowTools` when it lists some (an empty list lets through whatever the upstream has,
 * which only the upstream knows).
 */
export function declaredTools(server: McpServer, ctx: Pick<RuleContext, 'openApi'>): readonly string[] | undefined {
  if (server.kind === 'proxy') return server.allowTools.length > 0 ? server.allowTools : undefined;
  const converted = ctx.openApi.get(server);
  if (converted && !converted.ok) return undefined;
  return [...server.tools.map((t) => t?.name), ...(converted?.tools.map((t) => t.name) ?? [])];
}

function check(g: AiGateway, ctx: RuleContext): Finding[] {
  return g.children.consumers.flatMap((consumer) =>
    consumer.grantedMcpTools.flatMap(({ server, tools }) => {
      // A server of another gateway is foreign-references'; a malformed grant is the config schema's.
      if (server?.gateway !== g || !Array.isArray(tools)) return [];
      const declared = declaredTools(server, ctx);
      if (!declared) return [];
      const where = server.kind === 'proxy' ? 'allowTools' : server.openApiFile !== undefined ? 'tools or its OpenAPI file' : 'tools';
      return [...new Set(tools)]
        .filter((tool) => !declared.includes(tool))
        .map((tool) =>
          finding(
            consumer,
            `${describe('Consumer', consumer.consumerName, consumer)}: is granted tool ${JSON.stringify(tool)} of ${describe('McpServer', server.serverName, server)}, which declares no such tool; its tools: ${declared.map((t) => `'${t}'`).join(', ')}. Grant one of these (server.grantTools(consumer, [...])), or add '${tool}' to the server's ${where}.`,
          ),
        );
    }),
  );
}

export const mcpToolGrantsRule: Rule = {
  id: 'mcp-tool-grants',
  description: "A consumer's tool grant names tools its MCP server declares, where synth knows them (an HTTP-to-MCP server's tools and OpenAPI operations, a proxy's allowTools when it lists some).",
  level: 'error',
  errors: { suppressible: false, because: 'a tool the server does not declare can never be listed or called: the grant would give the consumer nothing it asked for' },
  check: (ctx) => ctx.gateways.flatMap((g) => check(g, ctx)),
};
