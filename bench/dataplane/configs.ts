/**
 * The data-plane bench's gateway configs, built from the constructs (as a user would declare them),
 * synthesized, and written as the config volume `aigw serve --config DIR` reads: kubelet's layout,
 * a timestamped folder, `..data` pointing at it and one symlink per key, swapped with one rename.
 */
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { join } from 'path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { type AiGateway, AiGatewayFleet, Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { secretEnvName } from '../../src/dataplane/secrets';
import { type CapacitySpec, decodeConfigShards, encodeConfigShards, type GatewayConfig } from '../../src/specs';

/** The bench consumer's key, handed to aigw as `AIGW_SECRET_CONSUMER_KEYS_BENCH` (never written to disk). */
export const CONSUMER_KEY = 'sk-aigw-bench-consumer-0123456789abcdef';
export const CONSUMER_KEY_REF = { secretName: 'consumer-keys', key: 'bench' } as const;
export const CONSUMER_KEY_ENV = secretEnvName(CONSUMER_KEY_REF);
/** The backend's key, as every real backend has one: the gateway sends it upstream and scrubs its echoes from every answer. */
export const UPSTREAM_KEY = 'sk-aigw-bench-upstream-0123456789abcdef';
export const UPSTREAM_KEY_REF = { secretName: 'llm-keys', key: 'bench' } as const;
export const UPSTREAM_KEY_ENV = secretEnvName(UPSTREAM_KEY_REF);

/** The per-route request limit: on, checked on every request, far above anything the bench sends. */
export const RATE_LIMIT = { limit: 1_000_000_000, window: 'minute' } as const;

/** Path prefix of route i: `/r0`, `/r1`, ... Requests go to `/r<i>/v1/chat/completions`. */
export const routePrefix = (i: number): string => `/r${i}`;
export const chatPath = (i: number): string => `${routePrefix(i)}/v1/chat/completions`;

export interface BenchConfigOptions {
  /** Model routes on the gateway, each with its own path prefix, all on any host. */
  readonly routes: number;
  /** The simulator's base URL (no `/v1`). */
  readonly upstream: string;
  readonly edition: 'serverless' | 'dedicated';
  readonly spec?: CapacitySpec;
  /**
   * Raise the per-replica QPS ceiling (`limits.maxQps`) after synthesis. Every synthesized spec caps
   * one replica at POD_CAPACITY.qps or less (its share of the spec), which would measure the ceiling, not the process.
   */
  readonly maxQps?: number;
  /** Raise the keep-alive idle timeout (`limits.idleTimeoutMs`) after synthesis: the idle-connection section holds connections longer than the default. */
  readonly idleTimeoutMs?: number;
  /** `host:port` of the Redis the limits use; `undefined` drops `redis`, so the limits use the in-process store. */
  readonly redisAddress?: string;
  /**
   * `'exact'`: write `counting: 'exact'` into the config's redis block (one Redis round trip per request
   * instead of leased counters). The field may not exist in the schema yet: the config then does not decode.
   */
  readonly redisCounting?: 'exact';
}

export interface BenchConfig {
  readonly config: GatewayConfig;
  readonly hash: string;
  /** The config volume's files (shard name → bytes). */
  readonly files: Map<string, Buffer>;
  /** What was changed after synthesis, for the report. */
  readonly changes: string[];
}

