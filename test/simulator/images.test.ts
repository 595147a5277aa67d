import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import OpenAI, { BadRequestError, toFile } from 'openai';
import { startSimulator } from './helpers';
import type { UpstreamSimulator } from '../../src/simulator';
import { crc32 } from '../../src/simulator/png';

function client(sim: UpstreamSimulator): OpenAI {
  return new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
}

/** Checks a PNG's signature, chunk CRCs and 1×1 RGBA header; returns its pixel. */
function decodePng(png: Buffer): Buffer {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks = new Map<string, Buffer>();
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('latin1');
    const data = png.subarray(offset + 8, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)));
    chunks.set(type, data);
    offset += 12 + length;
  }
  expect([...chunks.keys()]).toEqual(['IHDR', 'IDAT', 'IEND']);
  expect(chunks.get('IHDR')).toEqual(Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]));
  const scanline = inflateSync(chunks.get('IDAT')!);
  expect(scanline).toHaveLength(5);
  expect(scanline[0]).toBe(0);
  return scanline.subarray(1);
}

describe('images', () => {
  test('generate with gpt-image-1: b64_json PNGs, one per n, deterministic per prompt, with gpt-image usage', async () => {
    const sim = await startSimulator({ name: 'img' });
    const openai = client(sim);
    const result = await openai.images.generate({ model: 'gpt-image-1', prompt: 'a red fox', n: 2, size: '1024x1024', quality: 'low' });
    expect(Number.isInteger(result.created)).toBe(true);
    expect(result.data).toHaveLength(2);
    const pixels = result.data!.map((image) => {
      expect(image.url).toBeUndefined();
      expect(image.revised_prompt).toBe('[sim:img] gpt-image-1: a red fox');
      return decodePng(Buffer.from(image.b64_json!, 'base64'));
    });
    expect(pixels[0]).not.toEqual(pixels[1]);
    expect(pixels[0][3]).toBe(0xff);
    expect(result.usage).toEqual({
      input_tokens: 3,
      input_tokens_details: { text_tokens: 3, image_tokens: 0 },
      output_tokens: 2 * 272,
      total_tokens: 3 + 2 * 272,
    });
    const again = await openai.images.generate({ model: 'gpt-image-1', prompt: 'a red fox', n: 2, size: '1024x1024', quality: 'low' });
    expect(again.data).toEqual(result.data);
    expect(sim.requests[0].body).toEqual({ model: 'gpt-image-1', prompt: 'a red fox', n: 2, size: '1024x1024', quality: 'low' });
  });

  test('DALL·E models default to url (served by the simulator), honour b64_json, and report no usage', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const byUrl = await openai.images.generate({ model: 'dall-e-3', prompt: 'a lighthouse' });
    expect(byUrl.usage).toBeUndefined();
    const url = byUrl.data![0].url!;
    expect(url.startsWith(`${sim.url}/v1/sim-images/`)).toBe(true);
    const fetched = await fetch(url);
    expect(fetched.headers.get('content-type')).toBe('image/png');
    const fromUrl = Buffer.from(await fetched.arrayBuffer());

    const byB64 = await openai.images.generate({ model: 'dall-e-3', prompt: 'a lighthouse', response_format: 'b64_json' });
    expect(Buffer.from(byB64.data![0].b64_json!, 'base64')).toEqual(fromUrl);
    decodePng(fromUrl);
  });

  test('edit with toFile: the image is hashed as it streams in and recorded as a file summary; fields are recorded as strings', async () => {
    const sim = await startSimulator();
    const image = Buffer.alloc(300_000, 7);
    const result = await client(sim).images.edit({
      model: 'gpt-image-1',
      image: await toFile(image, 'input.png', { type: 'image/png' }),
      prompt: 'add a hat',
      n: 1,
    });
    expect(result.data).toHaveLength(1);
    decodePng(Buffer.from(result.data![0].b64_json!, 'base64'));
    expect(result.usage).toMatchObject({ input_tokens: 3 + 65, input_tokens_details: { text_tokens: 3, image_tokens: 65 } });
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: '/v1/images/edits' });
    expect(sim.requests[0].headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(sim.requests[0].body).toEqual({
      model: 'gpt-image-1',
      prompt: 'add a hat',
      n: '1',
      image: { filename: 'input.png', contentType: 'image/png', size: image.length, sha256: createHash('sha256').update(image).digest('hex') },
    });

    const two = await client(sim).images.edit({
      model: 'gpt-image-1',
      image: [await toFile(Buffer.from('a'), 'a.png', { type: 'image/png' }), await toFile(Buffer.from('b'), 'b.png', { type: 'image/png' })],
      prompt: 'merge',
    });
    expect(two.usage).toMatchObject({ input_tokens_details: { image_tokens: 2 * 65 } });
    expect((sim.requests[1].body as Record<string, unknown>)['image[]']).toHaveLength(2);
  });

  test('validation errors are OpenAI-style 400s', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    await expect(openai.images.generate({ model: 'dall-e-2' } as never)).rejects.toMatchObject({ status: 400, param: 'prompt' });
    await expect(openai.images.generate({ prompt: 'x', n: 11 })).rejects.toMatchObject({ status: 400, param: 'n' });
    await expect(openai.images.generate({ prompt: 'x', response_format: 'gif' } as never)).rejects.toBeInstanceOf(BadRequestError);
    await expect(openai.images.edit({ prompt: 'x' } as never)).rejects.toMatchObject({ status: 400, param: 'image' });
  });

  test('faults apply to image requests: a status, and dropAfterChunks truncating the JSON', async () => {
    const sim = await startSimulator();
    sim.failNext({ status: 503 });
    await expect(client(sim).images.generate({ prompt: 'x' })).rejects.toMatchObject({ status: 503, type: 'server_error' });
    sim.failNext({ dropAfterChunks: 1 });
    await expect(client(sim).images.generate({ prompt: 'x' })).rejects.toThrow();
    await expect(client(sim).images.generate({ prompt: 'x' })).resolves.toBeDefined();
  });
});
