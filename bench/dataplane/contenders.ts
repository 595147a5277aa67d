/**
 * The contenders of the data-plane bench, each started on the contender core (CPU 1) in front of
 * the same simulator: direct (the simulator itself), nginx, Portkey, and `aigw serve`.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { CONSUMER_KEY, CONSUMER_KEY_ENV, UPSTREAM_KEY, UPSTREAM_KEY_ENV } from './configs';
import type { Target } from './loadgen';
import { freePort, type Proc, rssKiB, start, type StartedProc, stop, waitFor } from './procs';
import { serveArgv } from '../../src/specs';

export const CONTENDER_CPU = '1';
export const CHAT_BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
export const STREAM_BODY = JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hello' }] });
/** What the simulator (started with `--name bench`) answers to CHAT_BODY, streamed or not. */
export const EXPECTED_REPLY = '[sim:bench] gpt-4o: hello';

export interface Running {
  readonly name: string;
  /** The process whose tree is measured (CPU, RSS). */
  readonly pid: number;
  readonly proc?: Proc;
  /** Where load goes: base URL, path(s), headers. */
  readonly target: Target;
  /** The exact command line, for the report. */
  readonly command: string;
  stop(): Promise<void>;
}

export interface Env {
  readonly repoRoot: string;
  readonly workDir: string;
  readonly logDir: string;
  /** The simulator's base URL, e.g. http://127.0.0.1:PORT. */
  readonly upstream: string;
  readonly simulatorPid: number;
  /** The compiled code aigw runs: a snapshot of lib/ taken after the compile. */
  readonly libDir: string;
}

const AUTH = { Authorization: `Bearer ${CONSUMER_KEY}` };
const CHAT_PATH = '/v1/chat/completions';

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.status < 500;
}

/** 1. Direct: the simulator itself (shared, never stopped here). */
export function direct(env: Env): Running {
  return {
    name: 'direct',
    pid: env.simulatorPid,
    target: { baseUrl: env.upstream, paths: [CHAT_PATH], headers: AUTH },
    command: '(the simulator itself)',
    stop: async () => undefined,
  };
}

/** 2. nginx (nginx-light): one worker, reverse proxy with upstream keep-alive, no buffering (SSE). */
export async function nginx(env: Env): Promise<Running> {
  const port = await freePort();
  const dir = join(env.workDir, `nginx-${port}`);
  mkdirSync(dir, { recursive: true });
  const upstream = new URL(env.upstream);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `# Written by bench/dataplane-bench.ts: one worker, pinned with taskset; upstream keep-alive on.
user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  upstream simulator {
    server ${upstream.hostname}:${upstream.port};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://simulator;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`,
  );
  const args = ['-c', conf, '-p', dir];
  const proc = start('nginx', 'nginx', args, { cpu: CONTENDER_CPU, logFile: join(env.logDir, 'nginx.log') });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor('nginx to listen', () => httpOk(`${baseUrl}/`), 10_000, proc);
  return {
    name: 'nginx',
    pid: proc.pid,
    proc,
    target: { baseUrl, paths: [CHAT_PATH], headers: AUTH },
    command: `taskset -c ${CONTENDER_CPU} nginx -c ${conf} -p ${dir}`,
    stop: () => stop(proc, 5_000, 'SIGQUIT'),
  };
}

