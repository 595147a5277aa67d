import { brotliCompressSync, deflateSync, gzipSync } from 'zlib';
import { z } from 'zod';
import { Backend } from '../../../src';
import { type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { type AgentUpstream, agentUpstream } from '../agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start } from '../harness';
import { initializeRequest, KEYS, read, type SdkUpstream, sdkUpstream, secretRef, startMcp, withSessionKey } from '../mcp/mcp-harness';
import { type ModelWafGateway, startModelWafGateway } from '../waf/support/model-gateway';
import { BLOCK_ALL, withWaf } from '../waf/support/waf-gateway';

jest.setTimeout(60_000);

/**
 * Compressed request bodies through the real server, as a client sends them (fetch with a zlib-compressed body and
 * its Content-Encoding; the official SDKs do not compress requests): decompressed before anything reads them (the
 * WAF, the JSON parse, multipart, MCP, a custom agent's streamed body), sent upstream decompressed and without the
 * old Content-Encoding, and bounded by the route's body limit once decompressed.
 */

const CODINGS: Array<[string, (b: Buffer) => Buffer]> = [
  ['gzip', gzipSync],
  ['br', brotliCompressSync],
  ['deflate', deflateSync],
];

const chatBody = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello in three languages.' }], ...extra });

type Sent = { status: number; text: string };

async function send(url: string, body: Buffer, encoding: string | undefined, headers: Record<string, string> = {}): Promise<Sent> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json', ...(encoding && { 'content-encoding': encoding }), ...headers },
    body,
  });
  return { status: res.status, text: await res.text() };
}

const errorCode = (text: string) => (JSON.parse(text) as { error: { code: string } }).error.code;

describe('a model route (WAF in block mode): compressed JSON and multipart requests', () => {
  let g: ModelWafGateway;
  let chatUrl: string;
  beforeAll(async () => {
    g = await startModelWafGateway(BLOCK_ALL);
    chatUrl = `${g.gw.url}/v1/chat/completions`;
  });
  afterAll(() => g.close());
  beforeEach(() => g.sim.reset());

  test.each(CODINGS)('a %s chat request: 200, and the backend gets the JSON decompressed, with no Content-Encoding', async (encoding, compress) => {
    const json = chatBody();
    const sent = await send(chatUrl, compress(Buffer.from(JSON.stringify(json))), encoding);
    expect(sent.status).toBe(200);
    expect((JSON.parse(sent.text) as { choices: unknown[] }).choices).toHaveLength(1);
    const seen = g.sim.requests.at(-1)!;
    expect(seen.body).toMatchObject(json);
    expect(seen.headers['content-encoding']).toBeUndefined();
  });

  test('the WAF reads the decompressed body: an attack inside a gzip body is refused with 403, the backend never asked', async () => {
    const attack = Buffer.from(JSON.stringify(chatBody({ user: "1' or '1'='1" })));
    const sent = await send(chatUrl, gzipSync(attack), 'gzip');
    expect(sent.status).toBe(403);
    expect(errorCode(sent.text)).toBe('waf_blocked');
    expect(g.sim.requests).toHaveLength(0);
  });

  test("a gzip bomb (11 MiB of zeros in about 11 KB) against the route's 10 MiB limit: 413, the backend never asked", async () => {
    const bomb = gzipSync(Buffer.alloc(11 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(20_000);
    const sent = await send(chatUrl, bomb, 'gzip');
    expect(sent.status).toBe(413);
    expect(JSON.parse(sent.text)).toMatchObject({ error: { code: 'request_too_large', message: expect.stringContaining("once decompressed (Content-Encoding 'gzip')") } });
    expect(g.sim.requests).toHaveLength(0);
  });

  test('corrupt gzip: 400 naming the coding; an unsupported coding: 415 naming it and what is supported', async () => {
    const corrupt = gzipSync(Buffer.from(JSON.stringify(chatBody())));
    corrupt.fill(0, 10, 30);
    const bad = await send(chatUrl, corrupt, 'gzip');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { code: 'invalid_content_encoding', message: expect.stringContaining('not valid gzip data') } });
    const unsupported = await send(chatUrl, Buffer.from(JSON.stringify(chatBody())), 'compress');
    expect(unsupported.status).toBe(415);
    expect(JSON.parse(unsupported.text)).toMatchObject({ error: { code: 'unsupported_content_encoding', message: expect.stringMatching(/'compress'.*gzip, x-gzip, deflate, br/) } });
    expect(g.sim.requests).toHaveLength(0);
  });

  test('a gzip multipart upload (audio transcription): the backend gets the file whole, its upload length the decompressed one', async () => {
    const audio = Buffer.alloc(200_000, 3);
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([audio], { type: 'audio/wav' }), 'hello.wav');
    const packed = new Request('http://x/', { method: 'POST', body: form });
    const multipart = Buffer.from(await packed.arrayBuffer());
    const sent = await send(`${g.gw.url}/v1/audio/transcriptions`, gzipSync(multipart), 'gzip', { 'content-type': packed.headers.get('content-type')! });
    expect(sent.status).toBe(200);
    const seen = g.sim.requests.at(-1)!;
    expect(seen.body).toMatchObject({ model: 'whisper-1', file: { filename: 'hello.wav', size: audio.length } });
    expect(seen.headers['content-encoding']).toBeUndefined();
  });
});

