import { spawn } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import { connect } from 'net';
import { join } from 'path';
import { encodeConfigShards, type GatewayConfig, PROBE_PATHS } from '../specs';
import { freePorts, ManagedProcess, waitUntil } from './dev-processes';

/** The processes `aigw dev` runs next to the simulator: a Redis for rate limits, and one `aigw serve` per gateway. */

const READY_TIMEOUT_MS = 60_000;

/** A throwaway redis-server on a free loopback port: no persistence, nothing left on disk. */
export async function startRedis(executable: string, signal: AbortSignal): Promise<{ process: ManagedProcess; address: string }> {
  const [port] = await freePorts(1);
  const proc = new ManagedProcess(
    'redis-server',
    spawn(executable, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true }),
  );
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntil(() => accepts(port), proc, `redis to listen on ${address}`, READY_TIMEOUT_MS, signal);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { process: proc, address };
}

/** Writes a config as the files of its ConfigMap shards would be mounted (data as text, binaryData decoded). */
export function writeConfigDir(dir: string, config: GatewayConfig): void {
  mkdirSync(dir, { recursive: true });
  for (const shard of encodeConfigShards(config)) {
    for (const [name, text] of Object.entries(shard.data)) writeFileSync(join(dir, name), text, 'utf8');
    for (const [name, base64] of Object.entries(shard.binaryData)) writeFileSync(join(dir, name), Buffer.from(base64, 'base64'));
  }
}

export interface ServeLaunch {
  /** The `aigw` entry script (lib/cli/aigw.js, or src/cli/aigw.ts under ts-node). */
  readonly entry: string;
  readonly configDir: string;
  readonly port: number;
  readonly adminPort: number;
  /** `AIGW_SECRET_*` variables. */
  readonly env: Readonly<Record<string, string>>;
  readonly drainTimeoutMs: number;
  readonly forward?: (line: string) => void;
}

/** Spawns `aigw serve` with this Node (and its loader flags, e.g. ts-node) and waits for `/readyz`. */
export async function startServe(label: string, launch: ServeLaunch, signal: AbortSignal): Promise<ManagedProcess> {
  const args = [
    ...nodeFlags(process.execArgv),
    launch.entry,
    'serve',
    '--config',
    launch.configDir,
    '--port',
    String(launch.port),
    '--admin-port',
    String(launch.adminPort),
    '--host',
    '127.0.0.1',
    '--drain-timeout-ms',
    String(launch.drainTimeoutMs),
    // No load balancer to wait for locally: stop accepting at once.
    '--drain-delay-ms',
    '0',
  ];
  // Detached: a terminal's Ctrl-C reaches only `aigw dev`, which then stops its children in order.
  const proc = new ManagedProcess(label, spawn(process.execPath, [...args, '--stop-on-stdin-close'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...launch.env } }), launch.forward);
  const readyz = `http://127.0.0.1:${launch.adminPort}${PROBE_PATHS.readiness}`;
  try {
    await waitUntil(() => answers200(readyz), proc, `${readyz} answered 200`, READY_TIMEOUT_MS, signal);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return proc;
}

/** The parent's Node flags minus the inspector ones: children cannot share the parent's debug port. */
export function nodeFlags(execArgv: readonly string[]): string[] {
  return execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
}

async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
