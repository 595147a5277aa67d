import { AnnotationMetadataEntryType, type TerraformStack } from 'cdktf';
import { configOf, fleetStack, openAi, synth, synthError } from './fixtures';
import { AgentRoute, type AiGateway, QUOTA_COUNTERS } from '../../src';
import { parseGatewayConfig } from '../../src/specs';

const DIFY = 'https://api.dify.ai/v1';
const key = (name: string) => ({ secretName: 'agent-keys', key: name });
/** Props as a plain-JS caller could pass them: TypeScript is not there to stop them. */
const untyped = (props: object): any => props;

/** The messages of one rule's errors, in the order synth reports them. */
function errorsOf(stack: TerraformStack, rule: string): string[] {
  return [...synthError(stack).matchAll(new RegExp(`\\[${rule}\\] (.*)$`, 'gm'))].map((m) => m[1]);
}

/** The messages of one rule's warning annotations, by construct path. */
function warningsOf(stack: TerraformStack, rule: string): { path: string; message: string }[] {
  return stack.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === AnnotationMetadataEntryType.WARN && String(m.data).startsWith(`[${rule}] `))
      .map((m) => ({ path: c.node.path, message: String(m.data).slice(rule.length + 3) })),
  );
}

function gateway() {
  const { stack, fleet } = fleetStack();
  const g = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1' });
  return { stack, g };
}

const at = (route: AgentRoute) => `AgentRoute '${route.routeName}' (${route.node.path})`;

describe('agent routes: props for each kind, in the config', () => {
  test('a Dify agent gets its defaults (chat app, user per consumer); other kinds get none of them', () => {
    const { stack, g } = gateway();
    const dify = g.addAgentRoute('support', { kind: 'dify', pathPrefix: '/support', baseUrl: DIFY, apiKey: key('dify') });
    const studio = g.addAgentRoute('studio', { kind: 'model-studio', pathPrefix: '/studio', appId: 'app-123', apiKey: key('studio') });
    const custom = g.addAgentRoute('custom', { kind: 'custom', pathPrefix: '/custom', baseUrl: 'https://agent.example.com' });
    expect([dify.appType, dify.userMapping, dify.asModel, dify.surfaceAgentEvents]).toEqual(['chat', 'consumer', undefined, false]);
    expect([studio.appType, studio.userMapping, custom.appType, custom.userMapping]).toEqual([undefined, undefined, undefined, undefined]);

    const config = configOf(synth(stack), 'prod');
    expect(config.agentRoutes.map((r) => [r.name, r.appType, r.userMapping, r.variables, r.asModel, r.surfaceAgentEvents])).toEqual([
      ['support', 'chat', 'consumer', undefined, undefined, undefined],
      ['studio', undefined, undefined, undefined, undefined, undefined],
      ['custom', undefined, undefined, undefined, undefined, undefined],
    ]);
    expect(config.agentRoutes[1].upstream.baseUrl).toBe('https://dashscope.aliyuncs.com/api/v1');
    expect(parseGatewayConfig(config).ok).toBe(true);
  });

  test('every prop of a Dify workflow exposed as a model, and a Model Studio app as a model, reach the config as given', () => {
    const { stack, g } = gateway();
    const consumer = g.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' } });
    const flow = g.addAgentRoute('flow', {
      kind: 'dify',
      pathPrefix: '/flow',
      baseUrl: DIFY,
      appType: 'workflow',
      variables: { query: 'question', system: 'persona', output: 'answer' },
      userMapping: 'client',
      asModel: 'flow-bot',
      surfaceAgentEvents: true,
      policies: { rateLimits: [{ kind: 'tokens', limit: 10_000, window: 'minute' }] },
    });
    const studio = g.addAgentRoute('studio', { kind: 'model-studio', pathPrefix: '/studio', appId: 'app-123', asModel: 'studio-bot', surfaceAgentEvents: false });
    flow.grantInvoke(consumer);
    studio.grantInvoke(consumer);

    const config = configOf(synth(stack), 'prod');
    expect(config.agentRoutes[0]).toMatchObject({
      name: 'flow',
      kind: 'dify',
      appType: 'workflow',
      variables: { query: 'question', system: 'persona', output: 'answer' },
      userMapping: 'client',
      asModel: 'flow-bot',
      surfaceAgentEvents: true,
      upstream: { baseUrl: DIFY },
      policies: { rateLimits: [{ kind: 'tokens', limit: 10_000, window: 'minute' }] },
    });
    expect(config.agentRoutes[1]).toMatchObject({ name: 'studio', kind: 'model-studio', appId: 'app-123', asModel: 'studio-bot', surfaceAgentEvents: false });
    expect(config.agentRoutes[1]).not.toHaveProperty('appType');
    expect(parseGatewayConfig(config)).toMatchObject({ ok: true });
    expect(warningsOf(stack, 'agent-routes')).toEqual([]);
  });

  test('agents count toward the online-routes quota', () => {
    const { g } = gateway();
    g.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
    g.addAgentRoute('a', { kind: 'dify', pathPrefix: '/a', baseUrl: DIFY });
    g.addAgentRoute('b', { kind: 'model-studio', pathPrefix: '/b', appId: 'app-1' });
    expect(QUOTA_COUNTERS.routes(g)).toBe(3);
  });

  test('agents report usage: their tokens and time to first token are metrics, as a model route\'s', () => {
    const { g } = gateway();
    const support = g.addAgentRoute('support', { kind: 'dify', baseUrl: DIFY, asModel: 'support-bot' });
    const alice = g.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' } });
    expect(support.metricTokens({ consumer: alice, tokenType: 'output' })).toEqual({
      metricName: 'gen_ai_client_token_usage_total',
      labels: { gateway: 'prod', route: 'support', consumer: 'alice', gen_ai_token_type: 'output' },
      promql: 'sum(rate(gen_ai_client_token_usage_total{gateway="prod",route="support",consumer="alice",gen_ai_token_type="output"}[5m]))',
    });
    expect(support.metricTimeToFirstToken().promql).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(gen_ai_server_time_to_first_token_seconds_bucket{gateway="prod",route="support"}[5m])))',
    );
  });
});

