/**
 * Compile-time tests of grants and metric helpers on the resources. Type-checked by
 * `tsc --noEmit -p test/tsconfig.json`, never run. Each `// @ts-expect-error` has a positive
 * control next to it that must compile.
 */
import { App, TerraformStack } from 'cdktf';
import { AiGatewayFleet } from 'cdktf-ai-gateway';

const stack = new TerraformStack(new App(), 'types');
const gateway = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou' }).addGateway('gw', { edition: 'serverless' });
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

// Time to first token and tokens are measured on model routes only.
export const ttft: string = chat.metricTimeToFirstToken({ quantile: 0.9 }).promql;
export const tokens: string = chat.metricTokens({ tokenType: 'input' }).metricName;
// @ts-expect-error agent routes stream no tokens the gateway reads
agent.metricTimeToFirstToken();
// @ts-expect-error the token type is input or output
chat.metricTokens({ tokenType: 'both' });

// The histograms have no consumer label: latency is per route, not per consumer.
export const latency: Readonly<Record<string, string>> = gateway.metricLatency({ route: agent, quantile: 0.5 }).labels;
// @ts-expect-error latency has no consumer option
chat.metricLatency({ consumer: alice });
