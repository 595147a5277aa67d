/**
 * Compile-time tests of grants and metric helpers on the resources. Type-checked by
 * `tsc --noEmit -p test/tsconfig.json`, never run. Each `// @ts-expect-error` has a positive
 * control next to it that must compile.
 */
import { App, TerraformStack } from 'cdktf';
import { AiGatewayFleet } from 'cdktf-ai-gateway';

const stack = new TerraformStack(new App(), 'types');
const gateway = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou' }).addGateway('gw', { edition: 'serverless', mcpSessionKey: { secretName: 'aigw-mcp', key: 'session-key' } });
const chat = gateway.addModelRoute('chat');
const agent = gateway.addAgentRoute('agent', { kind: 'dify', baseUrl: 'https://dify.internal/v1' });
const tools = gateway.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
const alice = gateway.addConsumer('alice', { apiKey: { secretName: 'keys', key: 'alice' } });

// Grants are given to consumers, and only to them.
chat.grantInvoke(alice).grantInvoke();
agent.grantInvoke(alice);
tools.grantAccess(alice);
// @ts-expect-error a route is not a grantee
chat.grantInvoke(agent);
// @ts-expect-error an MCP server is granted with grantAccess, not grantInvoke
tools.grantInvoke(alice);

// Tool grants: a server and tool names, from either side, or in the consumer's props.
tools.grantTools(alice, ['search']).grantAccess(alice);
alice.grantMcpTools(tools, ['search', 'fetch']).grantMcpServer(tools);
gateway.addConsumer('bob', { apiKey: { secretName: 'keys', key: 'bob' }, grants: { mcpServers: [tools], mcpTools: [{ server: tools, tools: ['search'] }] } });
export const granted: readonly string[] = alice.grantedMcpTools[0].tools;
// @ts-expect-error tools are a list of names, not one name
tools.grantTools(alice, 'search');
// @ts-expect-error a route has no tools to grant
alice.grantMcpTools(chat, ['search']);
// @ts-expect-error tools are granted to a consumer, not to a route
tools.grantTools(chat, ['search']);
// @ts-expect-error a tool grant names its server
gateway.addConsumer('carol', { apiKey: { secretName: 'keys', key: 'carol' }, grants: { mcpTools: [{ tools: ['search'] }] } });

// The MCP session key is a Secret reference on both editions, never a value.
new AiGatewayFleet(stack, 'keyed', { region: 'cn-hangzhou' }).addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1', mcpSessionKey: { secretName: 'aigw-mcp', key: 'session-key' } });
export const sessionKey: string | undefined = gateway.mcpSessionKey?.secretName;
// @ts-expect-error a SecretRef, not the key itself
new AiGatewayFleet(stack, 'raw', { region: 'cn-hangzhou' }).addGateway('s', { edition: 'serverless', mcpSessionKey: 'k3y' });

// Time to first token and tokens are measured on model and agent routes (Dify and Model Studio agents report usage).
export const ttft: string = chat.metricTimeToFirstToken({ quantile: 0.9 }).promql;
export const tokens: string = chat.metricTokens({ tokenType: 'input' }).metricName;
export const agentTtft: string = agent.metricTimeToFirstToken().promql;
export const agentTokens: string = agent.metricTokens({ consumer: alice, tokenType: 'output' }).promql;
// @ts-expect-error a gateway's tokens are asked of its routes
gateway.metricTokens();
// @ts-expect-error the token type is input or output
chat.metricTokens({ tokenType: 'both' });

// The histograms have no consumer label: latency is per route, not per consumer.
export const latency: Readonly<Record<string, string>> = gateway.metricLatency({ route: agent, quantile: 0.5 }).labels;
// @ts-expect-error latency has no consumer option
chat.metricLatency({ consumer: alice });