describe('the agent-routes rule', () => {
  test('props of another kind, bad Dify variables, asModel on a custom agent without a mapping and token limits it cannot count: every error at once', () => {
    const { stack, g } = gateway();
    const studio = g.addAgentRoute(
      'studio',
      untyped({ kind: 'model-studio', pathPrefix: '/studio', appId: 'app-1', appType: 'workflow', variables: { query: 'q' }, userMapping: 'client' }),
    );
    const custom = g.addAgentRoute('custom', {
      kind: 'custom',
      pathPrefix: '/custom',
      baseUrl: 'https://agent.example.com',
      ...untyped({ asModel: 'helper', userMapping: 'consumer' }),
      policies: { rateLimits: [{ limit: 10, window: 'second' }, { kind: 'tokens', limit: 1000, window: 'minute' }] },
    });
    const chat = g.addAgentRoute('chat', { kind: 'dify', pathPrefix: '/chat', baseUrl: DIFY, asModel: 'chat-bot', variables: { query: 'question', output: 'answer', system: '1st prompt' } });
    const completion = g.addAgentRoute('completion', { kind: 'dify', pathPrefix: '/completion', baseUrl: DIFY, appType: 'completion', asModel: 'writer', variables: { query: 'text', system: 'text', output: 'out' } });
    const flow = g.addAgentRoute('flow', { kind: 'dify', pathPrefix: '/flow', baseUrl: DIFY, appType: 'workflow', asModel: 'flow-*', variables: untyped({ query: 'has space', output: 7 }) });

    expect(errorsOf(stack, 'agent-routes')).toEqual([
      `${at(studio)}: appType "workflow" is for Dify agents only (it picks a Dify app's endpoint); a 'model-studio' agent would ignore it. Remove appType, or set kind: 'dify' if the agent is a Dify app.`,
      `${at(studio)}: variables {"query":"q"} is for Dify agents only (they name a Dify app's input and output variables); a 'model-studio' agent would ignore it. Remove variables, or set kind: 'dify' if the agent is a Dify app.`,
      `${at(studio)}: userMapping "client" is for Dify agents only (it sets Dify's user field); a 'model-studio' agent would ignore it. Remove userMapping, or set kind: 'dify' if the agent is a Dify app.`,
      `${at(custom)}: userMapping "consumer" is for Dify agents only (it sets Dify's user field); a 'custom' agent would ignore it. Remove userMapping, or set kind: 'dify' if the agent is a Dify app.`,
      `${at(custom)}: asModel "helper" on a 'custom' agent without a mapping: the gateway reads no protocol of a custom agent, so it cannot map OpenAI requests to it. ` +
        "Declare the agent's mapping ({ path, request, response }: the JSON it takes and where its answer is), or remove asModel; for an agent that speaks OpenAI's API, add a model to a ModelRoute with a Backend.openAiCompatible({ baseUrl }) target instead.",
      `${at(custom)}: policies.rateLimits[1] counts tokens, but a 'custom' agent reports no usage: the limit would count the gateway's estimate of each request, never what the agent used. Use kind: 'requests', or kind: 'dify' or 'model-studio' if the agent is one of these.`,
      `${at(chat)}: variables.system "1st prompt": must be a Dify variable name: a letter or _, then letters, digits or _ (at most 64). Use the variable's name as the Dify app declares it.`,
      `${at(chat)}: variables.query "question" is for completion and workflow apps; a Dify chat app takes the message as its own query field, so it would be ignored. Remove variables.query, or set appType: 'completion' or 'workflow'.`,
      `${at(chat)}: variables.output "answer" is for workflow apps; a Dify chat app answers in its own answer field, so it would be ignored. Remove variables.output, or set appType: 'workflow'.`,
      `${at(completion)}: variables.output "out" is for workflow apps; a Dify completion app answers in its own answer field, so it would be ignored. Remove variables.output, or set appType: 'workflow'.`,
      `${at(completion)}: variables.query and variables.system are both "text": the message and the system prompt would go to one input. Give the system prompt an input variable of its own.`,
      `${at(flow)}: variables.query "has space": must be a Dify variable name: a letter or _, then letters, digits or _ (at most 64). Use the variable's name as the Dify app declares it.`,
      `${at(flow)}: variables.output 7: must be a Dify variable name (a string). Use the variable's name as the Dify app declares it.`,
      `${at(flow)}: asModel "flow-*" contains '*': asModel is one model name, and a '*' would make it a pattern that /v1/models cannot list. Use a plain name such as 'support-bot'.`,
    ]);
  });

  test('an asModel that a model of the gateway answers to, or another agent has, fails; each is named', () => {
    const { stack, g } = gateway();
    const chat = g.addModelRoute('chat', {
      pathPrefix: '/v1',
      models: [
        { name: 'gpt-4o', aliases: ['support-bot', 'qwen-*'], targets: [{ backend: openAi() }] },
        { name: 'claude-*', targets: [{ backend: openAi() }] },
      ],
    });
    const lab = g.addModelRoute('lab', { pathPrefix: '/lab', models: [{ name: 'writer', targets: [{ backend: openAi() }] }] });
    const support = g.addAgentRoute('support', { kind: 'dify', pathPrefix: '/support', baseUrl: DIFY, asModel: 'support-bot' });
    const sonnet = g.addAgentRoute('sonnet', { kind: 'model-studio', pathPrefix: '/sonnet', appId: 'app-1', asModel: 'claude-sonnet' });
    const writer = g.addAgentRoute('writer', { kind: 'dify', pathPrefix: '/writer', baseUrl: DIFY, asModel: 'writer' });
    const twin = g.addAgentRoute('twin', { kind: 'model-studio', pathPrefix: '/twin', appId: 'app-2', asModel: 'support-bot' });
    const qwen = g.addAgentRoute('qwen', { kind: 'dify', pathPrefix: '/qwen', baseUrl: DIFY, asModel: 'qwen-agent' });
    // Another gateway's models and agents are not this gateway's.
    const other = g.fleet.addGateway('other', { edition: 'serverless' });
    other.addAgentRoute('support', { kind: 'dify', baseUrl: DIFY, asModel: 'support-bot' });

    const chatAt = `ModelRoute 'chat' (${chat.node.path})`;
    const fix = 'Choose an asModel that no model name, alias or pattern of the gateway answers to.';
    expect(errorsOf(stack, 'agent-routes')).toEqual([
      `${at(support)}: asModel 'support-bot' is also alias 'support-bot' of model 'gpt-4o' of ${chatAt} of the same gateway: there that model answers the name, never the agent. ${fix}`,
      `${at(sonnet)}: asModel 'claude-sonnet' is matched by model pattern 'claude-*' of ${chatAt} of the same gateway: there that model answers the name, never the agent. ${fix}`,
      `${at(writer)}: asModel 'writer' is also model name 'writer' of ModelRoute 'lab' (${lab.node.path}) of the same gateway: there that model answers the name, never the agent. ${fix}`,
      `${at(twin)}: asModel 'support-bot' is also alias 'support-bot' of model 'gpt-4o' of ${chatAt} of the same gateway: there that model answers the name, never the agent. ${fix}`,
      `${at(twin)}: asModel 'support-bot' is already the model name of ${at(support)} of the same gateway: one name cannot reach two agents. Give each agent its own asModel.`,
      `${at(qwen)}: asModel 'qwen-agent' is matched by alias pattern 'qwen-*' of model 'gpt-4o' of ${chatAt} of the same gateway: there that model answers the name, never the agent. ${fix}`,
    ]);
  });

  test('warnings: nothing to surface into or to read variables, and a Dify base URL that is not the API root', () => {
    const { stack, g } = gateway();
    const svc = g.addUpstreamService('dify', { kind: 'dns', host: 'dify.internal', port: 80 });
    const events = g.addAgentRoute('events', { kind: 'model-studio', pathPrefix: '/events', appId: 'app-1', surfaceAgentEvents: true });
    const vars = g.addAgentRoute('vars', { kind: 'dify', pathPrefix: '/vars', baseUrl: 'https://dify.example.com/v1/', appType: 'completion', variables: { query: 'question' } });
    const root = g.addAgentRoute('root', { kind: 'dify', pathPrefix: '/root', baseUrl: 'https://dify.example.com/', appType: 'workflow', asModel: 'root-bot' });
    const onService = g.addAgentRoute('on-service', { kind: 'dify', pathPrefix: '/svc', service: svc });
    // Given both, the gateway calls the service at the base URL's path: no warning.
    g.addAgentRoute('on-service-v1', { kind: 'dify', pathPrefix: '/svc1', service: svc, baseUrl: svc.url('http', '/v1') });
    // Model Studio and custom agents are not Dify's.
    g.addAgentRoute('custom', { kind: 'custom', pathPrefix: '/custom', baseUrl: 'https://agent.example.com' });
    synth(stack);

    expect(warningsOf(stack, 'agent-routes')).toEqual([
      {
        path: events.node.path,
        message: `${at(events)}: surfaceAgentEvents is true, but the route has no asModel: agent events are surfaced on the OpenAI mapping only, so nothing is surfaced. Set asModel, or remove surfaceAgentEvents.`,
      },
      {
        path: vars.node.path,
        message: `${at(vars)}: variables are read only by the OpenAI mapping, and the route has no asModel: they change nothing (native Dify clients send their own inputs). Set asModel to expose the agent as a model, or remove variables.`,
      },
      {
        path: root.node.path,
        message: `${at(root)}: baseUrl "https://dify.example.com/" does not end in /v1: the gateway calls https://dify.example.com/workflows/run, while Dify serves its API under /v1 (as in https://api.dify.ai/v1). Set baseUrl to the API root, e.g. 'https://dify.example.com/v1'.`,
      },
      {
        path: onService.node.path,
        message: `${at(onService)}: the URL of service 'dify', "http://dify.internal:80", does not end in /v1: the gateway calls http://dify.internal:80/chat-messages, while Dify serves its API under /v1 (as in https://api.dify.ai/v1). Set baseUrl: service.url('http', '/v1') (keep service).`,
      },
    ]);
  });

  test('a custom agent with a mapping is a model: the mapping reaches the config as given, and its asModel is checked as any other', () => {
    const { stack, g } = gateway();
    g.addModelRoute('chat', { pathPrefix: '/v1', models: [{ name: 'gpt-4o', aliases: ['runner'], targets: [{ backend: openAi() }] }] });
    const mapping = {
      path: '/run',
      request: { input: { question: '{{query}}', history: '{{messages}}' }, session: '{{conversationId}}', tags: ['gateway', 1, true, null] },
      response: { answer: 'output.text', conversationId: 'session.id', inputTokens: 'usage.in', outputTokens: 'usage.out' },
    };
    const helper = g.addAgentRoute('helper', { kind: 'custom', pathPrefix: '/helper', baseUrl: 'https://agent.example.com/api', asModel: 'helper-bot', mapping });
    expect(helper.mapping).toEqual(mapping);
    const config = configOf(synth(stack), 'prod');
    expect(config.agentRoutes[0]).toMatchObject({ name: 'helper', kind: 'custom', asModel: 'helper-bot', mapping });
    expect(parseGatewayConfig(config)).toMatchObject({ ok: true });
    expect(warningsOf(stack, 'agent-routes')).toEqual([]);

    const other = gateway();
    const runner = other.g.addAgentRoute('runner', { kind: 'custom', pathPrefix: '/runner', baseUrl: 'https://agent.example.com', asModel: 'runner', mapping });
    other.g.addModelRoute('chat', { pathPrefix: '/v1', models: [{ name: 'gpt-4o', aliases: ['runner'], targets: [{ backend: openAi() }] }] });
    expect(errorsOf(other.stack, 'agent-routes')).toEqual([
      `${at(runner)}: asModel 'runner' is also alias 'runner' of model 'gpt-4o' of ModelRoute 'chat' (${other.g.children.modelRoutes[0].node.path}) of the same gateway: there that model answers the name, never the agent. Choose an asModel that no model name, alias or pattern of the gateway answers to.`,
    ]);
  });

  test('mapping on an agent of another kind, or without asModel, is an error naming the prop and the fix; surfaceAgentEvents on a custom agent a warning', () => {
    const { stack, g } = gateway();
    const mapping = { path: '/run', request: { q: '{{query}}' }, response: { answer: 'text' } };
    const dify = g.addAgentRoute('dify', untyped({ kind: 'dify', pathPrefix: '/dify', baseUrl: DIFY, asModel: 'dify-bot', mapping }));
    const studio = g.addAgentRoute('studio', untyped({ kind: 'model-studio', pathPrefix: '/studio', appId: 'app-1', mapping }));
    const unused = g.addAgentRoute('unused', untyped({ kind: 'custom', pathPrefix: '/unused', baseUrl: 'https://agent.example.com', mapping }));
    const events = g.addAgentRoute('events', untyped({ kind: 'custom', pathPrefix: '/events', baseUrl: 'https://agent.example.com', asModel: 'events-bot', mapping, surfaceAgentEvents: true }));

    expect(errorsOf(stack, 'agent-routes')).toEqual([
      `${at(dify)}: mapping is for 'custom' agents only; a 'dify' agent is mapped by the gateway's own Dify mapping, so it would be ignored. Remove mapping (the app's input and output variables are set with variables), or set kind: 'custom' if the agent is not a Dify app.`,
      `${at(studio)}: mapping is for 'custom' agents only; a 'model-studio' agent is mapped by the gateway's own Model Studio mapping, so it would be ignored. Remove mapping, or set kind: 'custom' if the agent is not a Model Studio application.`,
      `${at(unused)}: mapping is given, but the route has no asModel: the mapping is read only when OpenAI clients call the agent as a model (its own path prefix passes bytes through), so it would be ignored. Set asModel to the model name clients call it by, or remove mapping.`,
    ]);
    expect(warningsOf(stack, 'agent-routes')).toEqual([
      {
        path: events.node.path,
        message: `${at(events)}: surfaceAgentEvents is true, but a 'custom' agent's mapping reads one JSON answer, with no agent events: nothing is surfaced. Remove surfaceAgentEvents.`,
      },
    ]);
  });

  test('a bad mapping is reported at synth by the config schema, at the route, naming each field', () => {
    const { stack, g } = gateway();
    const bad = g.addAgentRoute('bad', {
      kind: 'custom',
      pathPrefix: '/bad',
      baseUrl: 'https://agent.example.com',
      asModel: 'bad-bot',
      mapping: { path: '/../run', request: { q: '{{question}}' }, response: { answer: 'output..text' } },
    });
    const message = synthError(stack);
    expect(message).toContain(`[config-schema] ${at(bad)}: mapping.path: must not have "." or ".." segments`);
    expect(message).toContain('mapping.request.q: {{question}} is not a placeholder: use {{query}}, {{system}}, {{messages}}, {{conversationId}}, {{user}}, {{model}}');
    expect(message).toContain("mapping.request: has neither {{query}} nor {{messages}}: the user's message would never reach the agent.");
    expect(message).toContain('mapping.response.answer: must be a dotted path into the JSON answer');
  });

  test('a plain-JS caller\'s values of the wrong type are reported, not a crash', () => {
    const { stack, g } = gateway();
    const odd = new AgentRoute(stack, 'odd', untyped({ gateway: g as AiGateway, kind: 'dify', baseUrl: DIFY, variables: 'query', asModel: 42, surfaceAgentEvents: 'yes' }));
    const message = synthError(stack);
    expect(message).not.toContain('could not check');
    expect(message).toContain(`[config-schema] ${at(odd)}:`);
    expect(message).toContain('variables');
    expect(message).toContain('asModel');
  });
});
