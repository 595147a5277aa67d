import { tmpdir } from 'os';
import { join } from 'path';
import { ConfigDecoder } from '../../../src/dataplane/reload/decoder';
import { SliceClock } from '../../../src/dataplane/reload/sliced';

describe('ConfigDecoder: a worker that does not answer', () => {
  it('is stopped after the timeout, the decode is rejected naming it, and the next decode gets a new worker', async () => {
    const decoder = new ConfigDecoder();
    const missing = join(tmpdir(), 'aigw-no-such-config-dir');
    try {
      // 1 ms: no worker starts, reads and answers that fast, so this one counts as hung.
      const hung = await decoder.decode(missing, new SliceClock(), 1);
      expect(hung).toEqual({ ok: false, reason: expect.stringMatching(/^the config decode worker \(a worker thread of this process\) did not answer within 1 ms; it was stopped, and the next reload starts a new one$/) });
      expect(decoder.worker).toBeUndefined();
      // A new worker answers: here with the reason the missing directory gives, not a timeout.
      const next = await decoder.decode(missing, new SliceClock());
      expect(next).toEqual({ ok: false, reason: expect.stringContaining(missing) });
      expect(next.ok === false && next.reason).not.toMatch(/did not answer/);
    } finally {
      decoder.close();
    }
  });
});
