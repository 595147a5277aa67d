/**
 * What the extensions bench compares: the same chat completion (`gpt-4o` on an OpenAI backend, the same consumer
 * and key), each scenario on its own `aigw serve` (extensions are gateway-wide), so the only difference between two
 * scenarios' figures is what their gateways run per call.
 */
import { join } from 'path';
import { TRIVIAL_EXTENSION_NAME, TRIVIAL_HEADER } from './trivial-names';
import type { ExtensionOptions } from '../../src';

export const SCENARIO_KEYS = ['none', 'trivial', 'key-auth', 'system-set', 'no-auth'] as const;
export type ScenarioKey = (typeof SCENARIO_KEYS)[number];

/** The yardstick: every other scenario's figures are read against its figures of the same round. */
export const YARDSTICK: ScenarioKey = 'none';
/** The reference of key-auth's whole cost: the same gateway with no auth at all (what a figure for a key-auth plugin is measured against). */
export const NO_AUTH: ScenarioKey = 'no-auth';

/**
 * The header key-auth reads the key from in its scenario, and no-auth's calls carry: one the built-in key auth does
 * not read. The gateway identifies a caller by a key in `Authorization: Bearer` or `x-api-key` before any hook, on
 * every route (key auth on or off), so with the key there key-auth would find the consumer already known and look
 * nothing up; here it finds the key, looks it up (`ctx.authenticate`: a sha256 and a constant-time compare) and
 * removes the header, the work a key-auth plugin does.
 */
export const KEY_AUTH_HEADER = 'x-bench-key';

/** The header header-transform sets on every answer of the system set: checked on every call, as the trivial extension's is. */
export const SYSTEM_SET_HEADER = 'x-bench-system-set';

export interface Scenario {
  readonly key: ScenarioKey;
  /** How the report names it. */
  readonly title: string;
  /** What the gateway runs, as the report says it. */
  readonly declared: string;
  /** The route's built-in consumer key auth. */
  readonly builtInKeyAuth: boolean;
  /** Where the calls carry the consumer's key: `Authorization: Bearer`, or KEY_AUTH_HEADER. */
  readonly keyIn: 'bearer' | typeof KEY_AUTH_HEADER;
  /** The gateway's extensions, declared as a user would (`gateway.addExtension(id, options)`), by construct id. */
  readonly extensions: Readonly<Record<string, ExtensionOptions<'dedicated'>>>;
  /** A response header every answer must carry (set by an onResponse hook): a call without it is counted as an error. */
  readonly answerHeader?: { readonly name: string; readonly value: string };
  /** What a call without a key gets: 401 when something checks keys. */
  readonly anonymousStatus: 200 | 401;
}

/** The trivial extension's module: bundled at synth from this folder. */
export const TRIVIAL_MODULE = join(__dirname, 'trivial-extension.ts');

/**
 * The system set: every system extension that can sit on every call of a chat route and still let it reach the
 * upstream, each with a small config of the kind a user writes. Left out: ai-cache (its hits answer from memory
 * and skip the upstream, so it would measure a cache, not the mechanism), key-auth (it replaces the built-in key
 * auth: measured alone) and token-quota (a budget store's reads and writes per call: a quota, measured on its own
 * when it exists).
 */
const SYSTEM_SET: Record<string, ExtensionOptions<'dedicated'>> = {
  'ip': { name: 'ip-restriction', source: 'system', config: { allow: ['127.0.0.0/8'] } },
  'guard': { name: 'content-guard', source: 'system', config: { denyWords: ['bench-forbidden', 'classified'], denyPatterns: ['(?i)secret-[0-9]{4}'] } },
  'stats': { name: 'ai-statistics', source: 'system', config: { attributes: [{ key: 'model', from: 'request-body', path: 'model' }] } },
  'mapper': { name: 'model-mapper', source: 'system', config: { mappings: { 'gpt-3.5-turbo': 'gpt-4o-mini' } } },
  'decorator': { name: 'prompt-decorator', source: 'system', config: { prepend: [{ role: 'system', content: 'You are a helpful assistant.' }] } },
  'headers': { name: 'header-transform', source: 'system', config: { response: { set: { [SYSTEM_SET_HEADER]: 'on' } } } },
};

