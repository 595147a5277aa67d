/** What a bench records about the machine and the code it measured. */
import { spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { loadavg } from 'os';
import { join } from 'path';

/** A short command's stdout, or 'n/a' when it fails. */
function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'n/a';
}

/** The `version` of a package.json, or 'n/a' when there is none. */
export function packageVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'n/a';
  }
}

/** The 1, 5 and 15 minute load averages, `a / b / c`. */
export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}

export function machineFacts(): Record<string, string> {
  return {
    // The driver itself is pinned to one CPU, so plain `nproc` would say 1.
    nproc: sh('nproc', ['--all']),
    cpuModel: readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'))?.split(':')[1]?.trim() ?? 'unknown',
    kernel: sh('uname', ['-sr']),
    loadAverageStart: loadAverage(),
  };
}

/** node, the bench's own `extra` (in this order), then undici, aigw and the git state of src/. */
export function codeVersions(repoRoot: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    node: process.version,
    ...extra,
    undici: packageVersion(join(repoRoot, 'node_modules', 'undici', 'package.json')),
    aigw: packageVersion(join(repoRoot, 'package.json')),
    gitHead: sh('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']),
    gitDirty: sh('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length > 0 ? 'src/ has uncommitted changes' : 'clean',
  };
}
