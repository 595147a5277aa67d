import { httpChunk, startUpload, uploadHead } from './raw-upload';
import { bobChats, startUploadGateway } from './upload-gateway';
import type { TestGateway } from '../../src/testing';

// Real servers on a loaded 2-core machine: generous, not a performance bound.
jest.setTimeout(60_000);

const BOUNDARY = 'aigw-slow-boundary';
/** Longer than the trickle's pauses: the body never stalls, it is only slow. */
const BODY_TIMEOUT_MS = 2_000;
/** Shorter than the time the trickled body takes: the attempt's time runs out while the client still sends. */
const ATTEMPT_MS = 1_000;
const TRICKLE_EVERY_MS = 300;
/** More uploads than the breaker's threshold (5). */
const REPEATS = 6;

/**
 * Starts an upload, sends its first chunk, then `piece` every TRICKLE_EVERY_MS until the gateway
 * answers (and closes): a client that never goes silent long enough to be a stall. Resolves with the
 * status and error code of the answer.
 */
async function trickle(url: string, first: Buffer, piece: () => Buffer): Promise<{ status: number; code: string | undefined }> {
  const raw = startUpload(url, '/audio/v1/audio/transcriptions', BOUNDARY);
  raw.write(first);
  const timer = setInterval(() => raw.write(piece()), TRICKLE_EVERY_MS);
  try {
    return await raw.answer();
  } finally {
    clearInterval(timer);
  }
}

describe('a slow, steady upload is the client’s fault: 408, and the shared backend’s circuit never hears of it', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startUploadGateway({ bodyTimeoutMs: BODY_TIMEOUT_MS, attemptMs: ATTEMPT_MS });
  });
  afterAll(async () => {
    await gw.close();
  });

  test('uploads that trickle 100 bytes every 300 ms past the attempt’s total time get 408; bob’s chat on the same backend still works', async () => {
    const first = httpChunk(uploadHead(BOUNDARY));
    const answers = await Promise.all(Array.from({ length: REPEATS }, () => trickle(gw.url, first, () => httpChunk(Buffer.alloc(100, 7)))));
    expect(answers).toEqual(Array(REPEATS).fill({ status: 408, code: 'request_body_timeout' }));
    expect((await bobChats(gw)).object).toBe('chat.completion');
  });
});
