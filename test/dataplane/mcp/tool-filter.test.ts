import { filteredToolsResult } from '../../../src/dataplane/mcp/tools';

/** What a tool list becomes on its way to a caller: the caller's tools only, and never a shared cache's. */

const list = (extra: Record<string, unknown> = {}) => ({ tools: [{ name: 'read' }, { name: 'delete' }], ...extra });
const onlyRead = (tool: string) => tool === 'read';
const all = () => true;

test('tools the caller may not use are taken out; an unchanged list is left as it came (undefined)', () => {
  expect(filteredToolsResult(list(), onlyRead)).toEqual({ tools: [{ name: 'read' }] });
  expect(filteredToolsResult(list(), all)).toBeUndefined();
});

test("a 2026-07-28 list an upstream marks for shared caches becomes 'private': it is this caller's, by its grants", () => {
  expect(filteredToolsResult(list({ cacheScope: 'public', ttlMs: 60_000 }), all)).toEqual({ ...list(), cacheScope: 'private', ttlMs: 60_000 });
  expect(filteredToolsResult(list({ cacheScope: 'public' }), onlyRead)).toEqual({ tools: [{ name: 'read' }], cacheScope: 'private' });
  expect(filteredToolsResult(list({ cacheScope: 'private' }), all)).toBeUndefined();
});
