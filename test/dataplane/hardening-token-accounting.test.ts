import Redis from 'ioredis';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import { completionTextChars } from '../../src/dataplane/completion-text';
import { estimatePromptTokens, estimateTextTokens } from '../../src/dataplane/token-estimate';
import type { GatewayConfig } from '../../src/specs';
import { type TestGateway, UpstreamSimulator } from '../../src/testing';
import { startRedisServer, type TestRedisServer } from '../support/redis-server';

// Real servers on a loaded 2-core machine: generous, not a performance bound.
jest.setTimeout(60_000);

const MESSAGES = [{ role: 'user' as const, content: 'tell me something' }];
const PROMPT_TOKENS = estimatePromptTokens('chat', { messages: MESSAGES });

test('completion text is read off raw bytes: only the members that carry it, quotes and colons inside strings are text', () => {
  const openAi = 'data: {"id":"x","model":"gpt-4o","choices":[{"delta":{"role":"assistant","content":"a \\"b\\": c"},"finish_reason":null}]}\n\n';
  expect(completionTextChars(Buffer.from(openAi))).toBe('a \\"b\\": c'.length);
  const tool = 'data: {"choices":[{"delta":{"tool_calls":[{"function":{"name":"f","arguments": "{\\"q\\":1}"}}]}}]}\n\n';
  expect(completionTextChars(Buffer.from(tool))).toBe('{\\"q\\":1}'.length);
  const anthropic = 'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"hello"}}\n\n';
  expect(completionTextChars(Buffer.from(anthropic))).toBe(5);
  // A value cut by the chunk's end counts up to it.
  expect(completionTextChars(Buffer.from('{"content":"abc'))).toBe(3);
});

