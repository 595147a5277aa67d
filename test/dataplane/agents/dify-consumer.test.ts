import { difyRequestOf, difyUserMover } from '../../../src/dataplane/agents/dify-consumer';
import type { NativeAgentRequest } from '../../../src/dataplane/agents/native-request';

const request = (fields: Partial<NativeAgentRequest>): NativeAgentRequest => ({
  protocol: 'dify',
  method: 'POST',
  target: '/chat-messages',
  body: undefined,
  upload: undefined,
  runs: true,
  stream: false,
  reaccumulate: false,
  promptTokens: 0,
  ...fields,
});

describe('difyUserMover', () => {
  test("moves the anonymous namespace, or another consumer's, to the consumer's, keeping the client's part", async () => {
    const fromAnonymous = difyUserMover(undefined, 'team:a');
    expect(fromAnonymous('aigw:anonymous')).toBe('aigw:consumer:team%3Aa');
    expect(fromAnonymous('aigw:anonymous:end-user-1')).toBe('aigw:consumer:team%3Aa:end-user-1');
    expect(difyUserMover('alice', 'bob')('aigw:consumer:alice:u')).toBe('aigw:consumer:bob:u');
  });

  test('leaves a user outside the old namespace as it is (one whose name merely starts alike included)', async () => {
    const move = difyUserMover('alice', 'bob');
    expect(move('aigw:consumer:alice2')).toBe('aigw:consumer:alice2');
    expect(move('aigw:anonymous')).toBe('aigw:anonymous');
  });
});

describe('difyRequestOf', () => {
  const move = difyUserMover(undefined, 'alice');

  test('the JSON body and the query', async () => {
    const moved = difyRequestOf(request({ target: '/messages?limit=20&user=aigw%3Aanonymous', body: Buffer.from('{"query":"hi","user":"aigw:anonymous"}') }), move);
    expect(moved.target).toBe('/messages?limit=20&user=aigw%3Aconsumer%3Aalice');
    expect(JSON.parse(moved.body!.toString('utf8'))).toEqual({ query: 'hi', user: 'aigw:consumer:alice' });
  });

  test("an upload's user field", async () => {
    const moved = difyRequestOf(request({ upload: (client) => (client ? `aigw:anonymous:${client}` : 'aigw:anonymous') }), move);
    expect(moved.upload!('u1')).toBe('aigw:consumer:alice:u1');
    expect(moved.upload!(undefined)).toBe('aigw:consumer:alice');
  });

  test('a Model Studio request, which has no user, is left as it is', async () => {
    const studio = request({ protocol: 'dashscope-app', target: '/apps/a/completion?user=aigw%3Aanonymous' });
    expect(difyRequestOf(studio, move)).toBe(studio);
  });
});