export const SCENARIOS: Record<ScenarioKey, Scenario> = {
  'none': {
    key: 'none',
    title: 'No extensions (the yardstick)',
    declared: 'no extension; the built-in key auth',
    builtInKeyAuth: true,
    keyIn: 'bearer',
    extensions: {},
    anonymousStatus: 401,
  },
  'trivial': {
    key: 'trivial',
    title: 'One trivial extension',
    declared: `a custom extension (\`bench/extensions/trivial-extension.ts\`, bundled at synth): onRequest reads one header, onResponse sets \`${TRIVIAL_HEADER}\`; the built-in key auth`,
    builtInKeyAuth: true,
    keyIn: 'bearer',
    extensions: { trivial: { name: TRIVIAL_EXTENSION_NAME, source: 'custom', modulePath: TRIVIAL_MODULE } },
    answerHeader: { name: TRIVIAL_HEADER, value: 'on' },
    anonymousStatus: 401,
  },
  'key-auth': {
    key: 'key-auth',
    title: 'key-auth alone',
    declared: `the \`key-auth\` system extension reading the key from \`${KEY_AUTH_HEADER}\` (\`keys: ['${KEY_AUTH_HEADER}']\`), a header the built-in key auth does not read, so that key-auth finds the key, looks it up (\`ctx.authenticate\`) and removes it on every call; the route's built-in key auth off`,
    builtInKeyAuth: false,
    keyIn: KEY_AUTH_HEADER,
    extensions: { auth: { name: 'key-auth', source: 'system', config: { keys: [KEY_AUTH_HEADER] } } },
    anonymousStatus: 401,
  },
  'system-set': {
    key: 'system-set',
    title: 'The system set',
    declared:
      '`ip-restriction` (allow 127.0.0.0/8), `content-guard` (2 deny words and 1 pattern, prompts and completions, block), `ai-statistics` (1 attribute, the request\'s `model`), ' +
      `\`model-mapper\` (1 mapping, not matching \`gpt-4o\`), \`prompt-decorator\` (1 system message prepended), \`header-transform\` (1 response header set, \`${SYSTEM_SET_HEADER}\`); the built-in key auth`,
    builtInKeyAuth: true,
    keyIn: 'bearer',
    extensions: SYSTEM_SET,
    answerHeader: { name: SYSTEM_SET_HEADER, value: 'on' },
    anonymousStatus: 401,
  },
  'no-auth': {
    key: 'no-auth',
    title: 'No extensions, no key auth',
    declared: `no extension; the route's built-in key auth off (every caller served), the calls carrying the key in \`${KEY_AUTH_HEADER}\` as key-auth's do (a header nothing reads here): the reference of key-auth's whole cost`,
    builtInKeyAuth: false,
    keyIn: KEY_AUTH_HEADER,
    extensions: {},
    anonymousStatus: 200,
  },
};

/** BENCH_EXTENSIONS_SCENARIOS: a comma-separated subset (the yardstick always runs: every figure is read against it). */
export function selectedScenarios(setting: string | undefined): Scenario[] {
  if (setting === undefined || setting.trim() === '' || setting.trim() === 'all') return SCENARIO_KEYS.map((k) => SCENARIOS[k]);
  const asked = setting.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((s) => !(SCENARIO_KEYS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_EXTENSIONS_SCENARIOS: unknown ${unknown.join(', ')}; known: ${SCENARIO_KEYS.join(', ')} (or all)`);
  return SCENARIO_KEYS.filter((k) => k === YARDSTICK || asked.includes(k)).map((k) => SCENARIOS[k]);
}
