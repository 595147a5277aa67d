import * as zlib from 'zlib';
import { CODINGS, type Coding } from '../../../src/dataplane/compression/codings';
import { codingsFor, negotiateCoding } from '../../../src/dataplane/compression/negotiate';

/** The codings of a Node with zstd, whatever this Node has: the order is the server's preference. */
const fake = (name: string): Coding => ({ name, encoder: () => zlib.createGzip(), memoryBytes: 1 });
const ALL = [fake('br'), fake('zstd'), fake('gzip')];
const pick = (header: string, available = ALL) => negotiateCoding(header, available)?.name ?? 'identity';

describe('Accept-Encoding negotiation (RFC 9110 §12.5.3)', () => {
  test.each([
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['GZip', 'gzip'],
    ['x-gzip', 'gzip'],
    // What Node's fetch (the openai SDK) and browsers send: equal weights, the server's preference wins.
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['br;q=1, gzip;q=0.8', 'br'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['gzip;q=0.8, zstd', 'zstd'],
    ['*', 'br'],
    ['*;q=0.5, gzip', 'gzip'],
    ['*, br;q=0', 'zstd'],
    ['br;q=0', 'identity'],
    ['gzip;q=0, br;q=0', 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['deflate', 'identity'],
    ['compress, deflate', 'identity'],
    // Refusing identity does not make a coding acceptable: the answer goes as is rather than a 406.
    ['identity;q=0', 'identity'],
    ['identity;q=0, gzip', 'gzip'],
    // identity weighed above every coding: as is.
    ['identity;q=1, gzip;q=0.5', 'identity'],
    ['identity;q=0.5, gzip;q=0.5', 'gzip'],
    // Malformed weights: the member is ignored.
    ['gzip;q=2, br;q=abc', 'identity'],
    ['gzip;q=-1', 'identity'],
    ['gzip ; q=0.3 , br ; q = 0.2', 'gzip'],
    ['gzip;level=9', 'gzip'],
    [' , ,gzip,,', 'gzip'],
  ])('%j → %s', (header, expected) => {
    expect(pick(header)).toBe(expected);
  });

  test('a coding this Node lacks is never chosen (zstd on Node 20)', () => {
    expect(pick('zstd', [fake('br'), fake('gzip')])).toBe('identity');
    expect(pick('zstd, gzip;q=0.1', [fake('br'), fake('gzip')])).toBe('gzip');
  });

  test("the process's codings: br and gzip always, zstd exactly when zlib has it, in the server's order", () => {
    const names = CODINGS.map((c) => c.name);
    expect(names[0]).toBe('br');
    expect(names.at(-1)).toBe('gzip');
    expect(names.includes('zstd')).toBe(typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function');
  });

  test('streams prefer the smaller encoder among codings the client weighs alike: gzip; bodies br', () => {
    const names = (header: string) => {
      const n = codingsFor(header);
      return n && { body: n.body.name, stream: n.stream.name };
    };
    expect(names('gzip, deflate, br')).toEqual({ body: 'br', stream: 'gzip' });
    expect(names('br')).toEqual({ body: 'br', stream: 'br' });
    expect(names('gzip')).toEqual({ body: 'gzip', stream: 'gzip' });
    // The client's weights come first.
    expect(names('br;q=1, gzip;q=0.5')).toEqual({ body: 'br', stream: 'br' });
    expect(names('br;q=0.5, gzip')).toEqual({ body: 'gzip', stream: 'gzip' });
  });

  test('codingsFor remembers a value and answers the same, identity included', () => {
    expect(codingsFor('gzip, deflate, br')?.body.name).toBe('br');
    expect(codingsFor('gzip, deflate, br')?.body.name).toBe('br');
    expect(codingsFor('identity')).toBeUndefined();
    expect(codingsFor('identity')).toBeUndefined();
    // Many distinct values (the memo is emptied when full) and a long one (not kept): still right.
    for (let i = 0; i < 200; i++) expect(codingsFor(`gzip;q=0.${i % 10}, x-${i}`)?.body.name).toBe(i % 10 === 0 ? undefined : 'gzip');
    expect(codingsFor(`${'x-long, '.repeat(60)}br`)?.body.name).toBe('br');
  });
});
