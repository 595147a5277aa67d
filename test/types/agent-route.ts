/**
 * Compile-time tests of agent routes' props for each kind. Type-checked by
 * `tsc --noEmit -p test/tsconfig.json`, never run. Each `// @ts-expect-error` has a positive
 * control next to it that must compile. What types cannot say (a Dify prop on another kind given to
 * `addAgentRoute`, a colliding `asModel`) is the `agent-routes` rule's, at synth.
 */
import { App, TerraformStack } from 'cdktf';
import {
  AiGatewayFleet,
  type AgentRouteOptions,
  type AgentRouteKindOptions,
  type CustomAgentMappingProps,
  type CustomAgentRouteOptions,
  type DifyAgentRouteOptions,
  type DifyAppType,
  type ModelStudioAgentRouteOptions,
} from 'cdktf-ai-gateway';

const stack = new TerraformStack(new App(), 'types');
const gateway = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou' }).addGateway('gw', { edition: 'serverless' });
const key = { secretName: 'agent-keys', key: 'dify' };

// The contract: one options interface, `kind` and the Dify props on it, `asModel` a string.
const support = gateway.addAgentRoute('support', {
  kind: 'dify',
  baseUrl: 'https://api.dify.ai/v1',
  apiKey: key,
  appType: 'workflow',
  variables: { query: 'question', system: 'persona', output: 'answer' },
  userMapping: 'client',
  asModel: 'support-bot',
  surfaceAgentEvents: true,
});
export const asModel: AgentRouteOptions['asModel'] = 'support-bot';
export const appType: AgentRouteOptions['appType'] = 'chat';
export const resolvedAppType: DifyAppType | undefined = support.appType;
export const events: boolean = support.surfaceAgentEvents;
// @ts-expect-error Dify's app types are chat, completion and workflow
gateway.addAgentRoute('agent-app', { kind: 'dify', baseUrl: 'https://api.dify.ai/v1', appType: 'agent' });
// @ts-expect-error the user is the consumer's or the client's
gateway.addAgentRoute('shared-user', { kind: 'dify', baseUrl: 'https://api.dify.ai/v1', userMapping: 'shared' });
// @ts-expect-error the variables are query, system and output
gateway.addAgentRoute('inputs', { kind: 'dify', baseUrl: 'https://api.dify.ai/v1', variables: { input: 'q' } });
// @ts-expect-error asModel is one name, not a list
gateway.addAgentRoute('names', { kind: 'dify', baseUrl: 'https://api.dify.ai/v1', asModel: ['a', 'b'] });
// @ts-expect-error every agent route names its kind
gateway.addAgentRoute('kindless', { baseUrl: 'https://agent.example.com' });

// Agents report usage: their tokens and time to first token are metrics, as a model route's.
export const tokens: string = support.metricTokens({ tokenType: 'input' }).promql;
export const ttft: string = support.metricTimeToFirstToken({ quantile: 0.5 }).promql;
// @ts-expect-error the token type is input or output
support.metricTokens({ tokenType: 'total' });

// The options of one kind refuse the props of another; each is an AgentRouteOptions, so addAgentRoute takes it.
const dify: DifyAgentRouteOptions = { kind: 'dify', baseUrl: 'https://api.dify.ai/v1', appType: 'completion', asModel: 'writer' };
const studio: ModelStudioAgentRouteOptions = { kind: 'model-studio', appId: 'app-123', asModel: 'studio-bot' };
const custom: CustomAgentRouteOptions = { kind: 'custom', baseUrl: 'https://agent.example.com' };
for (const [id, options] of [['dify', dify], ['studio', studio], ['custom', custom]] as const) gateway.addAgentRoute(id, options);
export const any: AgentRouteKindOptions[] = [dify, studio, custom];
// @ts-expect-error a Model Studio agent has no Dify app type
export const studioAppType: ModelStudioAgentRouteOptions = { kind: 'model-studio', appId: 'app-123', appType: 'chat' };
// @ts-expect-error a Model Studio agent needs its application's id
export const studioWithoutApp: ModelStudioAgentRouteOptions = { kind: 'model-studio' };
// @ts-expect-error a custom agent is a model only through its mapping: the gateway reads no protocol of it
export const customAsModel: CustomAgentRouteOptions = { kind: 'custom', baseUrl: 'https://agent.example.com', asModel: 'x' };

// A custom agent's mapping: any JSON template, and paths into its JSON answer; with asModel, a model.
const mapping: CustomAgentMappingProps = {
  path: '/run',
  request: { input: { question: '{{query}}', history: '{{messages}}' }, session: '{{conversationId}}', options: { stream: false, top: 3, tags: ['a', null] } },
  response: { answer: 'output.text', conversationId: 'session.id', inputTokens: 'usage.in', outputTokens: 'usage.out' },
};
export const customModel: CustomAgentRouteOptions = { kind: 'custom', baseUrl: 'https://agent.example.com', asModel: 'runner', mapping };
gateway.addAgentRoute('runner', customModel);
export const customMapping: CustomAgentMappingProps | undefined = gateway.addAgentRoute('runner-2', { kind: 'custom', baseUrl: 'https://agent.example.com', asModel: 'runner-2', mapping }).mapping;
// @ts-expect-error a mapping is read only with asModel
export const customMappingOnly: CustomAgentRouteOptions = { kind: 'custom', baseUrl: 'https://agent.example.com', mapping };
// @ts-expect-error a custom agent's mapping has no agent events to surface
export const customEvents: CustomAgentRouteOptions = { kind: 'custom', baseUrl: 'https://agent.example.com', asModel: 'runner', mapping, surfaceAgentEvents: true };
// @ts-expect-error a Dify agent is mapped by the gateway's own Dify mapping
export const difyMapping: DifyAgentRouteOptions = { kind: 'dify', baseUrl: 'https://api.dify.ai/v1', asModel: 'writer', mapping };
// @ts-expect-error the answer's path is required
export const noAnswer: CustomAgentMappingProps = { path: '/run', request: { q: '{{query}}' }, response: { conversationId: 'id' } };
// @ts-expect-error the template is JSON: no functions
export const notJson: CustomAgentMappingProps = { path: '/run', request: { q: () => 'x' }, response: { answer: 'text' } };
// @ts-expect-error a custom agent has no Dify user mapping
export const customUser: CustomAgentRouteOptions = { kind: 'custom', baseUrl: 'https://agent.example.com', userMapping: 'consumer' };
// @ts-expect-error in the union too, a custom agent has no Dify app type
export const mixed: AgentRouteKindOptions = { kind: 'custom', baseUrl: 'https://agent.example.com', appType: 'chat' };
