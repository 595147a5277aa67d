import type { ServerResponse } from 'http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { agentUpstream, type AgentUpstream, type SeenRequest } from './agent-upstream';
import { client, CONSUMER_KEYS, gatewayStack, start } from './harness';
import { Backend } from '../../src';
import { type TestGateway, UpstreamSimulator } from '../../src/testing';

/**
 * A reasoning model behind an OpenAI-compatible API (DeepSeek's convention): its thinking in
 * `reasoning_content`, whole or streamed before the answer.
 */
function reasoningBackend(req: SeenRequest, res: ServerResponse): void {
  const body = JSON.parse(req.body) as { model: string; stream?: boolean };
  const base = { id: 'chatcmpl-r1', created: 1, model: body.model };
  const usage = { prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.', reasoning_content: 'France → Paris.' }, finish_reason: 'stop' }], usage }));
    return;
  }
  const chunk = (delta: object, finish: string | null = null): string =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk({ role: 'assistant', content: null, reasoning_content: 'France ' }));
  res.write(chunk({ reasoning_content: '→ Paris.' }));
  res.write(chunk({ content: 'Paris.' }));
  res.write(chunk({}, 'stop'));
  res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
  res.end('data: [DONE]\n\n');
}

describe('translation fidelity and wildcard listing, through a real data plane with the official SDKs', () => {
  let fake: AgentUpstream;
  let claude: UpstreamSimulator;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await agentUpstream(reasoningBackend);
    claude = await UpstreamSimulator.start({ name: 'claude', streamChunks: 3 });
    const apiKey = { secretName: 'llm-keys', key: 'openai' };
    const deepseek = new Backend({ provider: 'deepseek', baseUrl: `${fake.url}/v1`, apiKey });
    const openai = new Backend({ provider: 'openai', baseUrl: `${fake.url}/v1`, apiKey });
    const anthropic = new Backend({ provider: 'anthropic', baseUrl: `${claude.url}/v1`, apiKey });
    const gateway = gatewayStack();
    const chat = gateway.addModelRoute('chat', {
      models: [
        { name: 'deepseek-reasoner', targets: [{ backend: deepseek }], maxOutputTokens: 1000 },
        { name: 'gpt-capped', targets: [{ backend: openai, model: 'o4-mini' }], maxOutputTokens: 1000 },
        { name: 'claude-capped', targets: [{ backend: anthropic, model: 'claude-sonnet-4' }], maxOutputTokens: 2000 },
        { name: 'qwen-*', targets: [{ backend: deepseek, model: '*' }], listAs: ['qwen-max', 'qwen-plus'] },
        { name: 'llama-*', targets: [{ backend: deepseek, model: '*' }] },
      ],
    });
    gateway.addModelRoute('team', { pathPrefix: '/team', models: [{ name: 'team-*', targets: [{ backend: deepseek, model: '*' }], listAs: ['team-a'] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat] } });
    gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: 'all' });
    gw = await start(gateway);
  });

  afterAll(async () => {
    await gw.close();
    await claude.close();
    await fake.close();
  });

  beforeEach(() => {
    fake.seen.length = 0;
    claude.reset();
  });

  const anthropicSdk = () => new Anthropic({ baseURL: gw.url, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
  const lastFakeBody = () => JSON.parse(fake.seen.at(-1)!.body) as Record<string, unknown>;

  describe('wildcard models in /v1/models', () => {
    test('a wildcard entry lists its listAs names, else its pattern; exact names first', async () => {
      const models = (await client(gw).models.list()).data;
      expect(models.map((m) => m.id)).toEqual(['deepseek-reasoner', 'gpt-capped', 'claude-capped', 'qwen-max', 'qwen-plus', 'llama-*']);
      expect(models.every((m) => m.owned_by === 'chat' && m.object === 'model')).toBe(true);
      const team = (await client(gw, CONSUMER_KEYS.bob, '/team').models.list()).data.map((m) => m.id);
      expect(team).toContain('team-a');
      expect(team).not.toContain('team-*');
    });

    test('GET /v1/models/{id}: a concrete name a wildcard answers, to a consumer who may use it; else 404', async () => {
      expect(await client(gw).models.retrieve('qwen-turbo')).toEqual({ id: 'qwen-turbo', object: 'model', created: 0, owned_by: 'chat' });
      expect(await client(gw).models.retrieve('llama-3-70b')).toMatchObject({ id: 'llama-3-70b', owned_by: 'chat' });
      expect(await client(gw, CONSUMER_KEYS.bob, '/team').models.retrieve('team-zeta')).toMatchObject({ id: 'team-zeta', owned_by: 'team' });
      await expect(client(gw, CONSUMER_KEYS.alice, '/team').models.retrieve('team-zeta')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
      await expect(client(gw).models.retrieve('mistral-large')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    });
  });

  describe('maxOutputTokens on same-protocol backends', () => {
    test("an ask within the limit goes as the client's bytes; one above is lowered, in the client's own field", async () => {
      const within = '{"model":"deepseek-reasoner",  "max_tokens": 500, "messages":[{"role":"user","content":"hi"}]}';
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'authorization': `Bearer ${CONSUMER_KEYS.alice}` }, body: within });
      expect(res.status).toBe(200);
      expect(fake.seen[0].body).toBe(within);

      await client(gw).chat.completions.create({ model: 'deepseek-reasoner', max_tokens: 5000, messages: [{ role: 'user', content: 'hi' }] });
      expect(lastFakeBody()).toEqual({ model: 'deepseek-reasoner', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] });

      await client(gw).chat.completions.create({ model: 'gpt-capped', max_completion_tokens: 5000, messages: [{ role: 'user', content: 'hi' }] });
      expect(lastFakeBody()).toEqual({ model: 'o4-mini', max_completion_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] });
      // A chat client that chose max_tokens keeps it, lowered.
      await client(gw).chat.completions.create({ model: 'gpt-capped', max_tokens: 5000, messages: [{ role: 'user', content: 'hi' }] });
      expect(lastFakeBody()).toEqual({ model: 'o4-mini', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] });
    });

    test('Claude Code on an Anthropic backend: max_tokens lowered, and its thinking budget with it', async () => {
      // Streamed, as Claude Code does (the SDK refuses a 32k non-streamed request).
      const res = await anthropicSdk()
        .messages.stream({ model: 'claude-capped', max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 31999 }, messages: [{ role: 'user', content: 'plan it' }] })
        .finalMessage();
      expect(claude.requests[0].body).toEqual({
        model: 'claude-sonnet-4',
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 1999 },
        messages: [{ role: 'user', content: 'plan it' }],
        stream: true,
      });
      expect(res.content[0]).toMatchObject({ type: 'thinking', thinking: '[sim:claude] claude-sonnet-4 thinking: plan it' });
    });
  });

  describe('Claude-style client on an OpenAI-compatible backend', () => {
    test('OpenAI gets max_completion_tokens at most the limit, and the thinking budget as reasoning_effort', async () => {
      const res = await anthropicSdk().messages.create({
        model: 'gpt-capped',
        max_tokens: 5000,
        thinking: { type: 'enabled', budget_tokens: 8000 },
        messages: [{ role: 'user', content: 'Capital of France?' }],
      });
      expect(lastFakeBody()).toEqual({
        model: 'o4-mini',
        max_completion_tokens: 1000,
        reasoning_effort: 'medium',
        messages: [{ role: 'user', content: 'Capital of France?' }],
      });
      expect(res.content).toEqual([
        { type: 'thinking', thinking: 'France → Paris.', signature: '' },
        { type: 'text', text: 'Paris.' },
      ]);
    });

    test("streamed reasoning_content arrives as a thinking block the SDK's stream assembles", async () => {
      const stream = anthropicSdk().messages.stream({ model: 'deepseek-reasoner', max_tokens: 5000, messages: [{ role: 'user', content: 'Capital of France?' }] });
      let thought = '';
      stream.on('thinking', (delta) => (thought += delta));
      const final = await stream.finalMessage();
      expect(final.content).toEqual([
        { type: 'thinking', thinking: 'France → Paris.', signature: '' },
        { type: 'text', text: 'Paris.' },
      ]);
      expect(thought).toBe('France → Paris.');
      expect(lastFakeBody()).toMatchObject({ model: 'deepseek-reasoner', max_tokens: 1000, stream: true });
      expect(lastFakeBody().max_completion_tokens).toBeUndefined();
    });
  });

  describe('OpenAI chat client on an Anthropic backend', () => {
    test('reasoning_effort becomes thinking under the limit; the thinking comes back as reasoning_content', async () => {
      const res = await client(gw).chat.completions.create({ model: 'claude-capped', reasoning_effort: 'high', messages: [{ role: 'user', content: 'plan it' }] });
      expect(claude.requests[0].body).toEqual({
        model: 'claude-sonnet-4',
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 1999 },
        messages: [{ role: 'user', content: 'plan it' }],
      });
      const message = res.choices[0].message as OpenAI.Chat.ChatCompletionMessage & { reasoning_content?: string };
      expect(message.reasoning_content).toBe('[sim:claude] claude-sonnet-4 thinking: plan it');
      expect(message.content).toBe('[sim:claude] claude-sonnet-4: plan it');

      const stream = await client(gw).chat.completions.create({ model: 'claude-capped', reasoning_effort: 'low', stream: true, messages: [{ role: 'user', content: 'plan it' }] });
      let reasoning = '';
      for await (const chunk of stream) reasoning += (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
      expect(reasoning).toBe('[sim:claude] claude-sonnet-4 thinking: plan it');
      expect(claude.requests[1].body).toMatchObject({ max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1999 } });
    });
  });
});
