import { spawn } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { decodeConfigShards, type GatewayConfig } from '../specs';
import { CDKTF_CONTEXT_ENV, localSynthContext } from './dev-lock';
import { DevError, killGroup } from './dev-processes';

/**
 * Synthesizes a cdktf app the way `cdktf synth` does, without needing cdktf-cli: run cdktf.json's
 * `app` command in the app's directory with `CDKTF_OUTDIR` set (the cdktf `App` writes there) and
 * cdktf.json's `context`, except that the lock file is a scratch copy in `outdir`: see localSynthContext.
 * Resolves once the app has exited 0; rejects with its stderr otherwise, or when `signal` aborts.
 */
export async function synthesizeApp(appDir: string, outdir: string, signal: AbortSignal): Promise<void> {
  const cdktfJson = join(appDir, 'cdktf.json');
  if (!existsSync(cdktfJson)) throw new DevError(`no cdktf.json in ${appDir}: pass the app's directory with --app DIR`);
  let app: unknown;
  let context: unknown;
  try {
    ({ app, context } = JSON.parse(readFileSync(cdktfJson, 'utf8')) as { app?: unknown; context?: unknown });
  } catch (e) {
    throw new DevError(`${cdktfJson} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof app !== 'string' || app.trim() === '') throw new DevError(`${cdktfJson} has no "app" command`);
  const projectContext = typeof context === 'object' && context !== null && !Array.isArray(context) ? (context as Record<string, unknown>) : {};
  const synthContext = localSynthContext(appDir, projectContext, outdir);

  // Its own process group, so that a stop reaches the whole tree (shell → npx → ts-node).
  const child = spawn(app, {
    cwd: appDir,
    shell: true,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CDKTF_OUTDIR: outdir, [CDKTF_CONTEXT_ENV]: JSON.stringify(synthContext) },
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => stdout.push(d));
  child.stderr.on('data', (d: Buffer) => stderr.push(d));
  const onAbort = () => killGroup(child.pid);
  signal.addEventListener('abort', onAbort, { once: true });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => signal.removeEventListener('abort', onAbort));
  if (signal.aborted) throw new DevError('stopped during synth');
  if (code !== 0) {
    // The app's stderr says what went wrong; a silent failure may have said it on stdout.
    const output = Buffer.concat(stderr).toString('utf8').trim() || Buffer.concat(stdout).toString('utf8').trim();
    throw new DevError(`synth failed: \`${app}\` in ${appDir} exited with ${code ?? 'a signal'}${output ? `:\n${output}` : ''}`);
  }
}

/** One gateway as synthesized: the stack it is in and its decoded config. */
export interface SynthesizedGateway {
  readonly stack: string;
  readonly config: GatewayConfig;
}

interface ConfigMapJson {
  readonly metadata?: { readonly name?: string; readonly labels?: Record<string, string> };
  readonly data?: Record<string, string>;
  readonly binary_data?: Record<string, string>;
}

const SHARD_META = /^shard-\d{3}\.meta\.json$/;

/** Reads every gateway config from a synth output dir: the ConfigMaps holding shards, grouped per gateway. */
export function readSynthesizedGateways(outdir: string): SynthesizedGateway[] {
  const manifestPath = join(outdir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new DevError(`the app wrote no ${manifestPath}: does it call app.synth()?`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { stacks?: Record<string, { synthesizedStackPath?: string }> };
  const gateways: SynthesizedGateway[] = [];
  for (const [stack, entry] of Object.entries(manifest.stacks ?? {})) {
    if (!entry.synthesizedStackPath) continue;
    const tf = JSON.parse(readFileSync(join(outdir, entry.synthesizedStackPath), 'utf8')) as { resource?: Record<string, Record<string, ConfigMapJson>> };
    // A gateway's shards are the ConfigMaps labelled with its fleet (part-of) and name (instance).
    const groups = new Map<string, Map<string, Buffer>>();
    for (const cm of Object.values(tf.resource?.kubernetes_config_map_v1 ?? {})) {
      if (!Object.keys(cm.data ?? {}).some((k) => SHARD_META.test(k))) continue;
      const labels = cm.metadata?.labels ?? {};
      const key = `${labels['app.kubernetes.io/part-of'] ?? ''}/${labels['app.kubernetes.io/instance'] ?? cm.metadata?.name ?? ''}`;
      const files = groups.get(key) ?? new Map<string, Buffer>();
      groups.set(key, files);
      for (const [k, v] of Object.entries(cm.data ?? {})) files.set(k, Buffer.from(v, 'utf8'));
      for (const [k, v] of Object.entries(cm.binary_data ?? {})) files.set(k, Buffer.from(v, 'base64'));
    }
    for (const [key, files] of groups) {
      const decoded = decodeConfigShards(files);
      if (!decoded.ok) throw new DevError(`stack ${stack}, gateway ${key}: ${decoded.reason}`);
      gateways.push({ stack, config: decoded.config });
    }
  }
  return gateways;
}
