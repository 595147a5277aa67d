/** A tiny, valid 1×1 RGBA PNG whose one pixel's colour is derived from a seed, so different prompts give different images. */
import { createHash } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** CRC-32 as PNG chunks use it: the one a gzip member's trailer carries (avoiding a table of bit operations). */
export function crc32(bytes: Buffer): number {
  const gzip = gzipSync(bytes, { level: 0 });
  return gzip.readUInt32LE(gzip.length - 8);
}

/** The pixel colour for a seed: four bytes, alpha forced opaque. */
export function pixelOf(seed: string): Buffer {
  const rgba = createHash('sha256').update(seed).digest().subarray(0, 4);
  rgba[3] = 0xff;
  return Buffer.from(rgba);
}

/** A 1×1 PNG of the given RGBA pixel. */
export function onePixelPng(rgba: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0); // width
  header.writeUInt32BE(1, 4); // height
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type RGBA, deflate, no filter, no interlace
  const scanline = Buffer.concat([Buffer.from([0]), rgba.subarray(0, 4)]);
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(scanline)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
