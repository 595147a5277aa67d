import { gzipSync } from 'zlib';
import { largeConfig, minimalConfig } from './fixtures';
import type { GatewayConfig } from '../../src/specs/config';
import {
  type ConfigShard,
  MAX_CONFIG_JSON_BYTES,
  MAX_SHARD_INFLATED_BYTES,
  MAX_SHARD_RAW_BYTES,
  configHash,
  decodeConfigShards,
  encodeConfigShards,
  shardDataKey,
  shardMetaKey,
} from '../../src/specs/shards';

const MiB = 1024 * 1024;
const SMALL_SHARD = 64 * 1024;

/** The shard directory as the data plane sees it: every ConfigMap's `data` and `binary_data` as files. */
function toFiles(shards: readonly ConfigShard[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const shard of shards) {
    for (const [name, text] of Object.entries(shard.data)) files.set(name, Buffer.from(text, 'utf8'));
    for (const [name, base64] of Object.entries(shard.binaryData)) files.set(name, Buffer.from(base64, 'base64'));
  }
  return files;
}

function rawBytesOf(shard: ConfigShard): Buffer {
  return Buffer.from(Object.values(shard.binaryData)[0], 'base64');
}

function base64Of(shard: ConfigShard): string {
  return Object.values(shard.binaryData)[0];
}

/** What a ConfigMap holding one shard weighs: the keys and values of `data` and `binary_data`. */
function configMapPayloadBytes(shard: ConfigShard): number {
  let total = 0;
  for (const [k, v] of [...Object.entries(shard.data), ...Object.entries(shard.binaryData)]) total += Buffer.byteLength(k) + Buffer.byteLength(v);
  return total;
}

function refusal(files: ReadonlyMap<string, Buffer>): string {
  const result = decodeConfigShards(files);
  if (result.ok) throw new Error('expected the shard set to be refused');
  expect(result.reason.length).toBeGreaterThan(0);
  return result.reason;
}

/** 10,000 model routes with random names: gzip cannot collapse them (about 0.9 MB gzipped). */
let large: GatewayConfig;
beforeAll(() => {
  large = largeConfig(10_000, 20260329, 32);
});

// ---------------------------------------------------------------- keys

describe('shard keys', () => {
  test('meta and data keys are zero-padded to three digits', () => {
    expect(shardMetaKey(0)).toBe('shard-000.meta.json');
    expect(shardMetaKey(7)).toBe('shard-007.meta.json');
    expect(shardMetaKey(42)).toBe('shard-042.meta.json');
    expect(shardMetaKey(999)).toBe('shard-999.meta.json');
    expect(shardDataKey(0)).toBe('shard-000.json.gz');
    expect(shardDataKey(12)).toBe('shard-012.json.gz');
  });

  test('each encoded shard carries its meta under shard-NNN.meta.json and its bytes under shard-NNN.json.gz', () => {
    const shards = encodeConfigShards(large, SMALL_SHARD);
    shards.forEach((shard, i) => {
      const nnn = String(i).padStart(3, '0');
      expect(Object.keys(shard.data)).toEqual([`shard-${nnn}.meta.json`]);
      expect(Object.keys(shard.binaryData)).toEqual([`shard-${nnn}.json.gz`]);
      expect(JSON.parse(shard.data[`shard-${nnn}.meta.json`])).toEqual({ hash: shard.meta.hash, index: i, count: shards.length, encoding: 'gzip+json' });
    });
  });
});

// ---------------------------------------------------------------- round trip