/** One gateway with `routes` model routes to the simulator, key auth and a request limit on each, one consumer granted all. */
export function buildBenchConfig(options: BenchConfigOptions): BenchConfig {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'bench');
  new KubernetesProvider(stack, 'k8s', {});
  const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'bench' });
  const gateway = (
    options.edition === 'serverless' ? fleet.addGateway('gw', { edition: 'serverless' }) : fleet.addGateway('gw', { edition: 'dedicated', spec: options.spec ?? 'aigw.large.x4' })
  ) as AiGateway;
  const backend = new Backend({ provider: 'openai', baseUrl: `${options.upstream}/v1`, backendName: 'sim', apiKey: UPSTREAM_KEY_REF });
  for (let i = 0; i < options.routes; i++) {
    gateway.addModelRoute(`r${i}`, {
      pathPrefix: routePrefix(i),
      models: [{ name: 'gpt-4o', targets: [{ backend }] }],
      policies: { keyAuth: true, rateLimits: [{ ...RATE_LIMIT, scope: 'consumer' }], onRedisUnavailable: 'failClosed' },
    });
  }
  gateway.addConsumer('bench', { apiKey: CONSUMER_KEY_REF, grants: 'all' });
  const synthesized = synthesizedGatewayConfig(gateway);
  // Testing.app() makes a cdktf.outdir.* folder in the system temp dir and never removes it: the bench does.
  rmSync(app.outdir, { recursive: true, force: true });
  const config = structuredClone(synthesized.config);
  const changes: string[] = [];
  if (options.maxQps !== undefined && options.maxQps !== config.limits.maxQps) {
    changes.push(`limits.maxQps ${config.limits.maxQps} → ${options.maxQps}`);
    config.limits = { ...config.limits, maxQps: options.maxQps };
  }
  if (options.idleTimeoutMs !== undefined && options.idleTimeoutMs !== config.limits.idleTimeoutMs) {
    changes.push(`limits.idleTimeoutMs ${config.limits.idleTimeoutMs} → ${options.idleTimeoutMs}`);
    config.limits = { ...config.limits, idleTimeoutMs: options.idleTimeoutMs };
  }
  if (options.redisAddress === undefined) {
    if (config.redis) changes.push('redis removed (in-process limit store)');
    delete (config as { redis?: unknown }).redis;
  } else if (config.redis) {
    changes.push(`redis.address ${config.redis.address} → ${options.redisAddress}`);
    const { user, password, ...rest } = config.redis;
    // A Serverless gateway uses the fleet's shared Redis with its own ACL user; the bench's Redis has no ACL.
    if (user !== undefined || password !== undefined) changes.push(`redis.user/password (ACL user ${user}) removed: the local Redis has no ACL`);
    config.redis = { ...rest, address: options.redisAddress };
    if (options.redisCounting) {
      changes.push(`redis.counting → '${options.redisCounting}'`);
      // Cast: the schema may not know the field yet; decodeConfigShards below says so if it does not.
      (config.redis as Record<string, unknown>).counting = options.redisCounting;
    }
  }
  const files = shardFiles(config);
  const decoded = decodeConfigShards(files);
  if (!decoded.ok) throw new Error(`bench config does not decode: ${decoded.reason}`);
  return { config, hash: decoded.hash, files, changes };
}

/** The files a gateway's ConfigMap shards project into its config volume. */
export function shardFiles(config: GatewayConfig): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const shard of encodeConfigShards(config)) {
    for (const [k, v] of Object.entries(shard.data)) files.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(shard.binaryData)) files.set(k, Buffer.from(v, 'base64'));
  }
  return files;
}

/** A config volume laid out as kubelet does; `swap` replaces the whole set with one rename of `..data`. */
export class KubeletConfigDir {
  private generation = 0;

  public constructor(
    public readonly dir: string,
    files: Map<string, Buffer>,
  ) {
    mkdirSync(dir, { recursive: true });
    symlinkSync(this.writeGeneration(files), join(dir, '..data'));
    this.linkKeys(files);
  }

  /** Writes the new set into its own folder, then renames a fresh `..data_tmp` link over `..data` (atomic). */
  public swap(files: Map<string, Buffer>): void {
    const name = this.writeGeneration(files);
    symlinkSync(name, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    this.linkKeys(files);
  }

  private writeGeneration(files: Map<string, Buffer>): string {
    const name = `..2026_01_01_00_00_00.${String(this.generation++).padStart(6, '0')}`;
    mkdirSync(join(this.dir, name));
    for (const [k, v] of files) writeFileSync(join(this.dir, name, k), v);
    return name;
  }

  private linkKeys(files: Map<string, Buffer>): void {
    for (const k of files.keys()) if (!existsSync(join(this.dir, k))) symlinkSync(join('..data', k), join(this.dir, k));
  }
}
