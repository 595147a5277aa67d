/**
 * The HTTPS bench's loads, each run against some of the contenders' sides by its load generator on the
 * load-generator core: requests over kept-alive HTTP/1.1 (wrk) and over HTTP/2 (h2load), a new connection per
 * request (wrk with `Connection: close`), and bare TLS 1.3 handshakes, full and resumed (bench/tls/handshake-client.ts).
 */
import { join } from 'path';
import type { SideKey } from './figures';
import { h2load } from './h2load';
import { handshakes } from './handshakes';
import { type LoadKey, SETTINGS } from './settings';
import { CHAT_BODY } from '../dataplane/contenders';
import { LOADGEN_CPU, type Target, wrk, type WrkResult } from '../dataplane/loadgen';
import type { LoopResult } from '../shared/closed-loop';
import { REPO_ROOT } from '../shared/repo-paths';
import { type Summary, summarize } from '../shared/stats';

const LUA = join(REPO_ROOT, 'bench', 'dataplane', 'post.lua');

/** A port of a contender: where load goes, and the process whose CPU is counted. */
export interface Side {
  readonly key: SideKey;
  readonly pid: number;
  readonly target: Target;
}

/** A load's run against one side: its counts (no samples: the tools keep their own), latency, and what it saw of TLS. */
export interface LoadRun {
  readonly loop: LoopResult<number>;
  readonly latency: Summary;
  readonly resumed?: number;
  readonly negotiated?: string;
}

export interface Load {
  readonly key: LoadKey;
  readonly title: string;
  readonly sides: readonly SideKey[];
  /** The load generator's command, for the report. */
  readonly command: string;
  run(side: Side, workDir: string, seconds: number): Promise<LoadRun>;
}

const TLS_SIDES: readonly SideKey[] = ['nginx-tls', 'aigw-tls'];
const ALL_SIDES: readonly SideKey[] = ['nginx-plain', 'nginx-tls', 'aigw-plain', 'aigw-tls'];
const pinned = (command: string): string => `taskset -c ${LOADGEN_CPU} ${command}`;

function fromWrk(r: WrkResult): LoadRun {
  const errors = r.statusErrors + r.socketErrors;
  return {
    loop: {
      ok: r.requests - r.statusErrors,
      errors,
      firstError: errors > 0 ? `${r.statusErrors} non-2xx answers, ${r.socketErrors} connect/read/write errors and timeouts` : undefined,
      seconds: r.durationS,
      samples: [],
    },
    latency: { n: r.requests, p50: r.latencyMs.p50, p90: r.latencyMs.p90, p99: r.latencyMs.p99, max: r.latencyMs.max },
  };
}

const wrkRun = (extraHeaders: Record<string, string>) => async (side: Side, workDir: string, seconds: number): Promise<LoadRun> => {
  const connections = extraHeaders.Connection === 'close' ? SETTINGS.newConnections : SETTINGS.connections;
  const target = { ...side.target, headers: { ...side.target.headers, ...extraHeaders } };
  return fromWrk(await wrk(target, { connections, durationS: seconds, body: CHAT_BODY, workDir, luaScript: LUA }));
};

const handshakeRun = (resume: boolean) => async (side: Side, _workDir: string, seconds: number): Promise<LoadRun> => {
  const { latency, resumed, negotiated, ...counts } = await handshakes({
    port: Number(new URL(side.target.baseUrl).port),
    durationS: seconds,
    concurrency: SETTINGS.newConnections,
    resume,
  });
  return { loop: { ...counts, samples: [] }, latency, resumed, negotiated };
};

const WRK = `wrk -t1 -c{connections} -d${SETTINGS.runS}s --timeout 5s -s bench/dataplane/post.lua URL`;

export const LOADS: Record<LoadKey, Load> = {
  keepalive: {
    key: 'keepalive',
    title: `HTTP/1.1, ${SETTINGS.connections} kept-alive connections`,
    sides: ALL_SIDES,
    command: pinned(WRK.replace('{connections}', String(SETTINGS.connections))),
    run: wrkRun({}),
  },
  h2: {
    key: 'h2',
    title: `HTTP/2, ${SETTINGS.h2Clients} connections × ${SETTINGS.h2Streams} streams`,
    sides: TLS_SIDES,
    command: pinned(`h2load -t1 -c${SETTINGS.h2Clients} -m${SETTINGS.h2Streams} -D ${SETTINGS.runS} -d BODY -H 'content-type: application/json' -H 'authorization: Bearer …' --log-file=LOG URL`),
    run: async (side, workDir, seconds) => {
      const r = await h2load(side.target, { clients: SETTINGS.h2Clients, streams: SETTINGS.h2Streams, durationS: seconds, body: CHAT_BODY, workDir });
      const { latenciesMs, negotiated, ...counts } = r;
      return { loop: { ...counts, samples: [] }, latency: summarize(latenciesMs), negotiated };
    },
  },
  close: {
    key: 'close',
    title: `HTTP/1.1, a new connection per request (\`Connection: close\`), ${SETTINGS.newConnections} at once`,
    sides: ALL_SIDES,
    command: pinned(`${WRK.replace('{connections}', String(SETTINGS.newConnections))} (headers + 'Connection: close')`),
    run: wrkRun({ Connection: 'close' }),
  },
  full: {
    key: 'full',
    title: `TLS 1.3 handshakes only, full (no session offered), ${SETTINGS.newConnections} at once`,
    sides: TLS_SIDES,
    command: pinned(`node -r ts-node/register/transpile-only bench/tls/handshake-client.ts '{"resume":false,"concurrency":${SETTINGS.newConnections},"durationS":${SETTINGS.runS},…}'`),
    run: handshakeRun(false),
  },
  resumed: {
    key: 'resumed',
    title: `TLS 1.3 handshakes only, resumed (a session ticket offered), ${SETTINGS.newConnections} at once`,
    sides: TLS_SIDES,
    command: pinned(`node -r ts-node/register/transpile-only bench/tls/handshake-client.ts '{"resume":true,"concurrency":${SETTINGS.newConnections},"durationS":${SETTINGS.runS},…}'`),
    run: handshakeRun(true),
  },
};