/** 3. Portkey's gateway, as its package starts it, told per request to use the simulator as an OpenAI host. */
export async function portkey(env: Env): Promise<Running> {
  const port = await freePort();
  const cwd = join(env.repoRoot, 'bench', 'peers');
  const script = 'node_modules/@portkey-ai/gateway/build/start-server.js';
  const args = [script, '--headless', `--port=${port}`];
  const proc = start('portkey', process.execPath, args, { cpu: CONTENDER_CPU, cwd, logFile: join(env.logDir, 'portkey.log') });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor('Portkey to listen', () => httpOk(`${baseUrl}/`), 30_000, proc);
  return {
    name: 'portkey',
    pid: proc.pid,
    proc,
    target: {
      baseUrl,
      paths: [CHAT_PATH],
      headers: { ...AUTH, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${env.upstream}/v1` },
    },
    command: `cd bench/peers && taskset -c ${CONTENDER_CPU} node ${args.join(' ')}`,
    stop: () => stop(proc),
  };
}

export interface AigwOptions {
  readonly name: string;
  readonly configDir: string;
  /** Request paths (routes) load goes to. */
  readonly paths: readonly string[];
  /** Extra node flags, e.g. --cpu-prof, or `-r <probe.js>`. */
  readonly nodeFlags?: readonly string[];
  /** Extra environment, e.g. the allocation probe's file. */
  readonly env?: NodeJS.ProcessEnv;
  /** The node binary to run aigw with (the runtimes section); default: the bench's own. */
  readonly nodeBinary?: string;
  readonly logFile: string;
}

export interface RunningAigw extends Running {
  readonly adminUrl: string;
  readonly proc: StartedProc;
  /** Its stdout: JSON log lines (`listening`, `access`, `config reloaded`, ...). */
  readonly logFile: string;
}

/** 4. This data plane: `aigw serve` from lib/, the argv the constructs render (serveArgv), on loopback. */
export async function aigw(env: Env, options: AigwOptions): Promise<RunningAigw> {
  const port = await freePort();
  const adminPort = await freePort();
  const argv = serveArgv({ configDir: options.configDir, secretsDir: join(env.workDir, 'no-secrets-dir'), port, adminPort });
  // argv[0] is the image's `aigw` binary: here, lib/cli/aigw.js. --host keeps it on loopback.
  const args = [...(options.nodeFlags ?? []), join(env.libDir, 'cli', 'aigw.js'), ...argv.slice(1), '--host', '127.0.0.1', '--drain-delay-ms', '0'];
  const node = options.nodeBinary ?? process.execPath;
  const proc = start(options.name, node, args, {
    cpu: CONTENDER_CPU,
    env: { ...process.env, ...options.env, [CONSUMER_KEY_ENV]: CONSUMER_KEY, [UPSTREAM_KEY_ENV]: UPSTREAM_KEY },
    logFile: options.logFile,
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitFor('aigw /readyz', async () => (await fetch(`${adminUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200, 60_000, proc);
  return {
    name: options.name,
    pid: proc.pid,
    proc,
    adminUrl,
    logFile: options.logFile,
    target: { baseUrl: `http://127.0.0.1:${port}`, paths: options.paths, headers: AUTH },
    command: `${CONSUMER_KEY_ENV}=… taskset -c ${CONTENDER_CPU} ${options.nodeBinary ? options.nodeBinary.replace(env.repoRoot + '/', '') : 'node'} ${args.map((a) => a.replace(env.repoRoot + '/', '')).join(' ')}`,
    stop: () => stop(proc, 10_000),
  };
}

export interface Verification {
  readonly ok: boolean;
  readonly detail: string;
}

/** One non-streaming and one streaming request through the contender: both must come back from the simulator. */
export async function verify(running: Running): Promise<Verification> {
  const url = `${running.target.baseUrl}${running.target.paths[0]}`;
  const headers = { 'content-type': 'application/json', ...running.target.headers };
  const problems: string[] = [];
  const plain = await fetch(url, { method: 'POST', headers, body: CHAT_BODY, signal: AbortSignal.timeout(10_000) });
  const json = (await plain.json().catch(() => undefined)) as { choices?: { message?: { content?: string } }[] } | undefined;
  const content = json?.choices?.[0]?.message?.content;
  if (plain.status !== 200 || content !== EXPECTED_REPLY) problems.push(`non-streaming: HTTP ${plain.status}, content ${JSON.stringify(content)}`);
  const streamed = await fetch(url, { method: 'POST', headers, body: STREAM_BODY, signal: AbortSignal.timeout(10_000) });
  const text = await streamed.text();
  const frames = text.split('\n').filter((l) => l.startsWith('data: '));
  let pieces = '';
  for (const f of frames) {
    if (f === 'data: [DONE]') continue;
    try {
      pieces += (JSON.parse(f.slice(6)) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '';
    } catch {
      problems.push(`unparsable frame ${f.slice(0, 60)}`);
    }
  }
  const done = frames[frames.length - 1] === 'data: [DONE]';
  if (streamed.status !== 200 || pieces !== EXPECTED_REPLY || !done) {
    problems.push(`streaming: HTTP ${streamed.status}, ${frames.length} frames, content ${JSON.stringify(pieces)}, [DONE] ${done}`);
  }
  return {
    ok: problems.length === 0,
    detail: problems.length === 0 ? `200 + "${EXPECTED_REPLY}" (non-streaming), ${frames.length} SSE frames ending in [DONE] (streaming)` : problems.join('; '),
  };
}

export function rssMiB(pid: number): number | undefined {
  const kib = rssKiB(pid);
  return kib === undefined ? undefined : kib / 1024;
}
