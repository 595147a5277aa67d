import { SessionSealer } from '../../../src/dataplane/mcp/session';

/** Sealed session ids: what one key seals only that key opens, unchanged; anything else is no session at all. */

const session = { server: 'files', consumer: 'alice', version: '2025-11-25', upstream: 'up-123', issuedAt: 1_800_000_000 };

test('a token opens to the session it sealed, with the same key derived from the same Secret (another replica)', () => {
  const token = SessionSealer.fromSecret('a-secret-of-at-least-32-bytes-0123456789', 'gw').seal(session);
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(SessionSealer.fromSecret('a-secret-of-at-least-32-bytes-0123456789', 'gw').open(token)).toEqual(session);
  expect(SessionSealer.fromSecret('a-secret-of-at-least-32-bytes-0123456789', 'gw').open(SessionSealer.fromSecret('a-secret-of-at-least-32-bytes-0123456789', 'gw').seal({ ...session, upstream: undefined }))).toEqual({ ...session, upstream: undefined });
});

test('each seal is fresh (random IV): two tokens of one session differ', () => {
  const sealer = SessionSealer.fromSecret('a-secret-of-at-least-32-bytes-0123456789', 'gw');
  expect(sealer.seal(session)).not.toBe(sealer.seal(session));
});

test('another key, a flipped character anywhere, truncation, garbage and oversize ids open to nothing', () => {
  const sealer = SessionSealer.fromSecret('a-secret-of-at-least-32-bytes-0123456789', 'gw');
  const token = sealer.seal(session);
  expect(SessionSealer.fromSecret('another-secret-of-at-least-32-bytes-012345', 'gw').open(token)).toBeUndefined();
  expect(SessionSealer.processLocal().open(token)).toBeUndefined();
  // Two gateways given one Secret: each opens only its own tokens.
  expect(SessionSealer.fromSecret('a-secret-of-at-least-32-bytes-0123456789', 'other-gw').open(token)).toBeUndefined();
  for (let i = 0; i < token.length; i++) {
    const flipped = `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
    expect(sealer.open(flipped)).toBeUndefined();
  }
  for (const bad of [token.slice(0, -1), token.slice(0, 10), '', 'not a token', '../../etc', 'x'.repeat(10_000), `${token}=`]) expect(sealer.open(bad)).toBeUndefined();
});

test('the per-process key is one for the process: a reload keeps its sessions', () => {
  expect(SessionSealer.processLocal()).toBe(SessionSealer.processLocal());
  expect(SessionSealer.processLocal().open(SessionSealer.processLocal().seal(session))).toEqual(session);
});
