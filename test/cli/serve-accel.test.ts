import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import OpenAI from 'openai';
import { freePort, spawnServe, type ServeProcess, waitReady } from './serve-process';
import { Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { type GatewayConfig, PROBE_PATHS } from '../../src/specs';
import { UpstreamSimulator } from '../../src/testing';
import { kubeletDir, shardFiles } from '../dataplane/config-files';
import { gatewayStack } from '../dataplane/harness';

jest.setTimeout(60_000);

/** A gateway with one route on the simulator; `acceleration` replaces the config's block. */
function configDir(sim: UpstreamSimulator, acceleration?: GatewayConfig['acceleration']): string {
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: new Backend({ provider: 'openai', baseUrl: `${sim.url}/v1` }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const { config } = synthesizedGatewayConfig(gateway);
  return kubeletDir(shardFiles(acceleration ? { ...config, acceleration } : config)).dir;
}

interface Running {
  readonly serve: ServeProcess;
  readonly port: number;
  readonly admin: string;
  readonly stdout: () => string;
}

/** `aigw serve` with /dev and /sys replaced by empty temp dirs: a machine with no QAT at all. */
async function serveWithoutQat(dir: string, flags: string[], cleanup: string[]): Promise<Running> {
  const noQat = mkdtempSync(join(tmpdir(), 'aigw-no-qat-'));
  cleanup.push(noQat);
  const [port, adminPort] = [await freePort(), await freePort()];
  const serve = spawnServe(['--config', dir, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1', ...flags], {
    AIGW_SECRET_CONSUMER_KEYS_ALICE: 'alice-key',
    AIGW_QAT_DEVICE_DIR: join(noQat),
    AIGW_QAT_SYSFS_DIR: join(noQat),
  });
  let stdout = '';
  serve.child.stdout!.removeAllListeners('data');
  serve.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  return { serve, port, admin: `http://127.0.0.1:${adminPort}`, stdout: () => stdout };
}

/** The first answer of `/readyz` once the admin listener accepts connections. */
async function firstReadiness(admin: string, serve: ServeProcess): Promise<{ status: number; body: string }> {
  for (;;) {
    if (serve.child.exitCode !== null) throw new Error(`aigw serve exited: ${serve.stderr()}`);
    try {
      const res = await fetch(`${admin}${PROBE_PATHS.readiness}`);
      return { status: res.status, body: await res.text() };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** `aigw_acceleration_mode` samples as `feature/mode` → value. */
async function accelerationModes(admin: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^aigw_acceleration_mode\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out[`${labels.feature}/${labels.mode}`] = Number(m[2]);
  }
  return out;
}

const logLines = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('aigw serve with QAT acceleration on a machine without QAT', () => {
  let sim: UpstreamSimulator;
  const cleanup: string[] = [];
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
  });
  afterAll(async () => {
    await sim.close();
    for (const d of cleanup) rmSync(d, { recursive: true, force: true });
  });

  test('--tls-accel=qat --accel-fallback=fail: stays alive and not ready (never ready first), /readyz names the missing device, the gauge says unavailable', async () => {
    const dir = configDir(sim);
    cleanup.push(dir);
    const { serve, admin, stdout } = await serveWithoutQat(dir, ['--tls-accel=qat', '--accel-fallback=fail'], cleanup);
    try {
      const first = await firstReadiness(admin, serve);
      expect(first.status).toBe(503);
      expect(first.body).toMatch(/^not ready: tls acceleration \(QAT\) is required \(fallback: fail\) and unavailable: no QAT device: \S+\/qat_\* and \S+\/vfio\/\* bound to a QAT device not found\n$/);
      // Alive for diagnosis: liveness answers (kubelet does not restart it), and it stays not ready.
      expect((await fetch(`${admin}${PROBE_PATHS.liveness}`)).status).toBe(200);
      expect((await fetch(`${admin}${PROBE_PATHS.readiness}`)).status).toBe(503);
      expect(await accelerationModes(admin)).toEqual({
        'tls/qat': 0,
        'tls/software': 0,
        'tls/unavailable': 1,
        'compression/qat': 0,
        'compression/software': 1,
        'compression/unavailable': 0,
      });
      expect(logLines(stdout()).filter((l) => l.level === 50 && String(l.msg).startsWith('not ready: tls acceleration'))).toHaveLength(1);
      expect(serve.child.exitCode).toBeNull();
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
    } finally {
      serve.child.kill('SIGKILL');
    }
  });

  test('--tls-accel=qat --compress-accel=qat --accel-fallback=software: ready and serving, ONE warning naming the reasons, both software', async () => {
    const dir = configDir(sim);
    cleanup.push(dir);
    const { serve, port, admin, stdout } = await serveWithoutQat(dir, ['--tls-accel=qat', '--compress-accel=qat', '--accel-fallback=software'], cleanup);
    try {
      await waitReady(admin, 30_000, serve.exited);
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'alice-key', maxRetries: 0 });
      const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'in software' }] });
      expect(res.choices[0].message.content).toBe('[sim:sim] gpt-4o: in software');
      expect(await accelerationModes(admin)).toMatchObject({ 'tls/software': 1, 'tls/unavailable': 0, 'tls/qat': 0, 'compression/software': 1, 'compression/qat': 0 });
      const warnings = logLines(stdout()).filter((l) => l.level === 40 && String(l.msg).includes('acceleration'));
      expect(warnings).toEqual([
        expect.objectContaining({
          msg: 'hardware acceleration unavailable (fallback: software): running in software',
          tls: expect.stringContaining('no QAT device'),
          compression: expect.stringContaining('no QAT device'),
        }),
      ]);
    } finally {
      serve.child.kill('SIGKILL');
    }
  });

  test("without flags, the config's acceleration block is acted on: tls with fallback fail holds readiness", async () => {
    const dir = configDir(sim, { tls: { enabled: true, fallback: 'fail' }, compression: { enabled: false, fallback: 'software' } });
    cleanup.push(dir);
    const { serve, admin } = await serveWithoutQat(dir, [], cleanup);
    try {
      const first = await firstReadiness(admin, serve);
      expect(first).toEqual({ status: 503, body: expect.stringContaining('not ready: tls acceleration (QAT) is required (fallback: fail) and unavailable: no QAT device') });
      expect((await accelerationModes(admin))['tls/unavailable']).toBe(1);
    } finally {
      serve.child.kill('SIGKILL');
    }
  });
});