describe('round trip', () => {
  test('a small config: one shard, decoded equal to the input', () => {
    const config = minimalConfig();
    const shards = encodeConfigShards(config);
    expect(shards).toHaveLength(1);
    const result = decodeConfigShards(toFiles(shards));
    expect(result).toEqual({ ok: true, config, hash: configHash(JSON.stringify(config)) });
    expect(shards[0].meta.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('encoding is deterministic', () => {
    expect(encodeConfigShards(minimalConfig())).toEqual(encodeConfigShards(minimalConfig()));
  });

  test('kubelet bookkeeping files in the directory are ignored', () => {
    const files = toFiles(encodeConfigShards(minimalConfig()));
    files.set('..data', Buffer.from('..2026_03_29_10_00_00.123456789'));
    files.set('README', Buffer.from('not a shard'));
    expect(decodeConfigShards(files).ok).toBe(true);
  });

  test('a large config with a small maxShardRawBytes: several shards, each within the bound, decoded equal', () => {
    const shards = encodeConfigShards(large, SMALL_SHARD);
    expect(shards.length).toBeGreaterThan(5);
    const sizes = shards.map((s) => rawBytesOf(s).length);
    expect(sizes.slice(0, -1).every((n) => n === SMALL_SHARD)).toBe(true);
    expect(sizes[sizes.length - 1]).toBeGreaterThan(0);
    expect(sizes[sizes.length - 1]).toBeLessThanOrEqual(SMALL_SHARD);
    expect(new Set(shards.map((s) => s.meta.hash)).size).toBe(1);
    expect(shards.map((s) => s.meta.index)).toEqual(shards.map((_, i) => i));
    expect(shards.every((s) => s.meta.count === shards.length)).toBe(true);

    const result = decodeConfigShards(toFiles(shards));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config).toEqual(large);
  });

  test('with the default bound, every shard fits a 1 MiB ConfigMap', () => {
    // The bound itself: base64 of a full shard is under 1 MiB.
    expect(4 * Math.ceil(MAX_SHARD_RAW_BYTES / 3)).toBeLessThanOrEqual(MiB);

    const shards = encodeConfigShards(large);
    expect(shards.length).toBeGreaterThanOrEqual(2);
    expect(rawBytesOf(shards[0]).length).toBe(MAX_SHARD_RAW_BYTES);
    for (const shard of shards) {
      expect(base64Of(shard).length).toBeLessThanOrEqual(MiB);
      expect(configMapPayloadBytes(shard)).toBeLessThanOrEqual(MiB);
    }
    const result = decodeConfigShards(toFiles(shards));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config).toEqual(large);
  });
});

// ---------------------------------------------------------------- refusals

describe('decoding refuses a bad shard set, with a reason', () => {
  let shardsA: ConfigShard[];
  let shardsB: ConfigShard[];
  beforeAll(() => {
    shardsA = encodeConfigShards(large, SMALL_SHARD);
    // Another config (one field differs): another hash.
    shardsB = encodeConfigShards({ ...large, metadata: { ...large.metadata, name: 'gw-other' } }, SMALL_SHARD);
    expect(shardsA.length).toBeGreaterThanOrEqual(3);
    expect(shardsB[0].meta.hash).not.toBe(shardsA[0].meta.hash);
  });

  test('a mixed set: one shard (meta and bytes) from another config', () => {
    const files = toFiles([shardsA[0], shardsB[1], ...shardsA.slice(2)]);
    const reason = refusal(files);
    expect(reason).toMatch(/disagree on the config hash/);
    expect(reason).toContain(shardsA[0].meta.hash);
    expect(reason).toContain(shardsB[0].meta.hash);
  });

  test('a mixed set: the bytes of one shard from another config, under a matching meta', () => {
    const files = toFiles(shardsA);
    files.set(shardDataKey(1), rawBytesOf(shardsB[1]));
    expect(refusal(files)).toMatch(/do not gunzip|content hash does not match/);
  });

  test('a missing shard', () => {
    const last = shardsA.length - 1;
    const reason = refusal(toFiles(shardsA.slice(0, last)));
    expect(reason).toBe(`expected ${shardsA.length} shards, found ${last}`);
  });

  test('a missing data file', () => {
    const files = toFiles(shardsA);
    files.delete(shardDataKey(1));
    expect(refusal(files)).toBe('shard-001.json.gz is missing');
  });

  test('a tampered byte', () => {
    const files = toFiles(shardsA);
    const bytes = Buffer.from(files.get(shardDataKey(1))!);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] + 1) % 256;
    files.set(shardDataKey(1), bytes);
    expect(refusal(files)).toMatch(/do not gunzip|content hash does not match/);
  });

  test('a tampered byte in a single-shard config (in the gzip trailer)', () => {
    const files = toFiles(encodeConfigShards(minimalConfig()));
    const bytes = Buffer.from(files.get(shardDataKey(0))!);
    const inCrc = bytes.length - 5; // the trailer is CRC32 then ISIZE, 4 bytes each
    bytes[inCrc] = (bytes[inCrc] + 1) % 256;
    files.set(shardDataKey(0), bytes);
    expect(refusal(files)).toMatch(/do not gunzip|content hash does not match/);
  });

  test('metas that agree with each other but not with the content', () => {
    const forged = 'sha256:' + '0'.repeat(64);
    const files = toFiles(shardsA);
    shardsA.forEach((shard, i) => files.set(shardMetaKey(i), Buffer.from(JSON.stringify({ ...shard.meta, hash: forged }))));
    expect(refusal(files)).toBe(`content hash does not match ${forged}`);
  });

  test('no meta at all', () => {
    expect(refusal(new Map())).toBe('no shard-NNN.meta.json file found');
  });

  test('a meta that is not JSON', () => {
    const files = toFiles(shardsA);
    files.set(shardMetaKey(0), Buffer.from('{"hash":'));
    expect(refusal(files)).toBe('shard-000.meta.json: not valid JSON');
  });

  test('intact shards of an invalid config', () => {
    const config = minimalConfig();
    const invalid = { ...config, modelRoutes: [{ ...config.modelRoutes[0], models: [] }] } as unknown as GatewayConfig;
    const reason = refusal(toFiles(encodeConfigShards(invalid)));
    expect(reason).toMatch(/^invalid config:/);
    expect(reason).toContain('modelRoutes[0].models: ');
  });
});

