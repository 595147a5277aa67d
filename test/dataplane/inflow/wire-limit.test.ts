import { request } from 'http';
import { startTestGateway, type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { gatewayStack, simulatedBackend } from '../harness';

jest.setTimeout(60_000);

const KEY = 'sk-alice-wire';
const LIMIT = 64 * 1024;
let sim: UpstreamSimulator;
let gw: TestGateway;

beforeAll(async () => {
  sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }], policies: { maxBodyBytes: LIMIT } });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  gw = await startTestGateway(gateway, { consumers: { alice: KEY } });
});

afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

/** A gzip member's header, then empty stored deflate blocks (`emptyBlocks`): every 5 bytes decode to nothing, so the decoded size never grows. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
const emptyBlocks = (count: number): Buffer => Buffer.alloc(count * 5, Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));

test('a compressed body that decodes to nothing is still held to the body limit as sent: 413, not read for ever', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    // Chunked, no Content-Length: only the bytes as they arrive can tell.
    const req = request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'authorization': `Bearer ${KEY}`, 'content-type': 'application/json', 'content-encoding': 'gzip' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
      req.destroy();
    });
    req.on('error', (e) => (e.message.includes('socket hang up') || (e as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(e)));
    const chunk = emptyBlocks(4096);
    req.write(GZIP_HEADER);
    const pump = (): void => {
      while (!req.destroyed && req.write(chunk));
      if (!req.destroyed) req.once('drain', pump);
    };
    pump();
  });
  expect(status).toBe(413);
  expect(sim.requests).toHaveLength(0);
});
