import { deserialize, serialize } from 'v8';
import type { Steps } from './sliced';
import type { GatewayConfig } from '../../specs';

/**
 * How a decoded config crosses from the decode worker to the main thread without one long
 * deserialization there. One message whose data is a few small objects and transferred byte
 * buffers (a move, not a copy): the config without its long arrays (`head`), then those arrays'
 * items CHUNK_ITEMS at a time, each serialized on its own. The main thread deserializes them one
 * step at a time (`unpackConfig`), so a reload can give the event loop a turn between any two.
 *
 * A 10,000-route config (3.4 MB serialized) takes 40-70 ms to deserialize in one piece; 250 routes
 * take 0.7 ms (measured with v8.deserialize on Node 20; bigger items, like a route with many models,
 * cost proportionally more and stay well under the slice budget).
 */
const CHUNK_ITEMS = 250;

export interface PackedConfig {
  /** The config, its long arrays left empty, serialized (v8). */
  readonly head: Uint8Array;
  /** The long arrays' items, in order: the top-level key they belong to and CHUNK_ITEMS of them, serialized. */
  readonly chunks: readonly { readonly key: string; readonly bytes: Uint8Array }[];
}

/** Packs a config (worker side). `transfer` lists the buffers to move with the message. */
export function packConfig(config: GatewayConfig, chunkItems: number = CHUNK_ITEMS): { packed: PackedConfig; transfer: ArrayBuffer[] } {
  const head: Record<string, unknown> = { ...config };
  const chunks: { key: string; bytes: Uint8Array }[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!Array.isArray(value) || value.length <= chunkItems) continue;
    // Left in place, empty, so the key keeps its position in the object (JSON.stringify order).
    head[key] = [];
    for (let i = 0; i < value.length; i += chunkItems) chunks.push({ key, bytes: serialize(value.slice(i, i + chunkItems)) });
  }
  const packed = { head: serialize(head), chunks };
  return { packed, transfer: [packed.head, ...chunks.map((c) => c.bytes)].flatMap(ownBuffer) };
}

/** Unpacks a config (main thread), one chunk per step. */
export function* unpackConfig(packed: PackedConfig): Steps<GatewayConfig> {
  const config = deserialize(packed.head) as Record<string, unknown[]>;
  for (const { key, bytes } of packed.chunks) {
    yield;
    const items = deserialize(bytes) as unknown[];
    const into = config[key];
    for (const item of items) into.push(item);
  }
  return config as unknown as GatewayConfig;
}

/** The bytes' buffer, to transfer, when the bytes are all of it (v8.serialize gives such buffers); else nothing (the bytes are copied). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer[] {
  const buffer = bytes.buffer;
  return buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength ? [buffer] : [];
}
