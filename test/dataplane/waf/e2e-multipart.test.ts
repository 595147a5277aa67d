import { PermissionDeniedError, toFile } from 'openai';
import { CONSUMER_KEYS } from '../harness';
import { type ModelWafGateway, startModelWafGateway } from './support/model-gateway';
import { sendRaw } from './support/raw-send';
import { expectWafRefusal } from './support/waf-gateway';

/** A multipart upload's text fields are all inspected, wherever they are and however often a name repeats; its files never. */
let g: ModelWafGateway;
beforeAll(async () => {
  g = await startModelWafGateway();
});
afterAll(() => g.close());
beforeEach(() => g.sim.reset());

const SQLI = "x' UNION SELECT password FROM users--";
const WAV = Buffer.from('RIFF\u0024\u0000\u0000\u0000WAVEfmt ', 'latin1');

function form(parts: ReadonlyArray<readonly [name: string, value: string, filename?: string]>): { body: string; contentType: string } {
  const boundary = 'waf-boundary-7d1c';
  const body = parts
    .map(([name, value, filename]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"\r\nContent-Type: audio/wav` : ''}\r\n\r\n${value}\r\n`)
    .join('');
  return { body: `${body}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(parts: Parameters<typeof form>[0]) {
  const { body, contentType } = form(parts);
  return sendRaw(g.gw.url, { method: 'POST', rawPath: '/v1/audio/transcriptions', headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': contentType }, body });
}

test('the SDK sends its fields after the file and `model`: an attack in one of them is refused, the upload never reaching the backend', async () => {
  const refused = await g
    .openai()
    .audio.transcriptions.create({ file: await toFile(WAV, 'a.wav'), model: 'whisper-1', language: SQLI })
    .catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(PermissionDeniedError);
  expect(g.sim.requests).toHaveLength(0);
  const served = await g.openai().audio.transcriptions.create({ file: await toFile(WAV, 'a.wav'), model: 'whisper-1', language: 'de', prompt: "SELECT * FROM t WHERE a = '1' -- is this SQL?" });
  expect(served).toBeDefined();
});

test('every value of a repeated name is read, and a field named after an Object member is a field like any other', async () => {
  for (const parts of [
    [['file', 'RIFF', 'a.wav'], ['model', 'whisper-1'], ['user', 'alice'], ['user', SQLI]],
    [['toString', SQLI], ['file', 'RIFF', 'a.wav'], ['model', 'whisper-1']],
    [['file', 'RIFF', 'a.wav'], ['model', 'whisper-1'], ['__proto__', SQLI]],
  ] as const) {
    expectWafRefusal(await upload(parts), [SQLI]);
  }
  expect(g.sim.requests).toHaveLength(0);
});

test("a file part's content is never inspected: an audio file whose bytes look like SQL is served", async () => {
  const res = await upload([['model', 'whisper-1'], ['file', SQLI, 'a.wav'], ['language', 'en']]);
  expect(res.status).toBe(200);
});