// ---------------------------------------------------------------- decompression bounds

/** A shard set whose one gzip stream inflates to `inflatedMiB` MiB of zeros, cut into `count` shards. */
function bomb(inflatedMiB: number, count: number): Map<string, Buffer> {
  const gz = gzipSync(Buffer.alloc(inflatedMiB * MiB), { level: 9 });
  const hash = `sha256:${'a'.repeat(64)}`;
  const slice = Math.ceil(gz.length / count);
  const files = new Map<string, Buffer>();
  for (let index = 0; index < count; index++) {
    files.set(shardMetaKey(index), Buffer.from(JSON.stringify({ hash, index, count, encoding: 'gzip+json' })));
    files.set(shardDataKey(index), gz.subarray(index * slice, (index + 1) * slice));
  }
  return files;
}

describe('decompression is bounded per shard and in total', () => {
  test('the bounds: 32 × a full shard each (21.9 MiB), 64 MiB in all', () => {
    expect(MAX_SHARD_INFLATED_BYTES).toBe(32 * 700 * 1024);
    expect(MAX_CONFIG_JSON_BYTES).toBe(64 * MiB);
  });

  test('a one-shard gzip bomb is refused naming the shard, the limit and the fix', () => {
    const files = bomb(100, 1);
    expect(files.get(shardDataKey(0))!.length).toBeLessThan(MiB / 4);
    const reason = refusal(files);
    expect(reason).toContain('config shard shard-000.json.gz inflates past 22937600 bytes (21.9 MiB), the limit for 1 shard');
    expect(reason).toContain('32 × the 700 KiB a shard carries, per shard, and 64 MiB in all');
    expect(reason).toContain('re-synthesize the gateway (cdktf synth)');
  });

  test('a bomb spread over three shards is refused at the 64 MiB total', () => {
    const reason = refusal(bomb(100, 3));
    expect(reason).toContain(`config shards shard-000.json.gz to shard-002.json.gz inflate past ${64 * MiB} bytes (64 MiB), the limit for 3 shards`);
  });

  test('a config that compresses better than 32x gets as many shards as its size needs, and decodes', () => {
    const config = minimalConfig();
    const [github, weather] = config.mcpServers;
    if (weather.kind !== 'http-to-mcp') throw new Error('fixture changed');
    // 30 MiB of one letter: gzip makes it ~30 KB, one shard by size, two by the inflate allowance.
    const tools = [{ ...weather.tools[0], description: 'x'.repeat(30 * MiB) }];
    const huge: GatewayConfig = { ...config, mcpServers: [github, { ...weather, tools }] };
    const shards = encodeConfigShards(huge);
    expect(shards).toHaveLength(2);
    const result = decodeConfigShards(toFiles(shards));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config).toEqual(huge);
  });

  test('a config over 64 MiB of JSON is not encoded: the error names the gateway, the size, the limit and the fix', () => {
    const config = minimalConfig();
    const [github, weather] = config.mcpServers;
    if (weather.kind !== 'http-to-mcp') throw new Error('fixture changed');
    const tools = [{ ...weather.tools[0], description: 'x'.repeat(65 * MiB) }];
    expect(() => encodeConfigShards({ ...config, mcpServers: [github, { ...weather, tools }] })).toThrow(
      /^gateway config gw-main: its JSON is 65 MiB, over the 64 MiB \(MAX_CONFIG_JSON_BYTES\) a data plane loads\. Split/,
    );
  });
});
