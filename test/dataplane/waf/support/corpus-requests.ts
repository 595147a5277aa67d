import { readFileSync } from 'fs';
import { join } from 'path';
import type { WafRequest } from '../../../../src/dataplane/waf/targets';

/**
 * The WAF corpus (corpus/attacks.json, corpus/benign.json) turned into the engine's requests, as the corpus README
 * says each entry's "at" places its payload.
 */
export interface CorpusAttack {
  readonly id: string;
  readonly family: string;
  readonly payload: string;
  readonly at: string;
}

export interface CorpusBenign {
  readonly id: string;
  readonly kind: string;
  readonly request: { method: string; path: string; query?: string; headers?: Record<string, string>; body?: unknown };
}

const CORPUS_DIR = join(__dirname, '..', 'corpus');

export function loadAttacks(): CorpusAttack[] {
  return (JSON.parse(readFileSync(join(CORPUS_DIR, 'attacks.json'), 'utf8')) as { entries: CorpusAttack[] }).entries;
}

export function loadBenign(): CorpusBenign[] {
  return (JSON.parse(readFileSync(join(CORPUS_DIR, 'benign.json'), 'utf8')) as { entries: CorpusBenign[] }).entries;
}

const ROUTE_PATH = '/v1/chat/completions';

/** A plain chat request with the entry's payload put where its "at" says. */
export function attackRequest(entry: CorpusAttack): WafRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'OpenAI/JS 6.30.1' };
  const body: Record<string, unknown> = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello in three languages.' }] };
  let rawPath = ROUTE_PATH;
  const p = entry.payload;
  switch (entry.at) {
    case 'query':
      rawPath = `${ROUTE_PATH}?q=${encodeURIComponent(p)}`;
      break;
    case 'path': {
      // Traversal payloads, and any starting with "/" or holding a "%", are raw path forms: used as they are.
      const verbatim = entry.family === 'traversal' || p.startsWith('/') || p.includes('%');
      rawPath = verbatim ? `${ROUTE_PATH}${p.startsWith('/') ? '' : '/'}${p}` : `${ROUTE_PATH}/${encodeURIComponent(p)}`;
      break;
    }
    case 'header:user-agent':
      headers['user-agent'] = p;
      break;
    case 'header:referer':
      headers.referer = p;
      break;
    case 'cookie':
      headers.cookie = `session=s_9f8e7d6c; pref=${encodeURIComponent(p)}`;
      break;
    case 'body:user':
      body.user = p;
      break;
    case 'body:metadata':
      body.metadata = { note: p };
      break;
    case 'message':
      body.messages = [{ role: 'user', content: p }];
      break;
    default:
      throw new Error(`attack ${entry.id}: unknown "at" ${JSON.stringify(entry.at)}: add it to attackRequest`);
  }
  return { method: 'POST', rawPath, headers, body, routeKind: 'model' };
}

export function benignRequest(entry: CorpusBenign): WafRequest {
  const r = entry.request;
  return { method: r.method, rawPath: r.query ? `${r.path}?${r.query}` : r.path, headers: r.headers ?? {}, body: r.body, routeKind: 'model' };
}
