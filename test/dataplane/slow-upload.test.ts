import { connect } from 'net';
import { client, CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import { type TestGateway, UpstreamSimulator } from '../../src/testing';

// Real servers on a loaded 2-core machine: generous, not a performance bound.
jest.setTimeout(60_000);

const BOUNDARY = 'aigw-slow-boundary';
/** Longer than the trickle's pauses: the body never stalls, it is only slow. */
const BODY_TIMEOUT_MS = 2_000;
/** Shorter than the time the trickled body takes: the attempt's time runs out while the client still sends. */
const ATTEMPT_MS = 1_000;
const TRICKLE_EVERY_MS = 300;
/** More uploads than the breaker's threshold (5). */
const REPEATS = 6;

/**
 * Sends `head`, then `first`, then `piece` every TRICKLE_EVERY_MS until the gateway answers (and
 * closes): a client that never goes silent long enough to be a stall. Resolves with the status and
 * error code of the answer.
 */
function trickle(url: string, head: string, first: Buffer, piece: () => Buffer): Promise<{ status: number; code: string | undefined }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const socket = connect(Number(port), hostname, () => {
      socket.write(head);
      socket.write(first);
      timer = setInterval(() => socket.write(piece()), TRICKLE_EVERY_MS);
    });
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      const code = /"code":"([^"]+)"/.exec(received)?.[1];
      resolve({ status, code });
    });
  });
}

const httpChunk = (data: Buffer) => Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);

describe('a slow, steady upload is the client’s fault: 408, and the shared backend’s circuit never hears of it', () => {
  let sim: UpstreamSimulator;
  let gw: TestGateway;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
    const gateway = gatewayStack();
    // One backend, shared by alice's uploads and bob's chat.
    const backend = simulatedBackend(sim, { provider: 'openai', timeouts: { totalMs: ATTEMPT_MS } });
    const audio = gateway.addModelRoute('audio', { pathPrefix: '/audio', models: [{ name: 'whisper', targets: [{ backend }] }] });
    const chat = gateway.addModelRoute('chat', { pathPrefix: '/chat', models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [audio, chat] } });
    gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: { routes: [chat] } });
    gw = await start(gateway, (c) => ({ ...c, limits: { ...c.limits, bodyTimeoutMs: BODY_TIMEOUT_MS } }));
  });
  afterAll(async () => {
    await gw.close();
    await sim.close();
  });

  test('uploads that trickle 100 bytes every 300 ms past the attempt’s total time get 408; bob’s chat on the same backend still works', async () => {
    const head =
      `POST /audio/v1/audio/transcriptions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer ${CONSUMER_KEYS.alice}\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const first = httpChunk(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper\r\n` +
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
      ),
    );
    const answers = await Promise.all(Array.from({ length: REPEATS }, () => trickle(gw.url, head, first, () => httpChunk(Buffer.alloc(100, 7)))));
    expect(answers).toEqual(Array(REPEATS).fill({ status: 408, code: 'request_body_timeout' }));
    const chat = await client(gw, CONSUMER_KEYS.bob, '/chat').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.object).toBe('chat.completion');
  });
});
