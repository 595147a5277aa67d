import type { EventEmitter } from 'events';
import { extname, join } from 'path';
import { Worker } from 'worker_threads';
import { oneLine, messageOf, type Decoded } from './decode-dir';
import { runSliced, type SliceClock } from './sliced';
import { type PackedConfig, unpackConfig } from './wire';

export interface DecodeRequest {
  readonly id: number;
  readonly dir: string;
}

export type DecodeReply =
  | { readonly id: number; readonly ok: true; readonly hash: string; readonly packed: PackedConfig }
  | { readonly id: number; readonly ok: false; readonly reason: string };

/**
 * Longest a decode may take before the worker is taken for hung: it is replaced, and the reload is rejected
 * (reloads never overlap, so a worker that never answers would otherwise stop every later one). A
 * 10,000-route config decodes in about a second.
 */
export const DECODE_TIMEOUT_MS = 60_000;

/** What the decode worker is called in reasons, so an operator knows where the failure was. */
const WORKER = 'the config decode worker (a worker thread of this process)';

/**
 * Reads and decodes config directories on one long-lived worker thread, so that a reload's file
 * reads, inflate, hash, JSON.parse and schema check never block the event loop; the answer is
 * unpacked on the main thread in slices. The worker starts at the first decode, does not keep the
 * process alive, and is replaced at the next decode if it dies. Never throws: every failure is a
 * `reason`, the same text `readConfig` gives for a bad config.
 */
export class ConfigDecoder {
  private current: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (reply: DecodeReply) => void>();
  private closed = false;

  /** Reads and decodes `dir`; the unpack's slices are timed on `clock`. */
  public async decode(dir: string, clock: SliceClock, timeoutMs = DECODE_TIMEOUT_MS): Promise<Decoded> {
    if (this.closed) return { ok: false, reason: 'the gateway is shutting down' };
    let worker: Worker;
    try {
      worker = this.worker ?? this.startWorker();
    } catch (e) {
      return { ok: false, reason: `${WORKER} could not start (${oneLine(messageOf(e))}); the next reload tries again` };
    }
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const reply = await new Promise<DecodeReply>((resolve) => {
      this.pending.set(id, resolve);
      timer = setTimeout(() => this.fail(worker, `${WORKER} did not answer within ${timeoutMs} ms; it was stopped, and the next reload starts a new one`), timeoutMs);
      timer.unref();
      worker.postMessage({ id, dir } satisfies DecodeRequest);
    });
    clearTimeout(timer);
    if (!reply.ok) return { ok: false, reason: reply.reason };
    try {
      return { ok: true, config: await runSliced(unpackConfig(reply.packed), clock), hash: reply.hash };
    } catch (e) {
      return { ok: false, reason: `the config ${WORKER} sent could not be unpacked (${oneLine(messageOf(e))})` };
    }
  }

  /** The running worker, if any. For tests: terminating it is how a crash is simulated. */
  public get worker(): Worker | undefined {
    return this.current;
  }

  /** Stops the worker; decodes still waiting are answered with a reason, later ones refused. */
  public close(): void {
    this.closed = true;
    const worker = this.current;
    this.current = undefined;
    for (const [id, resolve] of this.pending) resolve({ id, ok: false, reason: 'the gateway is shutting down' });
    this.pending.clear();
    void worker?.terminate();
  }

  private startWorker(): Worker {
    const worker = new Worker(workerScript.code, { eval: workerScript.eval });
    worker.unref();
    this.current = worker;
    worker.on('message', (reply: DecodeReply) => {
      const resolve = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      resolve?.(reply);
    });
    worker.on('messageerror', (e) => this.fail(worker, `${WORKER} sent an answer that could not be read (${oneLine(messageOf(e))}); the next reload starts a new one`));
    worker.on('error', (e) => this.fail(worker, `${WORKER} failed (${oneLine(messageOf(e))}); the next reload starts a new one`));
    worker.on('exit', (code) => this.fail(worker, `${WORKER} exited (code ${code}) before it answered; the next reload starts a new one`));
    return worker;
  }

  /** The worker is no use any more: every decode waiting on it gets `reason`, and the next decode starts another. */
  private fail(worker: Worker, reason: string): void {
    if (this.current !== worker) return;
    this.current = undefined;
    void worker.terminate();
    for (const [id, resolve] of this.pending) resolve({ id, ok: false, reason });
    this.pending.clear();
  }
}

/**
 * The worker's script beside this file: decode-worker.js when running from lib/. Under ts-jest or
 * ts-node it is decode-worker.ts, which a worker (a fresh module system) cannot load alone: it gets a
 * require hook that transpiles TypeScript with esbuild (a dependency already), which starts the
 * worker in well under a second where ts-node takes seconds.
 */
const workerScript = ((): { code: string; eval: boolean } => {
  const ext = extname(__filename);
  const path = join(__dirname, `decode-worker${ext}`);
  if (ext !== '.ts') return { code: path, eval: false };
  const code = `
    const { readFileSync } = require('fs');
    const { transformSync } = require(${JSON.stringify(require.resolve('esbuild'))});
    require.extensions['.ts'] = (module, filename) =>
      module._compile(transformSync(readFileSync(filename, 'utf8'), { loader: 'ts', format: 'cjs', target: 'node20', sourcefile: filename }).code, filename);
    require(${JSON.stringify(path)});
  `;
  return { code, eval: true };
})();

const decoders = new WeakMap<object, ConfigDecoder>();

/** The decoder of `owner` (a data plane), made at its first use and closed when `closedBy` emits 'close' (the plane's listener). */
export function decoderFor(owner: object, closedBy: EventEmitter): ConfigDecoder {
  let decoder = decoders.get(owner);
  if (!decoder) {
    const made = new ConfigDecoder();
    closedBy.once('close', () => made.close());
    decoders.set(owner, made);
    decoder = made;
  }
  return decoder;
}

/** The decoder `owner` has made, if any (a test hook: its `worker` can be terminated to simulate a crash). */
export function configDecoderOf(owner: object): ConfigDecoder | undefined {
  return decoders.get(owner);
}
