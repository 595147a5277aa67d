import { client, CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import { RawClient } from './raw-http';
import { httpChunk, startUpload, uploadHead } from './raw-upload';
import { bobChats, startUploadGateway } from './upload-gateway';
import { type TestGateway, UpstreamSimulator } from '../../src/testing';
import { eventually } from '../support/eventually';

// Real servers on a loaded 2-core machine: generous, not a performance bound.
jest.setTimeout(60_000);

const BOUNDARY = 'aigw-test-boundary';
const MAX_BODY = 64 * 1024;
const BODY_TIMEOUT_MS = 300;

describe('client faults are the client’s: 4xx for them, and the backend’s circuit never hears of them', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startUploadGateway({ bodyTimeoutMs: BODY_TIMEOUT_MS, maxBodyBytes: MAX_BODY });
  });
  afterAll(async () => {
    await gw.close();
  });

  const upload = () => startUpload(gw.url, '/audio/v1/audio/transcriptions', BOUNDARY);
  /** More faults of each kind than the breaker's threshold (5). */
  const REPEATS = 6;

  test('a truncated upload (the body ends before its closing boundary) is 400', async () => {
    for (let i = 0; i < REPEATS; i++) {
      const raw = upload();
      raw.write(httpChunk(Buffer.concat([uploadHead(BOUNDARY), Buffer.alloc(1000, 1)])));
      raw.write(Buffer.from('0\r\n\r\n'));
      expect(await raw.answer()).toEqual({ status: 400, code: 'multipart_malformed' });
    }
    await expect(bobChats(gw)).resolves.toMatchObject({ object: 'chat.completion' });
  });

  test('an upload that grows past the body limit after its model field is 413', async () => {
    for (let i = 0; i < REPEATS; i++) {
      const raw = upload();
      raw.write(httpChunk(uploadHead(BOUNDARY)));
      for (let sent = 0; sent <= MAX_BODY; sent += 16 * 1024) raw.write(httpChunk(Buffer.alloc(16 * 1024, 2)));
      expect(await raw.answer()).toEqual({ status: 413, code: 'request_too_large' });
    }
    await expect(bobChats(gw)).resolves.toMatchObject({ object: 'chat.completion' });
  });

  test('an upload that stalls past limits.bodyTimeoutMs is 408', async () => {
    const stalls = Array.from({ length: REPEATS }, () => {
      const raw = upload();
      // The model field and part of the file, then nothing: the client keeps the connection open.
      raw.write(httpChunk(Buffer.concat([uploadHead(BOUNDARY), Buffer.alloc(1000, 3)])));
      return raw.answer();
    });
    for (const answer of await Promise.all(stalls)) expect(answer).toEqual({ status: 408, code: 'request_body_timeout' });
    await expect(bobChats(gw)).resolves.toMatchObject({ object: 'chat.completion' });
  });

  test('a client that aborts mid-upload is logged at info as 499 client_aborted, never charged to the backend', async () => {
    const earlier = accessLines(gw, '/audio/v1/audio/transcriptions').length;
    for (let i = 0; i < REPEATS; i++) {
      const raw = upload();
      raw.write(httpChunk(Buffer.concat([uploadHead(BOUNDARY), Buffer.alloc(1000, 4)])));
      // Let the gateway read the model field and open the upstream request before the client goes.
      await new Promise((resolve) => setTimeout(resolve, 50));
      raw.socket.destroy();
    }
    await waitFor(() => accessLines(gw, '/audio/v1/audio/transcriptions').length >= earlier + REPEATS, () => JSON.stringify(accessLines(gw, '/audio/v1/audio/transcriptions').slice(-REPEATS)));
    expect(accessLines(gw, '/audio/v1/audio/transcriptions').slice(-REPEATS)).toEqual(Array(REPEATS).fill(expect.objectContaining({ level: 30, status: 499, error: 'client_aborted' })));
    await expect(bobChats(gw)).resolves.toMatchObject({ object: 'chat.completion' });
    expect(gw.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});

describe('client aborts and stalls on JSON bodies', () => {
  let sim: UpstreamSimulator;
  let gw: TestGateway;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
    const gateway = gatewayStack();
    const chat = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat] } });
    gw = await start(gateway, (c) => ({ ...c, limits: { ...c.limits, bodyTimeoutMs: BODY_TIMEOUT_MS } }));
  });
  afterAll(async () => {
    await gw.close();
    await sim.close();
  });

  test('half a body, then the socket destroyed: one info access line with 499 client_aborted, in the metrics too, and no error log', async () => {
    const raw = new RawClient(gw.url);
    raw.head('/v1/chat/completions', { 'Content-Type': 'application/json', 'Content-Length': '1000' });
    raw.write(Buffer.from(`{"model":"gpt-4o","messages":[{"role":"user","content":"${'x'.repeat(400)}`));
    // Let the gateway start reading the body before the client goes.
    await new Promise((resolve) => setTimeout(resolve, 50));
    raw.socket.destroy();
    await waitFor(() => accessLines(gw, '/v1/chat/completions').length === 1);
    const [line] = accessLines(gw, '/v1/chat/completions');
    expect(line).toMatchObject({ level: 30, status: 499, error: 'client_aborted', aborted: true });
    expect(gw.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
    const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/aigw_requests_total\{[^}]*status="499"[^}]*\} 1/);
    expect(metrics).toMatch(/aigw_request_errors_total\{[^}]*error_type="client_aborted"[^}]*\} 1/);
    expect(sim.requests).toHaveLength(0);
  });

  test('a JSON body that stalls past limits.bodyTimeoutMs is 408', async () => {
    const raw = new RawClient(gw.url);
    raw.head('/v1/chat/completions', { 'Content-Type': 'application/json', 'Content-Length': '1000' });
    raw.write(Buffer.from('{"model":"gpt-4o",'));
    expect(await raw.answer()).toEqual({ status: 408, code: 'request_body_timeout' });
  });
});

