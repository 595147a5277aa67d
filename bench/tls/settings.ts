/** The HTTPS bench's settings, from `BENCH_TLS_*` (listed with their defaults at the head of bench/tls/tls-bench.ts). */
import { envNumber } from '../shared/env-settings';

export const LOAD_KEYS = ['keepalive', 'h2', 'close', 'full', 'resumed'] as const;
export type LoadKey = (typeof LOAD_KEYS)[number];

/** BENCH_TLS_LOADS: a comma-separated subset of the loads; unset, empty or `all`: every one. */
function selectedLoads(setting = 'all'): LoadKey[] {
  const asked = new Set(setting.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'all'));
  const unknown = [...asked].filter((s) => !(LOAD_KEYS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_TLS_LOADS=${setting}: no load named ${unknown.join(', ')}; name some of ${LOAD_KEYS.join(', ')}, or all`);
  return asked.size === 0 ? [...LOAD_KEYS] : LOAD_KEYS.filter((k) => asked.has(k));
}

export const SETTINGS = {
  loads: selectedLoads(process.env.BENCH_TLS_LOADS),
  rounds: Math.max(1, envNumber('BENCH_TLS_ROUNDS', 2)),
  runS: Math.max(1, envNumber('BENCH_TLS_RUN_S', 6)),
  /** wrk's keep-alive connections (HTTP/1.1). */
  connections: Math.max(1, envNumber('BENCH_TLS_CONNECTIONS', 50)),
  /** h2load's connections and concurrent streams on each. */
  h2Clients: Math.max(1, envNumber('BENCH_TLS_H2_CLIENTS', 16)),
  h2Streams: Math.max(1, envNumber('BENCH_TLS_H2_STREAMS', 10)),
  /** Connections open at once in the new-connection loads (wrk with `Connection: close`, the handshake client's loops). */
  newConnections: Math.max(1, envNumber('BENCH_TLS_NEW_CONNECTIONS', 16)),
  /** An unrecorded keep-alive run of each contender (JIT, pools), seconds; 0: none. */
  warmupS: envNumber('BENCH_TLS_WARMUP_S', 2),
  quietWaitS: envNumber('BENCH_QUIET_WAIT_S', 5),
  keepLogs: process.env.BENCH_TLS_KEEP_LOGS === '1',
};
