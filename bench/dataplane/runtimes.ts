/**
 * The node binaries the runtimes section runs aigw with: the run's own node first, then those named by
 * BENCH_NODE_BINARIES (`22=/path/to/node,24=/path/to/node`), or else the major versions of
 * BENCH_RUNTIME_VERSIONS installed from the npm registry's `node` package (it ships the official
 * binary as node_modules/node/bin/node) into bench/out/runtimes/node<major>/ (git-ignored), once.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync } from 'fs';
import { join } from 'path';

export interface NodeBinary {
  /** What the user called it (`22`), or `this run`. */
  readonly label: string;
  readonly path: string;
  /** Its `--version`, e.g. v22.23.3. */
  readonly version: string;
}

function versionOf(path: string): string | undefined {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Parses BENCH_NODE_BINARIES; throws naming the bad entry and the expected form. */
export function parseNodeBinaries(spec: string): { label: string; path: string }[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0 || eq === entry.length - 1) throw new Error(`BENCH_NODE_BINARIES entry '${entry}' is not label=/path/to/node (e.g. 22=/opt/node22/bin/node)`);
      return { label: entry.slice(0, eq), path: entry.slice(eq + 1) };
    });
}

/** Installs `node@<major>` under `dir` unless its binary is already there; returns the binary's path. */
function installNode(major: string, dir: string, log: (m: string) => void): string {
  const prefix = join(dir, `node${major}`);
  const bin = join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (existsSync(bin) && versionOf(bin)) return bin;
  mkdirSync(prefix, { recursive: true });
  log(`installing node@${major} into ${prefix} (npm install --prefix ${prefix} node@${major})`);
  const args = ['install', '--prefix', prefix, `node@${major}`, '--no-audit', '--no-fund', '--no-save'];
  const r = spawnSync('npm', args, { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || !existsSync(bin)) {
    const why = `exit ${r.status ?? r.signal}: ${`${r.stderr ?? ''}`.slice(-800)}`;
    throw new Error(`npm install --prefix ${prefix} node@${major} did not give ${bin} (${why}); set BENCH_NODE_BINARIES=${major}=/path/to/node instead`);
  }
  return bin;
}

export interface NodeBinaryOptions {
  /** BENCH_NODE_BINARIES: `label=/path/to/node,…`; when set, nothing is installed. */
  readonly binaries?: string;
  /** Major versions to install when `binaries` is unset. */
  readonly versions: readonly string[];
  /** Where they are installed: <dir>/node<major>/. */
  readonly installDir: string;
  readonly log: (m: string) => void;
}

/** The binaries to run, the run's own first. Missing or broken ones throw, naming the path and the fix. */
export function nodeBinaries(options: NodeBinaryOptions): NodeBinary[] {
  const out: NodeBinary[] = [{ label: 'this run', path: process.execPath, version: process.version }];
  const wanted = options.binaries
    ? parseNodeBinaries(options.binaries)
    : options.versions.map((v) => ({ label: v, path: installNode(v, options.installDir, options.log) }));
  for (const { label, path } of wanted) {
    const version = versionOf(path);
    if (!version) throw new Error(`node binary for '${label}' at ${path} does not run (\`${path} --version\` failed); fix the path in BENCH_NODE_BINARIES`);
    out.push({ label, path, version });
  }
  return out;
}
