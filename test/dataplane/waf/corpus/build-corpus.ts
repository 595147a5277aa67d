/**
 * Rebuilds attacks.json and benign.json. The tests read only the committed
 * JSON; run this after changing a selection rule or the benign texts:
 *
 *   npx ts-node test/dataplane/waf/corpus/build-corpus.ts [<PayloadsAllTheThings git dir>]
 *
 * The attack lines are read from the pinned commit (never a working tree),
 * so the same commit and rules always give the same file.
 */
import { execFileSync } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { isCandidate, isPrintableAscii, LIST_SELECTIONS, PAYLOADS_COMMIT, PROMPT_INJECTION_README, spread } from './attack-lists';
import { BENIGN_REQUESTS } from './benign-requests';
import { BODY_SHAPES, SCHEMA_REQUESTS } from './benign-shapes';
import { BENIGN_TEXTS } from './benign-texts';
import type { AttackCorpus, AttackEntry, AttackFamily, AttackLocation, AttackSource, BenignCorpus, BenignEntry } from './corpus-format';
import { PROMPT_INJECTIONS_FROM_README, PROMPT_INJECTIONS_HAND_WRITTEN, PROTOCOL_ANOMALIES } from './hand-written-attacks';

const DEFAULT_MIRROR = '/work/.mirror/swisskyrepo+PayloadsAllTheThings/repo';

function readListFile(gitDir: string, file: string): string {
  return execFileSync('git', ['-C', gitDir, 'show', `${PAYLOADS_COMMIT}:${file}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

// Where SQLi, XSS and command payloads go, in turn: mostly a query value and
// the `user` field, with headers, cookies, metadata and the path mixed in.
const INJECTION_ROTATION: readonly AttackLocation[] = [
  'query', 'body:user', 'query', 'body:user', 'header:user-agent', 'query', 'body:metadata', 'body:user', 'cookie', 'query',
  'body:user', 'header:referer', 'query', 'body:user', 'path', 'query', 'body:metadata', 'body:user', 'cookie', 'header:user-agent',
];
const TRAVERSAL_ROTATION: readonly AttackLocation[] = ['path', 'query', 'path', 'query', 'path', 'path', 'query', 'path', 'query', 'cookie'];

/** Whether a payload can be put at a location as written (a header value cannot hold CR LF or non-Latin text, and keeps no outer spaces). */
function fits(payload: string, at: AttackLocation, family: AttackFamily): boolean {
  const headerSafe = isPrintableAscii(payload) && payload === payload.trim();
  switch (at) {
    case 'header:user-agent':
    case 'header:referer': return headerSafe;
    case 'cookie': return headerSafe && !payload.includes(';') && !payload.includes(',');
    // Traversal payloads are appended raw; others are encoded as one segment,
    // except that a leading '/' or a '%' makes the test append them verbatim.
    case 'path': return family === 'traversal' ? !/[?#]/.test(payload) : !payload.startsWith('/') && !payload.includes('%');
    default: return true;
  }
}

function place(family: AttackFamily, payload: string, index: number): AttackLocation {
  const rotation = family === 'traversal' ? TRAVERSAL_ROTATION : INJECTION_ROTATION;
  const wanted = rotation[index % rotation.length];
  if (fits(payload, wanted, family)) return wanted;
  return index % 2 === 0 ? 'query' : family === 'traversal' ? 'query' : 'body:user';
}

function buildAttacks(gitDir: string): AttackCorpus {
  const sources: Record<string, AttackSource> = {};
  const entries: AttackEntry[] = [];
  const seen = new Set<string>();
  const counters = new Map<AttackFamily, number>();
  const add = (family: AttackFamily, source: string, payload: string, at?: AttackLocation) => {
    const n = (counters.get(family) ?? 0) + 1;
    counters.set(family, n);
    seen.add(payload);
    entries.push({ id: `${family}-${String(n).padStart(3, '0')}`, family, source, payload, at: at ?? place(family, payload, n - 1) });
  };

  for (const selection of LIST_SELECTIONS) {
    sources[selection.id] = { list: 'PayloadsAllTheThings', file: selection.file, commit: PAYLOADS_COMMIT, licence: 'MIT' };
    const lines = readListFile(gitDir, selection.file).split('\n').map((line) => line.replace(/\r$/, ''));
    const candidates = [...new Set(lines.filter((line) => isCandidate(selection.family, line)))].filter((line) => !seen.has(line));
    for (const payload of spread(candidates, selection.take)) add(selection.family, selection.id, payload);
  }

  for (const { payload, at } of PROTOCOL_ANOMALIES) add('protocol', 'hand-written', payload, at);

  const readme = readListFile(gitDir, PROMPT_INJECTION_README.file);
  sources[PROMPT_INJECTION_README.id] = { list: 'PayloadsAllTheThings', file: PROMPT_INJECTION_README.file, commit: PAYLOADS_COMMIT, licence: 'MIT' };
  for (const payload of PROMPT_INJECTIONS_FROM_README) {
    if (!readme.includes(payload)) throw new Error(`prompt injection quote not found in ${PROMPT_INJECTION_README.file} at ${PAYLOADS_COMMIT}: ${JSON.stringify(payload)}; fix the quote in hand-written-attacks.ts`);
    add('prompt-injection', PROMPT_INJECTION_README.id, payload, 'message');
  }
  for (const payload of PROMPT_INJECTIONS_HAND_WRITTEN) add('prompt-injection', 'hand-written', payload, 'message');

  return { sources, entries };
}

function buildBenign(): BenignCorpus {
  const entries: BenignEntry[] = [];
  const add = (kind: BenignEntry['kind'], description: string, request: BenignEntry['request']) => {
    entries.push({ id: `benign-${String(entries.length + 1).padStart(3, '0')}`, kind, description, request });
  };
  // Each text goes out in two different body shapes, so every text is tried
  // against both an OpenAI-style and another provider's or endpoint's layout.
  BENIGN_TEXTS.forEach(({ topic, text }, i) => {
    for (const shape of [BODY_SHAPES[i % BODY_SHAPES.length], BODY_SHAPES[(i + 3) % BODY_SHAPES.length]]) {
      add('chat-prompt', `${topic}; carried as ${shape.name}. Legitimate: the user asks for help with this text.`, shape.wrap(text));
    }
  });
  for (const { description, request } of SCHEMA_REQUESTS) add('chat-prompt', `${description}. Legitimate: tool and schema text describes code.`, request);
  for (const { description, request } of BENIGN_REQUESTS) add('request', `${description}. Legitimate: what real clients send.`, request);
  return { entries };
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

if (require.main === module) {
  const gitDir = process.argv[2] ?? DEFAULT_MIRROR;
  writeJson(join(__dirname, 'attacks.json'), buildAttacks(gitDir));
  writeJson(join(__dirname, 'benign.json'), buildBenign());
}