describe('token limits charge what was relayed, usage report or not', () => {
  let redis: TestRedisServer;
  let store: Redis;
  beforeAll(async () => {
    redis = await startRedisServer();
    const [host, port] = redis.address.split(':');
    store = new Redis(Number(port), host!);
  });
  afterAll(async () => {
    store.disconnect();
    await redis.stop();
  });

  async function limitedGateway(sim: UpstreamSimulator, prefix: string): Promise<TestGateway> {
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', {
      models: [
        { name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] },
        { name: 'text-embedding-3-small', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] },
      ],
      policies: { rateLimits: [{ kind: 'tokens', limit: 10_000_000, window: 'hour', scope: 'consumer' }] },
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    return start(gateway, (c: GatewayConfig) => ({ ...c, redis: { address: redis.address, keyPrefix: prefix, counting: 'exact' } })); // exact: the counters are read as charged, with no lease held
  }

  /** The consumer's token counter for this hour, once it has settled on a value other than `unlike`. */
  async function tokensCharged(prefix: string, unlike: number): Promise<number> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const keys = await store.keys(`${prefix}rl:c:alice:tokens:hour:*`);
      const value = keys.length === 1 ? Number(await store.get(keys[0]!)) : NaN;
      if ((Number.isFinite(value) && value !== unlike) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Streams a chat, collecting content deltas, until `stop` says so; returns the text relayed (as written on the wire). */
  async function streamUntil(gw: TestGateway, stop: (chunk: { choices: { finish_reason: string | null }[] }) => boolean): Promise<number> {
    const abort = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: MESSAGES }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let chars = 0;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return chars;
        buffered += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const data = buffered.slice(0, end).replace(/^data: /, '');
          buffered = buffered.slice(end + 2);
          if (data === '[DONE]') continue;
          const chunk = JSON.parse(data) as { choices: { delta?: { content?: string }; finish_reason: string | null }[] };
          const content = chunk.choices[0]?.delta?.content;
          if (content) chars += JSON.stringify(content).length - 2;
          if (stop(chunk)) {
            abort.abort();
            return chars;
          }
        }
      }
    } catch {
      return chars; // the stream broke: what arrived is what was relayed
    }
  }

  test('a client that disconnects right after finish_reason is charged the prompt and the completion it received', async () => {
    // A pause between chunks: the usage chunk is still a second away when the client leaves.
    const sim = await UpstreamSimulator.start({ chunkDelayMs: 1_000, streamChunks: 3 });
    const prefix = `finish-${Date.now()}:`;
    const gw = await limitedGateway(sim, prefix);
    try {
      const relayed = await streamUntil(gw, (chunk) => chunk.choices[0]?.finish_reason != null);
      expect(relayed).toBeGreaterThan(20);
      expect(await tokensCharged(prefix, PROMPT_TOKENS)).toBe(PROMPT_TOKENS + estimateTextTokens(relayed));
    } finally {
      await gw.close();
      await sim.close();
    }
  });

  test('an upstream stream that ends without usage is charged what it relayed', async () => {
    const sim = await UpstreamSimulator.start({ streamChunks: 4 });
    const prefix = `nousage-${Date.now()}:`;
    const gw = await limitedGateway(sim, prefix);
    try {
      // The role chunk, 4 content chunks and the finish chunk, then the connection drops: no usage chunk.
      sim.failNext({ dropAfterChunks: 6 });
      const relayed = await streamUntil(gw, () => false);
      expect(relayed).toBeGreaterThan(20);
      expect(await tokensCharged(prefix, PROMPT_TOKENS)).toBe(PROMPT_TOKENS + estimateTextTokens(relayed));
    } finally {
      await gw.close();
      await sim.close();
    }
  });

  test('a translated Responses stream without usage is charged its text once, not each event that repeats it', async () => {
    const sim = await UpstreamSimulator.start({ streamChunks: 4 });
    const prefix = `responses-nousage-${Date.now()}:`;
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', {
      models: [{ name: 'deepseek-chat', targets: [{ backend: simulatedBackend(sim, { provider: 'deepseek', apiKey: { secretName: 'llm-keys', key: 'deepseek' } }) }] }],
      policies: { rateLimits: [{ kind: 'tokens', limit: 10_000_000, window: 'hour', scope: 'consumer' }] },
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway, (c: GatewayConfig) => ({ ...c, redis: { address: redis.address, keyPrefix: prefix, counting: 'exact' } })); // exact: the counters are read as charged, with no lease held
    const body = { model: 'deepseek-chat', input: 'tell me something', stream: true };
    const prompt = estimatePromptTokens('responses', body);
    try {
      // The chat stream's role chunk, 4 content chunks and the finish chunk, then the connection drops: no usage chunk.
      sim.failNext({ dropAfterChunks: 6 });
      const res = await fetch(`${gw.url}/v1/responses`, {
        method: 'POST',
        headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      // The stream breaks where the upstream's did: read what arrived.
      let text = '';
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true });
      } catch {
        // cut: what arrived is what was relayed
      }
      // The text as the upstream wrote it (JSON-escaped), from the client's deltas: what the gateway relayed.
      const deltas = [...text.matchAll(/"type":"response\.output_text\.delta".*?"delta":("(?:[^"\\]|\\.)*")/g)].map((m) => m[1]!.length - 2);
      const relayed = deltas.reduce((a, b) => a + b, 0);
      expect(relayed).toBeGreaterThan(20);
      expect(await tokensCharged(prefix, prompt)).toBe(prompt + estimateTextTokens(relayed));
    } finally {
      await gw.close();
      await sim.close();
    }
  });

  test('a non-streamed answer over 1 MiB is settled to the usage it reports', async () => {
    const sim = await UpstreamSimulator.start();
    const prefix = `big-${Date.now()}:`;
    const gw = await limitedGateway(sim, prefix);
    try {
      // Token arrays: the gateway's estimate (which counts text) pre-charges 1, the upstream reports the real count.
      const input = Array.from({ length: 8_000 }, (_, i) => [i, i + 1, i + 2]);
      const res = await fetch(`${gw.url}/v1/embeddings`, {
        method: 'POST',
        headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'text-embedding-3-small', input }),
      });
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(Buffer.byteLength(text)).toBeGreaterThan(1024 * 1024);
      const data = JSON.parse(text) as { usage: { prompt_tokens: number } };
      const estimate = estimatePromptTokens('embeddings', { input });
      expect(data.usage.prompt_tokens).not.toBe(estimate);
      expect(await tokensCharged(prefix, estimate)).toBe(data.usage.prompt_tokens);
    } finally {
      await gw.close();
      await sim.close();
    }
  });
});
