import { type ChildProcess, spawn } from 'child_process';
import { accessSync, constants } from 'fs';
import { connect } from 'net';
import { delimiter, join } from 'path';
import { freePorts } from '../../src/cli/dev-processes';

/** A real redis-server on a loopback port, for tests of cluster-wide state. */
export interface TestRedisServer {
  readonly port: number;
  /** `127.0.0.1:<port>`, as the config's `redis.address` takes it. */
  readonly address: string;
  /** SIGTERM, and wait for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL, and wait for it to exit: Redis vanishing mid-request. */
  kill(): Promise<void>;
  /** Start again on the same port (stopping it first if it runs), with empty data. */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** More `redis-server` arguments, e.g. `['--requirepass', 'secret']`. */
  readonly args?: readonly string[];
  /** How long to wait for PING to answer. Default 4 s: inside jest's 5 s hook timeout, so a failed start still kills the server. */
  readonly startTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
// If a test file dies without its afterAll, do not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The redis-server binary on `searchPath` or in the usual places; throws saying how to install it. */
export function findRedisServer(searchPath: string = process.env.PATH ?? '', fallbacks: readonly string[] = ['/usr/bin', '/usr/local/bin', '/usr/sbin']): string {
  for (const dir of [...searchPath.split(delimiter), ...fallbacks]) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(
    'redis-server is not installed: the rate limit tests run a real Redis. ' +
      '.ci/run installs it when it is missing (apt-get install -y redis-server); locally, install it the same way.',
  );
}

async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** One PING over a raw socket: true when the server answers (`+PONG`, or `-NOAUTH` when it requires a password). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(binary: string, port: number, options: RedisServerOptions): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(options.args ?? [])];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.once('exit', () => running.delete(child));
  const deadline = Date.now() + (options.startTimeoutMs ?? 4_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}) before answering PING:\n${output}`);
    }
    if (await ping(port)) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited(child);
      throw new Error(`redis-server on port ${port} did not answer PING in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no` on a free loopback port and
 * waits until it answers PING. Stop it in afterAll.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<TestRedisServer> {
  const binary = findRedisServer();
  let port = 0;
  let child: ChildProcess | undefined;
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(binary, port, options);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  let current: ChildProcess = child;
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (current.exitCode === null && current.signalCode === null) current.kill(sig);
    await exited(current);
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    restart: async () => {
      await signal('SIGTERM');
      current = await launch(binary, port, options);
    },
  };
}