describe('a custom agent route: its body streamed to the agent decompressed, or read whole by the WAF and sent from memory', () => {
  let up: AgentUpstream;
  let sim: UpstreamSimulator;
  let gateway: ReturnType<typeof gatewayStack>;
  beforeAll(async () => {
    up = await agentUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true })));
    sim = await UpstreamSimulator.start();
    gateway = gatewayStack();
    const agent = gateway.addAgentRoute('agent', { kind: 'custom', pathPrefix: '/agents/a', baseUrl: `${up.url}/api`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
    const chat = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: new Backend({ provider: 'openai', baseUrl: `${sim.url}/v1`, apiKey: secretRef('llm-keys', 'openai') }) }] }] });
    gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { routes: [agent, chat] } });
  });
  afterAll(async () => {
    await up.close();
    await sim.close();
  });

  test.each([
    ['streamed (no WAF)', (c: Parameters<ReturnType<typeof withWaf>>[0]) => c],
    ['read by the WAF', withWaf(BLOCK_ALL)],
  ])('%s: the agent gets the body decompressed, without Content-Encoding, its length the decompressed one', async (_how, transform) => {
    const gw: TestGateway = await start(gateway, (c) => {
      const { redis: _redis, ...local } = c;
      return transform(local);
    });
    try {
      up.seen.length = 0;
      const json = Buffer.from(JSON.stringify({ inputs: { question: 'hello '.repeat(500) } }));
      const sent = await send(`${gw.url}/agents/a/run`, brotliCompressSync(json), 'br');
      expect(sent.status).toBe(200);
      const seen = up.seen.at(-1)!;
      expect(seen.body).toBe(json.toString('utf8'));
      expect(seen.headers['content-encoding']).toBeUndefined();
      if (seen.headers['content-length'] !== undefined) expect(Number(seen.headers['content-length'])).toBe(json.length);
      // A coding the gateway cannot read is refused before the agent is called.
      const refused = await send(`${gw.url}/agents/a/run`, json, 'zstd, gzip');
      expect(refused.status).toBe(415);
      expect(up.seen).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });
});

describe('an MCP server: a gzip JSON-RPC message', () => {
  let up: SdkUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    up = await sdkUpstream((server) => server.registerTool('echo', { description: 'echoes', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] })));
    const gateway = gatewayStack();
    const echo = gateway.addMcpServer('echo', { kind: 'proxy', url: up.url });
    gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [echo] } });
    gw = await startMcp(gateway, withSessionKey);
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
  });

  test('initialize sent gzip-compressed is answered as the plain one is', async () => {
    const res = await fetch(`${gw.url}/mcp/echo`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${KEYS.alice}`, 'accept': 'application/json, text/event-stream', 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from(JSON.stringify(initializeRequest('2025-11-25')))),
    });
    const answer = await read(res);
    expect(answer.status).toBe(200);
    expect(answer.messages[0]).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25', serverInfo: { name: 'upstream' } } });
  });
});
