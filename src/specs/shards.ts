import { createHash } from 'crypto';
import { gunzipSync, gzipSync } from 'zlib';
import { z } from 'zod';
import type { GatewayConfig } from './config';
import { checkGatewayConfig } from './config-issues';

/**
 * How a `GatewayConfig` travels from synth to the data plane: gzipped JSON cut into ConfigMap shards.
 *
 * Every shard carries the hash of the whole config, so the data plane loads a set only when all of
 * its shards agree (kubelet may swap ConfigMaps one at a time). Shard count grows with config size,
 * never with the number of routes as such.
 */

/** A ConfigMap holds at most 1 MiB; binary data is base64 (4/3), so a shard carries at most this many raw bytes. */
export const MAX_SHARD_RAW_BYTES = 700 * 1024;

/**
 * Each shard of a set may add at most this many times MAX_SHARD_RAW_BYTES to the inflated config.
 * Real configs compress 3-25x (10,000 near-identical routes: 25x); encodeConfigShards adds shards
 * when a config compresses better, so what it writes always fits. A gzip bomb (1000x) does not.
 */
export const MAX_SHARD_INFLATE_RATIO = 32;

/** What one shard may add to the inflated config: 21.9 MiB (22,937,600 bytes). */
export const MAX_SHARD_INFLATED_BYTES = MAX_SHARD_RAW_BYTES * MAX_SHARD_INFLATE_RATIO;

/** The most a whole config's JSON may weigh, whatever its shard count: 64 MiB (10,000 routes take about 3 MB). */
export const MAX_CONFIG_JSON_BYTES = 64 * 1024 * 1024;

/** The most a set of `count` shards may inflate to. */
export function maxInflatedBytes(count: number): number {
  return Math.min(count * MAX_SHARD_INFLATED_BYTES, MAX_CONFIG_JSON_BYTES);
}

function mib(bytes: number): string {
  return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`;
}

const ShardMetaSchema = z.strictObject({
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  index: z.int().min(0),
  count: z.int().min(1),
  encoding: z.literal('gzip+json'),
});
export type ShardMeta = Readonly<z.infer<typeof ShardMetaSchema>>;

export interface ConfigShard {
  readonly meta: ShardMeta;
  /** ConfigMap `data`: the shard's meta, as JSON. */
  readonly data: Record<string, string>;
  /** ConfigMap `binary_data`: the shard's bytes, base64. */
  readonly binaryData: Record<string, string>;
}

export function shardMetaKey(index: number): string {
  return `shard-${String(index).padStart(3, '0')}.meta.json`;
}

export function shardDataKey(index: number): string {
  return `shard-${String(index).padStart(3, '0')}.json.gz`;
}

/** The config's identity: sha256 of its JSON. */
export function configHash(json: string): string {
  return `sha256:${createHash('sha256').update(json).digest('hex')}`;
}

export function encodeConfigShards(config: GatewayConfig, maxShardRawBytes: number = MAX_SHARD_RAW_BYTES): ConfigShard[] {
  const json = JSON.stringify(config);
  const hash = configHash(json);
  const bytes = Buffer.from(json, 'utf8');
  if (bytes.length > MAX_CONFIG_JSON_BYTES) {
    throw new RangeError(
      `gateway config ${config.metadata.name}: its JSON is ${mib(bytes.length)}, over the ${mib(MAX_CONFIG_JSON_BYTES)} (MAX_CONFIG_JSON_BYTES) a data plane loads. Split the gateway's routes, MCP servers or tools over more gateways.`,
    );
  }
  const gz = gzipSync(bytes, { level: 9 });
  // Enough shards for the bytes, and for the inflate allowance the decoder grants per shard.
  const bySize = Math.max(1, Math.ceil(gz.length / maxShardRawBytes));
  const count = Math.max(bySize, Math.ceil(bytes.length / MAX_SHARD_INFLATED_BYTES));
  const sliceBytes = count === bySize ? maxShardRawBytes : Math.ceil(gz.length / count);
  const shards: ConfigShard[] = [];
  for (let index = 0; index < count; index++) {
    const meta: ShardMeta = { hash, index, count, encoding: 'gzip+json' };
    shards.push({
      meta,
      data: { [shardMetaKey(index)]: JSON.stringify(meta) },
      binaryData: { [shardDataKey(index)]: gz.subarray(index * sliceBytes, (index + 1) * sliceBytes).toString('base64') },
    });
  }
  return shards;
}