function accessLines(gw: TestGateway, path: string): Record<string, unknown>[] {
  return gw.logs.filter((l) => l.msg === 'access' && l.path === path);
}

/** `eventually`, at the 20 s bound and 20 ms poll these tests have always waited with. */
function waitFor(condition: () => boolean, describe?: () => string): Promise<void> {
  return eventually(condition, 20_000, { everyMs: 20, describe });
}

describe('a client fault during the half-open trial gives the trial back', () => {
  test('after a truncated upload was the trial request, the next requests still reach the backend and close the circuit', async () => {
    const sim = await UpstreamSimulator.start();
    const gateway = gatewayStack();
    const backend = simulatedBackend(sim, { provider: 'openai', retries: { attempts: 0 }, circuitBreaker: { failureThreshold: 1, cooldownMs: 300 } });
    const route = gateway.addModelRoute('audio', { pathPrefix: '/audio', models: [{ name: 'whisper', targets: [{ backend, model: 'whisper-1' }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway);
    try {
      // One backend failure opens the circuit (threshold 1).
      sim.failNext({ status: 500 });
      const chat = () => client(gw, CONSUMER_KEYS.alice, '/audio').chat.completions.create({ model: 'whisper', messages: [{ role: 'user', content: 'hi' }] });
      await expect(chat()).rejects.toMatchObject({ status: 502 });
      await new Promise((r) => setTimeout(r, 400));
      // Half-open: a truncated upload takes the trial slot, and is the client's fault (400).
      const raw = startUpload(gw.url, '/audio/v1/audio/transcriptions', BOUNDARY);
      raw.write(httpChunk(uploadHead(BOUNDARY)));
      raw.write(httpChunk(Buffer.alloc(512, 1)));
      raw.write(Buffer.from('0\r\n\r\n'));
      expect(await raw.answer()).toEqual({ status: 400, code: 'multipart_malformed' });
      // The trial slot is free again: the next request is the trial, succeeds, and closes the circuit.
      for (let i = 0; i < 3; i++) expect((await chat()).choices[0].message.content).toBeTruthy();
    } finally {
      await gw.close();
      await sim.close();
    }
  });
});
