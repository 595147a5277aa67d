import { readFileSync } from 'fs';
import { join } from 'path';
import { ATTACK_FAMILIES, ATTACK_LOCATIONS } from './corpus/corpus-format';
import type { AttackCorpus, AttackFamily, BenignCorpus } from './corpus/corpus-format';

// The WAF corpus is data the detection test measures against (issue #16 §2).
// This test holds the data to the format and the minimums the issue sets, so a
// careless edit cannot quietly shrink a family or break the engine's reader.

const readText = (name: string) => readFileSync(join(__dirname, 'corpus', name), 'utf8');
const attacksText = readText('attacks.json');
const benignText = readText('benign.json');
const attacks = JSON.parse(attacksText) as AttackCorpus;
const benign = JSON.parse(benignText) as BenignCorpus;

const MINIMUM_PER_FAMILY: Record<AttackFamily, number> = { 'sqli': 80, 'xss': 80, 'traversal': 50, 'cmdi': 50, 'protocol': 15, 'prompt-injection': 20 };

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

describe('attack corpus', () => {
  test('is written with stable 2-space JSON', () => {
    expect(attacksText).toBe(`${JSON.stringify(attacks, null, 2)}\n`);
  });

  test('every source names a PayloadsAllTheThings file at a pinned commit under MIT', () => {
    expect(Object.keys(attacks.sources).length).toBeGreaterThan(0);
    for (const [id, source] of Object.entries(attacks.sources)) {
      expect({ id, ...source }).toEqual({ id, list: 'PayloadsAllTheThings', file: expect.stringMatching(/\S/), commit: expect.stringMatching(/^[0-9a-f]{40}$/), licence: 'MIT' });
    }
  });

  test('every entry has the format the engine test reads', () => {
    for (const entry of attacks.entries) {
      expect(Object.keys(entry).sort()).toEqual(['at', 'family', 'id', 'payload', 'source']);
      expect(ATTACK_FAMILIES).toContain(entry.family);
      expect(ATTACK_LOCATIONS).toContain(entry.at);
      expect(entry.id).toMatch(new RegExp(`^${entry.family}-\\d{3}$`));
      expect(entry.payload.trim()).not.toBe('');
      expect(Buffer.byteLength(entry.payload, 'utf8')).toBeLessThanOrEqual(2048);
      // A user message is where prompt injection lives, and only there.
      expect(entry.at === 'message').toBe(entry.family === 'prompt-injection');
    }
  });

  test('ids are unique and every source resolves; every listed source is used', () => {
    const ids = attacks.entries.map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const entry of attacks.entries) {
      expect(entry.source === 'hand-written' || entry.source in attacks.sources ? entry.source : `unresolved source of ${entry.id}: ${entry.source}`).toBe(entry.source);
    }
    const used = new Set(attacks.entries.map((entry) => entry.source));
    expect(Object.keys(attacks.sources).filter((id) => !used.has(id))).toEqual([]);
  });

  test('no payload appears twice', () => {
    const payloads = attacks.entries.map((entry) => entry.payload);
    expect(new Set(payloads).size).toBe(payloads.length);
  });

  test('holds at least the issue\'s minimum per family, and 300 payloads from public lists', () => {
    const counts = Object.fromEntries(ATTACK_FAMILIES.map((family) => [family, attacks.entries.filter((entry) => entry.family === family).length]));
    const short = ATTACK_FAMILIES.filter((family) => counts[family] < MINIMUM_PER_FAMILY[family]).map((family) => `${family}: ${counts[family]} of at least ${MINIMUM_PER_FAMILY[family]}`);
    expect(short).toEqual([]);
    expect(attacks.entries.filter((entry) => entry.source !== 'hand-written').length).toBeGreaterThanOrEqual(300);
  });

  test('header and cookie payloads can be sent as a header value', () => {
    for (const entry of attacks.entries.filter((e) => e.at.startsWith('header:') || e.at === 'cookie')) {
      expect({ id: entry.id, sendable: /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(entry.payload) }).toEqual({ id: entry.id, sendable: true });
    }
  });
});

describe('benign corpus', () => {
  test('is written with stable 2-space JSON', () => {
    expect(benignText).toBe(`${JSON.stringify(benign, null, 2)}\n`);
  });

  test('every entry has the format the engine test reads', () => {
    for (const entry of benign.entries) {
      expect(Object.keys(entry).sort()).toEqual(['description', 'id', 'kind', 'request']);
      expect(entry.id).toMatch(/^benign-\d{3}$/);
      expect(['chat-prompt', 'request']).toContain(entry.kind);
      expect(entry.description.length).toBeGreaterThan(10);
      const { method, path, query, headers } = entry.request;
      expect(['GET', 'POST']).toContain(method);
      expect(path).toMatch(/^\/[\x21-\x7e]*$/);
      if (query !== undefined) expect(query).toMatch(/^[^?#\s][\x21-\x7e]*$/);
      for (const [name, value] of Object.entries(headers ?? {})) {
        expect({ name, lowerCase: name === name.toLowerCase(), sendable: /^[\x20-\x7e\x80-\xff]*$/.test(value) }).toEqual({ name, lowerCase: true, sendable: true });
      }
      expect(method === 'GET' ? entry.request.body === undefined : entry.request.body !== undefined).toBe(true);
    }
  });

  test('ids are unique', () => {
    const ids = benign.entries.map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('holds at least 300 entries: 200 chat prompts and 60 plain requests', () => {
    expect(benign.entries.length).toBeGreaterThanOrEqual(300);
    expect(benign.entries.filter((entry) => entry.kind === 'chat-prompt').length).toBeGreaterThanOrEqual(200);
    expect(benign.entries.filter((entry) => entry.kind === 'request').length).toBeGreaterThanOrEqual(60);
  });

  test('no benign string is byte-identical to an attack payload', () => {
    const payloads = new Set(attacks.entries.map((entry) => entry.payload));
    const clashes = benign.entries.flatMap((entry) => {
      const { query, headers, body } = entry.request;
      return [entry.request.path, ...(query === undefined ? [] : [query]), ...Object.values(headers ?? {}), ...stringsIn(body)]
        .filter((value) => payloads.has(value))
        .map((value) => `${entry.id}: ${JSON.stringify(value)}`);
    });
    expect(clashes).toEqual([]);
  });
});