export type DecodeResult = { ok: true; config: GatewayConfig; hash: string } | { ok: false; reason: string };

/**
 * Reassemble a config from the files of a shard directory (file name → contents). Refuses a
 * half-updated set (shards of different hashes, or a missing shard) and an invalid config.
 */
export function decodeConfigShards(files: ReadonlyMap<string, Buffer>): DecodeResult {
  const metas: ShardMeta[] = [];
  for (const [name, content] of files) {
    if (!/^shard-\d{3}\.meta\.json$/.test(name)) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(content.toString('utf8'));
    } catch {
      return { ok: false, reason: `${name}: not valid JSON` };
    }
    const meta = ShardMetaSchema.safeParse(raw);
    if (!meta.success) return { ok: false, reason: `${name}: not a shard meta (${meta.error.issues[0]?.message})` };
    if (meta.data.index !== Number(name.slice(6, 9))) return { ok: false, reason: `${name}: index ${meta.data.index} does not match its file name` };
    metas.push(meta.data);
  }
  if (metas.length === 0) return { ok: false, reason: 'no shard-NNN.meta.json file found' };
  const hashes = new Set(metas.map((m) => m.hash));
  if (hashes.size !== 1) return { ok: false, reason: `shards disagree on the config hash (${[...hashes].join(', ')}): a partial update` };
  const { hash, count } = metas[0];
  if (metas.length !== count || metas.some((m) => m.count !== count)) {
    return { ok: false, reason: `expected ${count} shards, found ${metas.length}` };
  }
  const parts: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    const part = files.get(shardDataKey(index));
    if (!part) return { ok: false, reason: `${shardDataKey(index)} is missing` };
    parts.push(part);
  }
  // The inflate stops as soon as its output passes the limit: a bomb costs at most the limit, never its full size.
  const limit = maxInflatedBytes(count);
  let json: string;
  try {
    json = gunzipSync(Buffer.concat(parts), { maxOutputLength: limit }).toString('utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return { ok: false, reason: inflateLimitReason(count, limit) };
    return { ok: false, reason: `shards do not gunzip: ${(e as Error).message}` };
  }
  if (configHash(json) !== hash) return { ok: false, reason: `content hash does not match ${hash}` };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return { ok: false, reason: `config is not JSON: ${(e as Error).message}` };
  }
  const parsed = checkGatewayConfig(raw);
  if (!parsed.ok) return { ok: false, reason: `invalid config:\n  ${parsed.issues.join('\n  ')}` };
  return { ok: true, config: parsed.config, hash };
}

function inflateLimitReason(count: number, limit: number): string {
  const shards = count === 1 ? `config shard ${shardDataKey(0)} inflates` : `config shards ${shardDataKey(0)} to ${shardDataKey(count - 1)} inflate`;
  return (
    `${shards} past ${limit} bytes (${mib(limit)}), the limit for ${count} shard${count === 1 ? '' : 's'}: ` +
    `${MAX_SHARD_INFLATE_RATIO} × the ${MAX_SHARD_RAW_BYTES / 1024} KiB a shard carries, per shard, and ${mib(MAX_CONFIG_JSON_BYTES)} in all. ` +
    'aigw never writes such shards (a gzip bomb?): re-synthesize the gateway (cdktf synth) and apply the ConfigMaps it writes.'
  );
}
