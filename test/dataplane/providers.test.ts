import { client, gatewayStack, simulatedBackend, start, UPSTREAM_KEY } from './harness';
import { type ProviderType } from '../../src/specs';
import { UpstreamSimulator } from '../../src/testing';

/** What each provider entry must send upstream: path (and query), auth header, served model. */
interface ProviderCase {
  provider: ProviderType;
  basePath: string;
  keyRef?: string;
  path: string;
  auth?: [string, string];
  query?: Record<string, string>;
}

const CASES: ProviderCase[] = [
  { provider: 'openai', basePath: '/v1', keyRef: 'openai', path: '/v1/chat/completions', auth: ['authorization', `Bearer ${UPSTREAM_KEY}`] },
  {
    provider: 'azure-openai',
    basePath: '',
    keyRef: 'azure',
    path: '/openai/deployments/gpt4o-prod/chat/completions',
    auth: ['api-key', UPSTREAM_KEY],
    query: { 'api-version': '2024-10-21' },
  },
  { provider: 'dashscope', basePath: '/compatible-mode/v1', keyRef: 'dashscope', path: '/compatible-mode/v1/chat/completions', auth: ['authorization', `Bearer ${UPSTREAM_KEY}`] },
  { provider: 'deepseek', basePath: '/v1', keyRef: 'deepseek', path: '/v1/chat/completions', auth: ['authorization', `Bearer ${UPSTREAM_KEY}`] },
  { provider: 'vllm', basePath: '/v1', path: '/v1/chat/completions' },
  { provider: 'ollama', basePath: '/v1', path: '/v1/chat/completions' },
];

describe.each(CASES)('provider $provider', (c) => {
  let sim: UpstreamSimulator;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start({ name: c.provider });
  });
  afterAll(() => sim.close());

  test('sends the request in the provider\'s shape, streaming and not', async () => {
    const gateway = gatewayStack();
    const backend = simulatedBackend(sim, {
      provider: c.provider,
      basePath: c.basePath,
      ...(c.keyRef && { apiKey: { secretName: 'llm-keys', key: c.keyRef } }),
      ...(c.provider === 'azure-openai' && { azure: { apiVersion: '2024-10-21', deployments: { 'gpt-4o': 'gpt4o-prod' } } }),
    });
    gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend }] }], policies: { keyAuth: false } });
    const gw = await start(gateway);
    try {
      const res = await client(gw, 'unused').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
      expect(res.choices[0].message.content).toContain(`[sim:${c.provider}]`);
      const stream = await client(gw, 'unused').chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toContain(`[sim:${c.provider}]`);

      for (const seen of sim.requests) {
        expect(seen.path).toBe(c.path);
        expect(seen.query).toEqual(c.query ?? {});
        if (c.auth) expect(seen.headers[c.auth[0]]).toBe(c.auth[1]);
        else expect(seen.headers.authorization).toBeUndefined();
        expect(seen.headers['content-type']).toBe('application/json');
        expect((seen.body as { model: string }).model).toBe('gpt-4o');
      }
      expect((sim.requests[1].body as { stream: boolean; stream_options: unknown }).stream_options).toEqual({ include_usage: true });
    } finally {
      await gw.close();
    }
  });
});
