import { type ChildProcess, spawn } from 'child_process';
import { createServer } from 'net';
import { join } from 'path';

const root = join(__dirname, '..', '..');

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

/** Runs `aigw serve` as its own process, as the container does (from sources, through ts-node). */
export function spawnServe(args: string[], env: Record<string, string> = {}): ServeProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(root, 'src', 'cli', 'aigw.ts'), 'serve', ...args], {
    cwd: root,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `/readyz` until it answers 200. */
export async function waitReady(adminUrl: string, timeoutMs = 30_000, exited?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited?.then(() => (gone = true));
  while (Date.now() < deadline && !gone) {
    try {
      if ((await fetch(`${adminUrl}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(gone ? 'aigw serve exited before it was ready' : `aigw serve was not ready within ${timeoutMs} ms`);
}
