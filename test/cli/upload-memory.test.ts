import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { Readable } from 'stream';
import { request } from 'undici';
import { freePort, spawnServe, waitReady } from './serve-process';
import { Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { UpstreamSimulator } from '../../src/testing';
import { kubeletDir, shardFiles } from '../dataplane/config-files';
import { gatewayStack } from '../dataplane/harness';

jest.setTimeout(120_000);

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const MiB = 1024 * 1024;

/** A multipart body generated on the fly, the file before the model field (as the openai SDK sends it), with its sha256. */
function upload(bytes: number): { body: Readable; boundary: string; sha256: () => string } {
  const boundary = 'aigw-upload-boundary';
  const chunk = Buffer.alloc(64 * 1024, 5);
  const hash = createHash('sha256');
  async function* parts(): AsyncGenerator<Buffer> {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="talk.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      hash.update(chunk);
      yield chunk;
    }
    yield Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper\r\n--${boundary}--\r\n`);
  }
  return { body: Readable.from(parts()), boundary, sha256: () => hash.digest('hex') };
}

/**
 * The gateway as its own process, so that its RSS is its own. The file comes before the model
 * field, so the gateway must hold it aside (memory up to 1 MiB, then a spool file) until it knows
 * the backend, then stream it on.
 */
test('uploads stream through aigw serve intact, with gateway memory that does not grow with the file', async () => {
  const sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  gateway.addModelRoute('audio', {
    models: [{ name: 'whisper', targets: [{ backend: new Backend({ provider: 'openai', baseUrl: `${sim.url}/v1` }), model: 'whisper-1' }] }],
    policies: { keyAuth: false, maxBodyBytes: 256 * MiB },
  });
  const { dir } = kubeletDir(shardFiles(synthesizedGatewayConfig(gateway).config));
  const [port, adminPort] = [await freePort(), await freePort()];
  const serve = spawnServe(['--config', dir, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1']);
  const pid = serve.child.pid!;
  try {
    await waitReady(`http://127.0.0.1:${adminPort}`, 30_000, serve.exited);
    const send = async (bytes: number) => {
      const u = upload(bytes);
      const before = rssOf(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 5);
      try {
        const res = await request(`http://127.0.0.1:${port}/v1/audio/transcriptions`, {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${u.boundary}` },
          body: u.body,
        });
        const answer = (await res.body.json()) as { text: string };
        expect(res.statusCode).toBe(200);
        // The simulator hashed what it received: the file arrived byte for byte.
        expect(answer.text).toContain(u.sha256().slice(0, 12));
      } finally {
        clearInterval(sampler);
      }
      return peak - before;
    };
    const first20 = await send(20 * MiB);
    const second20 = await send(20 * MiB);
    const big = await send(100 * MiB);
    process.stdout.write(`aigw serve RSS growth: 20 MiB upload ${(first20 / MiB).toFixed(1)} MiB, again ${(second20 / MiB).toFixed(1)} MiB, 100 MiB upload ${(big / MiB).toFixed(1)} MiB\n`);
    // Node frees short-lived Buffers lazily (V8 collects once tens of MiB of them build up), so one
    // 20 MiB upload may show that much transient growth whether or not anything is retained. What
    // buffering the file would show is growth that scales with it: 5x the file must not cost 5x.
    expect(big).toBeLessThan(25 * MiB);
    expect(sim.requests.map((r) => (r.body as { model?: string }).model)).toEqual(['whisper-1', 'whisper-1', 'whisper-1']);
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
    await sim.close();
  }
});
