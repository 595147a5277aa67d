import { toFile } from 'openai';
import { client, gatewayStack, simulatedBackend, start } from './harness';
import { UpstreamSimulator } from '../../src/testing';

describe('the attempt policy: one loop for every request', () => {
  test('an upload gets one attempt (no retry, no fallback), its breaker told of every outcome like any request', async () => {
    const primary = await UpstreamSimulator.start({ name: 'primary' });
    const spare = await UpstreamSimulator.start({ name: 'spare' });
    const gateway = gatewayStack();
    const backend = simulatedBackend(primary, { provider: 'openai', retries: { attempts: 2, backoffBaseMs: 1 }, circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    gateway.addModelRoute('audio', {
      models: [
        { name: 'whisper', targets: [{ backend, model: 'whisper-1' }], fallbacks: ['spare'] },
        { name: 'spare', targets: [{ backend: simulatedBackend(spare, { provider: 'openai' }), model: 'whisper-1' }] },
      ],
      policies: { keyAuth: false },
    });
    const gw = await start(gateway);
    const upload = async () =>
      client(gw, 'unused').audio.transcriptions.create({ model: 'whisper', file: await toFile(Buffer.alloc(1024, 7), 'a.wav', { type: 'audio/wav' }) });
    try {
      // A backend failure: the upload cannot be sent a second time, so neither a retry nor the fallback gets it.
      primary.failNext({ status: 500 }, 3);
      await expect(upload()).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
      expect(primary.requests).toHaveLength(1);
      expect(spare.requests).toHaveLength(0);
      primary.reset();
      // The upstream answered (it is alive, whatever it thought of the upload): its failure count starts over,
      // so one more failure does not open the circuit (threshold 2).
      primary.failNext({ status: 400 });
      await expect(upload()).rejects.toMatchObject({ status: 400, code: 'upstream_rejected' });
      primary.failNext({ status: 500 });
      await expect(upload()).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
      const ok = await upload();
      expect(ok.text).toBeTruthy();
      expect(primary.requests).toHaveLength(3);
      expect(spare.requests).toHaveLength(0);
    } finally {
      await gw.close();
      await primary.close();
      await spare.close();
    }
  }, 20_000);
});
