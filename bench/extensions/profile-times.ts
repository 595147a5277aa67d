/**
 * Where an aigw's time went, per call: the inclusive time (each function and everything it called, synchronous parts
 * only) of named request-path functions in a V8 CPU profile, divided by the calls its access log counts. The figures
 * of BENCHMARKS.md's "Extensions: where the time goes" came from this, on profiles the extensions bench takes with
 *   BENCH_ONLY=extensions BENCH_EXTENSIONS_SCENARIOS=trivial BENCH_EXTENSIONS_ROUNDS=2 BENCH_EXTENSIONS_ROUND_S=4 \
 *     BENCH_EXTENSIONS_KEEP_LOGS=1 BENCH_EXTENSIONS_AIGW_NODE_FLAGS="--cpu-prof --cpu-prof-dir=<dir>" bash bench/run.sh
 * then, per gateway (its profile and its log in bench/out/extensions/logs/aigw-<scenario>.log):
 *   node -r ts-node/register/transpile-only bench/extensions/profile-times.ts <dir>/CPU.<…>.cpuprofile bench/out/extensions/logs/aigw-trivial.log
 * Which profile is which gateway: the one whose functions include the scenario's hooks (the processes start in scenario order).
 */
import { readFileSync } from 'fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The request path's functions the figures name, as `<file under lib/>:<function>`. */
const NAMED = [
  'dataplane/stages/identify.js:run',
  'dataplane/stages/request-extensions.js:run',
  'extensions/system/key-auth.js:onRequest',
  'dataplane/auth.js:consumerWithKey',
  'dataplane/extensions/response.js:runResponseHooks',
  'dataplane/extensions/response.js:sendWholeThroughHooks',
  'dataplane/model/relay.js:relayResponse',
  'dataplane/extensions/runner.js:runHook',
  'dataplane/extensions/runner.js:observe',
];

function nameOf(node: ProfileNode): string {
  return `${node.callFrame.url.replace(/.*\/lib\//, '')}:${node.callFrame.functionName}`;
}

/** Inclusive microseconds by function name: each sample counted once per distinct function on its stack. */
export function inclusiveTimes(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = nameOf(byId.get(at)!);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }
  return inclusive;
}

function main(): void {
  const [profilePath, logPath, ...names] = process.argv.slice(2);
  if (!profilePath || !logPath) throw new Error('usage: profile-times.ts <profile.cpuprofile> <aigw access log> [<file>:<function> ...]');
  const calls = readFileSync(logPath, 'utf8').split('\n').filter((line) => line.includes('"msg":"access"')).length;
  const times = inclusiveTimes(JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile);
  console.log(`${calls} calls in ${logPath}`);
  for (const name of names.length > 0 ? names : NAMED) {
    const us = times.get(name);
    if (us !== undefined) console.log(`${(us / Math.max(1, calls)).toFixed(1).padStart(8)} µs per call  ${name}`);
  }
}

if (require.main === module) main();
