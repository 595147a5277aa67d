import { createHash } from 'crypto';
import { configError, HookRun } from './harness';
import { findMarketplaceExtension } from '../../../src/extensions/marketplace';

const audit = findMarketplaceExtension('audit-log')!;
const BODY = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] };
/** The body's bytes as the client sent them: its own spacing, which no re-serialization reproduces. */
const RAW = JSON.stringify(BODY, null, 2);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('audit-log', () => {
  test('a non-streamed request: consumer, route, model, status, the body hash and the answer size', async () => {
    const run = new HookRun(audit, {}, { body: structuredClone(BODY), rawBody: RAW });
    await run.onRequest();
    const answer = { id: 'chatcmpl-1', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi!' } }] };
    await run.onResponse(answer);
    expect(run.onLog({ status: 200, route: 'chat' })).toEqual({
      audit: true,
      consumer: 'team-a',
      route: 'chat',
      model: 'gpt-4o',
      status: 200,
      requestSha256: sha256(RAW),
      responseBytes: Buffer.byteLength(JSON.stringify(answer)),
    });
  });

  test('a streamed answer: its events\' data bytes; the status from the access record when it has one', async () => {
    const run = new HookRun(audit, { includeBodyHash: false }, { body: structuredClone(BODY) }, undefined, { route: 'chat', model: 'm'.repeat(300) });
    await run.onRequest();
    const events = [{ choices: [{ index: 0, delta: { content: 'héllo' } }] }, '[DONE]'];
    await run.stream(events);
    const fields = run.onLog({ status: 499 });
    expect(fields).toEqual({ audit: true, route: 'chat', model: 'm'.repeat(128), status: 499, responseBytes: Buffer.byteLength(JSON.stringify(events[0])) + 6 });
  });

  test('the hash is of the bytes as sent, never of the parsed body (which it does not read: reading it makes the gateway re-serialize it)', async () => {
    const run = new HookRun(audit, {}, { body: structuredClone(BODY), rawBody: RAW });
    expect((await run.bodyAccesses(undefined)).request).toBe(0);
    expect(run.onLog().requestSha256).toBe(sha256(RAW));
  });

  test('an upload or a streamed body (no bytes to hash) has no hash, rather than one of something else', async () => {
    const upload = new HookRun(audit, {}, { headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': '1234' } });
    await upload.onRequest();
    expect(upload.onLog()).not.toHaveProperty('requestSha256');
    const parsedOnly = new HookRun(audit, {}, { body: structuredClone(BODY), headers: { 'transfer-encoding': 'chunked' } });
    await parsedOnly.onRequest();
    expect(parsedOnly.onLog()).not.toHaveProperty('requestSha256');
  });

  test('a request that never got an answer (refused before the upstream) still has its record', () => {
    const run = new HookRun(audit, {}, { method: 'GET', path: '/v1/models' }, undefined, { route: 'chat' });
    expect(run.onLog({ status: 401 })).toEqual({ audit: true, route: 'chat', status: 401 });
  });

  test('a config it does not accept is refused', () => {
    expect(configError(audit, { includeBodyHash: 'yes' })).toMatch(/^includeBodyHash: Invalid input: expected boolean/);
    expect(configError(audit, { sink: 'kafka' })).toMatch(/Unrecognized key: "sink"/);
  });
});
