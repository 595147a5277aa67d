import { createHash } from 'crypto';
import { toFile } from 'openai';
import { client, gatewayStack, simulatedBackend, start } from './harness';
import { UpstreamSimulator } from '../../src/testing';
import type { TestGateway } from '../../src/testing';

describe('multimodal endpoints through the gateway, with the official openai SDK', () => {
  let sim: UpstreamSimulator;
  let gw: TestGateway;

  beforeAll(async () => {
    sim = await UpstreamSimulator.start({ name: 'mm' });
    const gateway = gatewayStack();
    const backend = simulatedBackend(sim, { provider: 'openai', apiKey: { secretName: 'llm-keys', key: 'openai' } });
    const route = gateway.addModelRoute('chat', {
      models: [
        { name: 'gpt-4o', targets: [{ backend }] },
        { name: 'gpt-image-1', targets: [{ backend }] },
        { name: 'whisper', targets: [{ backend, model: 'whisper-1' }] },
        { name: 'tts', targets: [{ backend, model: 'tts-1' }] },
      ],
      policies: { maxBodyBytes: 64 * 1024 * 1024 },
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    gw = await start(gateway);
  });
  afterAll(async () => {
    await gw.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  test('image and audio content parts in chat pass through untouched', async () => {
    const image = { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } };
    const audio = { type: 'input_audio' as const, input_audio: { data: 'UklGRg==', format: 'wav' as const } };
    await client(gw).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, image, audio] }] });
    expect((sim.requests[0].body as { messages: { content: unknown[] }[] }).messages[0].content).toEqual([{ type: 'text', text: 'what is this' }, image, audio]);
  });

  test('images: generations (JSON) and edits (multipart), with usage counted', async () => {
    const gen = await client(gw).images.generate({ model: 'gpt-image-1', prompt: 'a lighthouse' });
    expect(gen.data?.[0].b64_json ?? gen.data?.[0].url).toBeTruthy();
    expect(sim.requests[0].path).toBe('/v1/images/generations');
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const edit = await client(gw).images.edit({ model: 'gpt-image-1', prompt: 'add a moon', image: await toFile(png, 'in.png', { type: 'image/png' }) });
    expect(edit.data?.length).toBeGreaterThan(0);
    expect(sim.requests[1].path).toBe('/v1/images/edits');
    expect(JSON.stringify(sim.requests[1].body)).toContain('add a moon');
  });

  test('audio speech: the binary answer streams back intact', async () => {
    const res = await client(gw).audio.speech.create({ model: 'tts', voice: 'alloy', input: 'hello world' });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1024);
    expect((sim.requests[0].body as { model: string }).model).toBe('tts-1');
  });

  test('audio transcription and translation: multipart, model mapped, file bytes intact', async () => {
    const file = Buffer.alloc(256 * 1024, 7);
    const t = await client(gw).audio.transcriptions.create({ model: 'whisper', file: await toFile(file, 'a.wav', { type: 'audio/wav' }) });
    expect(t.text).toContain(createHash('sha256').update(file).digest('hex').slice(0, 12));
    expect(JSON.stringify(sim.requests[0].body)).toContain('whisper-1');
    const tr = await client(gw).audio.translations.create({ model: 'whisper', file: await toFile(file, 'b.wav', { type: 'audio/wav' }) });
    expect(tr.text.length).toBeGreaterThan(0);
  });
});
