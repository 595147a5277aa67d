/**
 * Compile-time tests of what the constructs expose: no construct (nor Backend) has a public
 * `props`; what users and rules need is a readonly field named as its prop, its default filled in.
 * Type-checked by `tsc --noEmit -p test/tsconfig.json`, never run. Each `// @ts-expect-error` has a
 * positive control next to it that must compile.
 */
import { App, TerraformStack } from 'cdktf';
import { AiGatewayFleet, Backend } from 'cdktf-ai-gateway';

const stack = new TerraformStack(new App(), 'types');
const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou' });
const gateway = fleet.addGateway('gw', { edition: 'dedicated', spec: 'aigw.small.x1' });
const openai = Backend.openAi();
const chat = gateway.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend: openai }] }] });
const agent = gateway.addAgentRoute('agent', { kind: 'dify', baseUrl: 'https://dify.internal/v1' });
const tools = gateway.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
const ext = gateway.addExtension('ext', { name: 'header-transform', source: 'system' });
const alice = gateway.addConsumer('alice', { apiKey: { secretName: 'keys', key: 'alice' } });
const svc = gateway.addUpstreamService('svc', { kind: 'dns', host: 'llm.internal', port: 80 });
const src = gateway.addServiceSource('src', { kind: 'in-cluster' });
const domain = gateway.addDomain('d', { hostname: 'ai.example.com' });

// Resolved fields, named as the props (positive controls).
export const host: string = chat.host;
export const pathPrefix: string = agent.pathPrefix;
export const keyAuth: boolean = chat.policies.keyAuth;
export const totalMs: number = agent.timeouts.totalMs;
export const attempts: number = openai.retries.attempts;
export const cooldownMs: number = openai.circuitBreaker.cooldownMs;
export const phase: string = ext.phase;
export const priority: number = ext.priority;
export const failPolicy: 'open' | 'closed' = ext.failPolicy;
export const transport: string | undefined = tools.transport;
export const bandwidthMbps: number = gateway.bandwidthMbps;
export const minReplicas: number = fleet.serverless.minReplicas;
export const port: number | undefined = svc.port;
export const apiKey: string = alice.apiKey.secretName;
export const hostname: string = domain.hostname;
export const sourceKind: string = src.kind;

// @ts-expect-error no public props
void fleet.props;
// @ts-expect-error no public props
void gateway.props;
// @ts-expect-error no public props
void chat.props;
// @ts-expect-error no public props
void agent.props;
// @ts-expect-error no public props
void tools.props;
// @ts-expect-error no public props
void ext.props;
// @ts-expect-error no public props
void alice.props;
// @ts-expect-error no public props
void svc.props;
// @ts-expect-error no public props
void src.props;
// @ts-expect-error no public props
void domain.props;
// @ts-expect-error no public props
void openai.props;

// Resolved fields are readonly.
// @ts-expect-error readonly
chat.host = 'other';
