/**
 * HTTP/2 load over TLS: nghttp2's h2load, one thread, pinned to the load-generator core, POSTing the chat body for a
 * fixed time. h2load prints no percentiles: each request's time comes from its `--log-file` (one line per request:
 * start µs, status, µs to the end of the response).
 */
import { readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { LOADGEN_CPU, type Target } from '../dataplane/loadgen';
import { run } from '../dataplane/procs';

export interface H2loadOptions {
  readonly clients: number;
  /** Concurrent streams per connection (-m). */
  readonly streams: number;
  readonly durationS: number;
  readonly body: string;
  readonly workDir: string;
}

export interface H2loadResult {
  /** 2xx answers. */
  readonly ok: number;
  /** Requests done without a 2xx answer (failed, errored, other statuses). */
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  /** Each 2xx request's time, ms. */
  readonly latenciesMs: number[];
  /** What h2load says of the connection: `TLS Protocol`, `Cipher`, `Server Temp Key`, `Application protocol`. */
  readonly negotiated: string;
}

let seq = 0;

/** `h2load -t1 -c C -m M -D S -d BODY -H … --log-file F URL`; the whole output is kept in the error when it cannot be read. */
export async function h2load(target: Target, o: H2loadOptions): Promise<H2loadResult> {
  const id = seq++;
  const bodyFile = join(o.workDir, `h2load-${id}.body`);
  const logFile = join(o.workDir, `h2load-${id}.log`);
  writeFileSync(bodyFile, o.body);
  const headers = Object.entries({ 'content-type': 'application/json', ...target.headers }).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const args = ['-t1', `-c${o.clients}`, `-m${o.streams}`, '-D', String(o.durationS), '-d', bodyFile, ...headers, `--log-file=${logFile}`, `${target.baseUrl}${target.paths[0]}`];
  try {
    const out = await run('h2load', 'h2load', args, { cpu: LOADGEN_CPU, timeoutMs: (o.durationS + 30) * 1000 });
    return parseH2load(out, readFileSync(logFile, 'utf8'));
  } finally {
    rmSync(bodyFile, { force: true });
    rmSync(logFile, { force: true });
  }
}

/** The summary's counts and the log's 2xx latencies. */
export function parseH2load(out: string, log: string): H2loadResult {
  const counts = /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const finished = /finished in ([\d.]+)(ms|s)/.exec(out);
  if (!counts || !finished) throw new Error(`h2load printed no summary:\n${out.slice(-2000)}`);
  const latenciesMs: number[] = [];
  const bad = new Map<string, number>();
  for (const line of log.split('\n')) {
    const [, status, us] = line.split('\t');
    if (us === undefined) continue;
    if (status.startsWith('2')) latenciesMs.push(Number(us) / 1000);
    else bad.set(status, (bad.get(status) ?? 0) + 1);
  }
  // The log has one line per request done, with its status (the summary's status counts also count answers still
  // streaming when time ran out); `failed` counts requests done without a 2xx, errored ones included.
  const logged = [...bad.values()].reduce((x, n) => x + n, 0);
  const errors = Math.max(logged, Number(counts[1]));
  const described = [...bad].map(([status, n]) => `${n}× status ${status}`);
  if (Number(counts[1]) > logged) described.push(`${counts[1]} failed (${counts[2]} of them errored)`);
  return {
    ok: latenciesMs.length,
    errors,
    firstError: described.length > 0 ? described.join('; ') : undefined,
    seconds: Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1),
    latenciesMs,
    negotiated: ['TLS Protocol', 'Cipher', 'Server Temp Key', 'Application protocol']
      .map((k) => new RegExp(`${k}: ([^\\n]*)`).exec(out)?.[1])
      .filter(Boolean)
      .join(', '),
  };
}
