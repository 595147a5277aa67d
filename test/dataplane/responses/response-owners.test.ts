import { storedResponseCallOf } from '../../../src/dataplane/endpoints';
import { LocalMcpBus } from '../../../src/dataplane/mcp/bus';
import { LOCAL_RESPONSE_OWNERS, ownerOf, rememberOwner } from '../../../src/dataplane/model/response-owners';
import { responseIdOf } from '../../../src/dataplane/translate/responses-translators';

const OWNER = { route: 'chat', consumer: 'alice', backend: 'openai', model: 'gpt-4o' };

describe('the records of a replica without Redis', () => {
  test('bounded: past the limit the oldest is forgotten, the newest kept', async () => {
    const bus = new LocalMcpBus();
    for (let i = 0; i <= LOCAL_RESPONSE_OWNERS; i++) await rememberOwner(bus, `resp_${i}`, OWNER);
    expect(await ownerOf(bus, 'resp_0')).toBeUndefined();
    expect(await ownerOf(bus, 'resp_1')).toEqual(OWNER);
    expect(await ownerOf(bus, `resp_${LOCAL_RESPONSE_OWNERS}`)).toEqual(OWNER);
  });

  test('a record expires with the backend’s retention (30 days)', async () => {
    const bus = new LocalMcpBus();
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      await rememberOwner(bus, 'resp_old', OWNER);
      now.mockReturnValue(1_000_000 + 29 * 86_400_000);
      expect(await ownerOf(bus, 'resp_old')).toEqual(OWNER);
      now.mockReturnValue(1_000_000 + 30 * 86_400_000);
      expect(await ownerOf(bus, 'resp_old')).toBeUndefined();
    } finally {
      now.mockRestore();
    }
  });
});

describe('which paths are calls on a stored response', () => {
  test.each([
    ['/v1/responses/resp_1', 'GET', { id: 'resp_1', operation: 'retrieve', method: 'GET' }],
    ['/team/v1/responses/resp_1', 'DELETE', { id: 'resp_1', operation: 'delete', method: 'DELETE' }],
    ['/v1/responses/resp_1/cancel', 'POST', { id: 'resp_1', operation: 'cancel', method: 'POST' }],
    ['/v1/responses/resp_1/input_items', 'GET', { id: 'resp_1', operation: 'input_items', method: 'GET' }],
    ['/v1/responses/resp_1', 'POST', { allow: 'GET, DELETE' }],
    ['/v1/responses/resp_1/cancel', 'DELETE', { allow: 'POST' }],
    ['/v1/responses/resp%2F1', 'GET', undefined],
    ['/v1/responses/resp_1/', 'GET', undefined],
    ['/v1/responses/resp_1/cancel/now', 'POST', undefined],
    ['/v1/responses/input_tokens', 'POST', undefined],
    [`/v1/responses/${'r'.repeat(257)}`, 'GET', undefined],
  ])('%s %s', (path, method, expected) => {
    expect(storedResponseCallOf(path, method)).toEqual(expected);
  });
});

test.each([
  [{ id: 'resp_abc', object: 'response' }, 'resp_abc'],
  [{ object: 'response', id: 'resp_abc' }, 'resp_abc'],
  [{ id: 'resp/../x' }, undefined],
  [{ id: 42 }, undefined],
  [{ error: { message: 'x' } }, undefined],
  [null, undefined],
])('the id of a Response: %j', (response, id) => {
  expect(responseIdOf(response)).toBe(id);
});
