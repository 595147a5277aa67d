import { configOf, fleetStack, openAi, synth, synthError } from './fixtures';
import type { PrometheusMetric } from '../../src/constructs/metrics';
import { type TestGateway, UpstreamSimulator } from '../../src/testing';
import { client, CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from '../dataplane/harness';

const model = () => ({ name: 'gpt-4o', targets: [{ backend: openAi() }] });
const key = (k: string) => ({ secretName: 'consumer-keys', key: k });

function prodGateway() {
  const { stack, fleet } = fleetStack();
  const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1' });
  const chat = prod.addModelRoute('chat', { pathPrefix: '/chat', models: [model()] });
  const support = prod.addAgentRoute('support', { kind: 'dify', pathPrefix: '/agents/support', baseUrl: 'https://dify.internal/v1' });
  const tools = prod.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
  const alice = prod.addConsumer('alice', { apiKey: key('alice') });
  const bob = prod.addConsumer('bob', { apiKey: key('bob') });
  return { stack, fleet, prod, chat, support, tools, alice, bob };
}

describe('grants live on the resources too', () => {
  test('route.grantInvoke and mcpServer.grantAccess grant what consumer.grantRoute and grantMcpServer grant', () => {
    const { stack, chat, support, tools, alice, bob } = prodGateway();
    expect(chat.grantInvoke(alice, bob)).toBe(chat);
    expect(support.grantInvoke(alice)).toBe(support);
    expect(tools.grantAccess(bob)).toBe(tools);
    // The twins land in one place: the consumer's grants.
    expect(alice.grantedRoutes).toEqual([chat, support]);
    expect(bob.grantedRoutes).toEqual([chat]);
    expect(bob.grantedMcpServers).toEqual([tools]);

    const grants = Object.fromEntries(configOf(synth(stack), 'prod').consumers.map((c) => [c.name, c.grants]));
    expect(grants).toEqual({
      alice: { all: false, routes: ['chat', 'support'], mcpServers: [] },
      bob: { all: false, routes: ['chat'], mcpServers: ['tools'] },
    });
  });

  test('a grant given from either side is rendered once', () => {
    const { stack, chat, alice } = prodGateway();
    chat.grantInvoke(alice);
    alice.grantRoute(chat);
    expect(configOf(synth(stack), 'prod').consumers.find((c) => c.name === 'alice')?.grants.routes).toEqual(['chat']);
  });

  test("a grant to another gateway's consumer fails synth, as from the consumer's side", () => {
    const { stack, fleet, chat, tools } = prodGateway();
    const lab = fleet.addGateway('lab', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const carol = lab.addConsumer('carol', { apiKey: key('carol') });
    chat.grantInvoke(carol);
    tools.grantAccess(carol);
    const message = synthError(stack);
    expect(message).toContain(`Consumer 'carol' (${carol.node.path}): refers to a grant to route 'chat' (${chat.node.path}) of Gateway 'prod'`);
    expect(message).toContain("refers to a grant to MCP server 'tools'");
  });
});

describe('metric helpers name the series the data plane emits, with a ready PromQL expression', () => {
  test('the gateway: requests, errors, client and server errors, latency', () => {
    const { prod, chat, support, alice } = prodGateway();
    expect(prod.metricRequests()).toEqual({
      metricName: 'aigw_requests_total',
      labels: { gateway: 'prod' },
      promql: 'sum(rate(aigw_requests_total{gateway="prod"}[5m]))',
    });
    expect(prod.metricRequests({ route: chat, consumer: alice, window: '1m' })).toEqual({
      metricName: 'aigw_requests_total',
      labels: { gateway: 'prod', route: 'chat', consumer: 'alice' },
      promql: 'sum(rate(aigw_requests_total{gateway="prod",route="chat",consumer="alice"}[1m]))',
    });
    expect(prod.metricErrors({ route: support }).promql).toBe('sum(rate(aigw_request_errors_total{gateway="prod",route="support"}[5m]))');
    expect(prod.metricClientErrors()).toEqual({
      metricName: 'aigw_requests_total',
      labels: { gateway: 'prod' },
      promql: 'sum(rate(aigw_requests_total{gateway="prod",status=~"4.."}[5m]))',
    });
    expect(prod.metricServerErrors({ window: '1h30m' }).promql).toBe('sum(rate(aigw_requests_total{gateway="prod",status=~"5.."}[1h30m]))');
    expect(prod.metricLatency()).toEqual({
      metricName: 'gen_ai_server_request_duration_seconds',
      labels: { gateway: 'prod' },
      promql: 'histogram_quantile(0.99, sum by (le) (rate(gen_ai_server_request_duration_seconds_bucket{gateway="prod"}[5m])))',
    });
    expect(prod.metricLatency({ route: chat, quantile: 0.5 }).promql).toBe(
      'histogram_quantile(0.5, sum by (le) (rate(gen_ai_server_request_duration_seconds_bucket{gateway="prod",route="chat"}[5m])))',
    );
  });

  test('a model route: requests, errors, latency, time to first token, tokens', () => {
    const { chat, alice } = prodGateway();
    expect(chat.metricRequests()).toEqual({
      metricName: 'aigw_requests_total',
      labels: { gateway: 'prod', route: 'chat' },
      promql: 'sum(rate(aigw_requests_total{gateway="prod",route="chat"}[5m]))',
    });
    expect(chat.metricErrors({ consumer: alice }).promql).toBe('sum(rate(aigw_request_errors_total{gateway="prod",route="chat",consumer="alice"}[5m]))');
    expect(chat.metricLatency({ quantile: 0.95, window: '10m' }).promql).toBe(
      'histogram_quantile(0.95, sum by (le) (rate(gen_ai_server_request_duration_seconds_bucket{gateway="prod",route="chat"}[10m])))',
    );
    expect(chat.metricTimeToFirstToken()).toEqual({
      metricName: 'gen_ai_server_time_to_first_token_seconds',
      labels: { gateway: 'prod', route: 'chat' },
      promql: 'histogram_quantile(0.99, sum by (le) (rate(gen_ai_server_time_to_first_token_seconds_bucket{gateway="prod",route="chat"}[5m])))',
    });
    expect(chat.metricTokens()).toEqual({
      metricName: 'gen_ai_client_token_usage_total',
      labels: { gateway: 'prod', route: 'chat' },
      promql: 'sum(rate(gen_ai_client_token_usage_total{gateway="prod",route="chat"}[5m]))',
    });
    expect(chat.metricTokens({ consumer: alice, tokenType: 'output' }).promql).toBe(
      'sum(rate(gen_ai_client_token_usage_total{gateway="prod",route="chat",consumer="alice",gen_ai_token_type="output"}[5m]))',
    );
  });

  test('an agent route: requests, errors, latency', () => {
    const { support, bob } = prodGateway();
    expect(support.metricRequests({ consumer: bob }).promql).toBe('sum(rate(aigw_requests_total{gateway="prod",route="support",consumer="bob"}[5m]))');
    expect(support.metricErrors().labels).toEqual({ gateway: 'prod', route: 'support' });
    expect(support.metricLatency().metricName).toBe('gen_ai_server_request_duration_seconds');
  });

  test('label values are the names the config carries: routeName, consumerName, gatewayName', () => {
    const { fleet } = fleetStack();
    const g = fleet.addGateway('Edge', { edition: 'serverless', gatewayName: 'edge-1' });
    const route = g.addModelRoute('Chat', { routeName: 'chat-v2', models: [model()] });
    const consumer = g.addConsumer('Alice', { apiKey: key('alice'), consumerName: 'team-a' });
    expect(g.metricRequests({ route, consumer }).labels).toEqual({ gateway: 'edge-1', route: 'chat-v2', consumer: 'team-a' });
  });

  test('a custom label named gateway replaces the name on every series, and the helpers follow it (escaped in PromQL)', () => {
    const { fleet } = fleetStack();
    const g = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', observability: { customLabels: { gateway: 'a"b\\c', team: 'ai' } } });
    expect(g.metricRequests()).toEqual({
      metricName: 'aigw_requests_total',
      labels: { gateway: 'a"b\\c' },
      promql: 'sum(rate(aigw_requests_total{gateway="a\\"b\\\\c"}[5m]))',
    });
  });

  test('what would select nothing is refused at the call: another gateway\'s route or consumer, a bad window or quantile', () => {
    const { fleet, prod, chat } = prodGateway();
    const lab = fleet.addGateway('lab', { edition: 'serverless' });
    const theirs = lab.addModelRoute('theirs', { models: [model()] });
    const carol = lab.addConsumer('carol', { apiKey: key('carol') });
    expect(() => prod.metricRequests({ route: theirs })).toThrow(`route 'theirs' (${theirs.node.path}) belongs to another gateway than 'prod'`);
    expect(() => chat.metricErrors({ consumer: carol })).toThrow(`consumer 'carol' (${carol.node.path}) belongs to another gateway than 'prod'`);
    expect(() => chat.metricRequests({ window: '5 minutes' })).toThrow("window must be a Prometheus duration such as '5m' or '1h30m', found '5 minutes'");
    expect(() => chat.metricLatency({ quantile: 99 })).toThrow('quantile must be a number between 0 and 1, found 99');
    expect(() => chat.metricLatency({ quantile: Number.NaN })).toThrow('quantile must be a number between 0 and 1, found NaN');
  });
});

/** Every sample of a /metrics text: name, labels, value. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
      return { name: m[1], labels, value: Number(m[3]) };
    });
}

/** The counted samples a helper selects: its metric (a histogram's `_count`), every label it names, and `narrow`. */
function selected(text: string, metric: PrometheusMetric, narrow: (labels: Record<string, string>) => boolean = () => true) {
  return samples(text).filter(
    (s) =>
      (s.name === metric.metricName || s.name === `${metric.metricName}_count`) &&
      Object.entries(metric.labels).every(([k, v]) => s.labels[k] === v) &&
      narrow(s.labels) &&
      s.value > 0,
  );
}

describe("the helpers' series appear in a running gateway's /metrics", () => {
  let sim: UpstreamSimulator;
  let gw: TestGateway;
  const g = gatewayStack({ edition: 'dedicated', spec: 'aigw.small.x1', observability: { customLabels: { gateway: 'edge', team: 'ai' } } });
  let chat: ReturnType<typeof g.addModelRoute>;
  let alice: ReturnType<typeof g.addConsumer>;

  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
    const backend = simulatedBackend(sim, { provider: 'openai' });
    chat = g.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
    alice = g.addConsumer('alice', { apiKey: key('alice') });
    chat.grantInvoke(alice);
    gw = await start(g);
  });
  afterAll(async () => {
    await gw?.close();
    await sim?.close();
  });

  test('requests, errors, client errors, latency, time to first token and tokens', async () => {
    const openai = client(gw, CONSUMER_KEYS.alice);
    await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    for await (const chunk of stream) void chunk;
    await expect(openai.chat.completions.create({ model: 'no-such-model', messages: [] })).rejects.toMatchObject({ status: 404 });
    // Metrics are counted once the response has closed: a moment after the client has read it.
    let text = '';
    for (let i = 0; i < 50 && selected(text, chat.metricErrors()).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      text = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    }

    const helpers: [string, PrometheusMetric][] = [
      ['gateway requests', g.metricRequests()],
      ['gateway requests of route and consumer', g.metricRequests({ route: chat, consumer: alice })],
      ['gateway errors', g.metricErrors({ consumer: alice })],
      ['gateway latency', g.metricLatency({ route: chat })],
      ['route requests', chat.metricRequests({ consumer: alice })],
      ['route errors', chat.metricErrors({ consumer: alice })],
      ['route latency', chat.metricLatency()],
      ['route time to first token', chat.metricTimeToFirstToken()],
      ['route tokens', chat.metricTokens({ consumer: alice, tokenType: 'output' })],
    ];
    for (const [what, metric] of helpers) expect([what, selected(text, metric).length > 0]).toEqual([what, true]);
    expect(g.metricRequests().labels).toEqual({ gateway: 'edge' });
    expect(selected(text, g.metricClientErrors(), (l) => /^4..$/.test(l.status))).not.toHaveLength(0);
    // No 5xx was answered: the server-error helper selects no counted series.
    expect(selected(text, g.metricServerErrors(), (l) => /^5..$/.test(l.status))).toHaveLength(0);
  });
});
