/**
 * What the Responses bench compares: each scenario is one call through aigw and the call aigw makes
 * upstream, sent to the simulator directly (so the overhead is everything aigw adds: auth, routing,
 * translation both ways, the extra hop). The same prompt on every side, so every answer has one text.
 */
import { ANTHROPIC_MODEL, CHAT_BACKEND_MODEL, OPENAI_MODEL } from './config';
import { type Wire } from './wire';
import { CONSUMER_KEY, UPSTREAM_KEY } from '../dataplane/configs';

export const SCENARIO_KEYS = ['chat', 'responses-native', 'responses-native-stored', 'responses-chat', 'responses-anthropic'] as const;
export type ScenarioKey = (typeof SCENARIO_KEYS)[number];

/** One side's request. */
export interface Call {
  readonly wire: Wire;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: (stream: boolean) => string;
  /** How the report shows it. */
  readonly shown: (stream: boolean) => string;
}

export interface Scenario {
  readonly key: ScenarioKey;
  readonly title: string;
  readonly model: string;
  /** Whether aigw translates the Responses call to another protocol (the CPU goal's subject). */
  readonly translated: boolean;
  readonly gateway: Call;
  readonly direct: Call;
}

const PROMPT = 'hello';
/** The simulator (named `bench` in bench/dataplane/simulator.ts) answers every protocol with this text. */
export const expectedAnswer = (model: string): string => `[sim:bench] ${model}: ${PROMPT}`;

const json = { 'content-type': 'application/json' };
const GATEWAY_HEADERS = { ...json, authorization: `Bearer ${CONSUMER_KEY}` };
const OPENAI_HEADERS = { ...json, authorization: `Bearer ${UPSTREAM_KEY}` };
const ANTHROPIC_HEADERS = { ...json, 'x-api-key': UPSTREAM_KEY, 'anthropic-version': '2023-06-01' };
const streamed = (stream: boolean) => (stream ? { stream: true } : {});

function chatCall(model: string, headers: Record<string, string>): Call {
  return {
    wire: 'chat',
    path: '/v1/chat/completions',
    headers,
    body: (stream) => JSON.stringify({ model, messages: [{ role: 'user', content: PROMPT }], ...streamed(stream) }),
    shown: (stream) => `POST /v1/chat/completions {model: "${model}", messages${stream ? ', stream: true' : ''}}`,
  };
}

/**
 * `store: false`: nothing is kept. With `store` left out (OpenAI's default, true), the backend keeps each response and aigw
 * records whose it is (in memory here: the bench gateway has no Redis); the simulator keeps the last 1,000.
 */
function responsesCall(model: string, headers: Record<string, string>, store = false): Call {
  const storeField = store ? {} : { store: false };
  return {
    wire: 'responses',
    path: '/v1/responses',
    headers,
    body: (stream) => JSON.stringify({ model, input: PROMPT, ...storeField, ...streamed(stream) }),
    shown: (stream) => `POST /v1/responses {model: "${model}", input: "${PROMPT}"${store ? '' : ', store: false'}${stream ? ', stream: true' : ''}}`,
  };
}

function messagesCall(model: string): Call {
  return {
    wire: 'messages',
    path: '/v1/messages',
    headers: ANTHROPIC_HEADERS,
    body: (stream) => JSON.stringify({ model, max_tokens: 1024, messages: [{ role: 'user', content: PROMPT }], ...streamed(stream) }),
    shown: (stream) => `POST /v1/messages {model: "${model}", max_tokens: 1024, messages${stream ? ', stream: true' : ''}}`,
  };
}

export const SCENARIOS: Record<ScenarioKey, Scenario> = {
  'chat': {
    key: 'chat',
    title: 'Chat completions on OpenAI (native: the yardstick)',
    model: OPENAI_MODEL,
    translated: false,
    gateway: chatCall(OPENAI_MODEL, GATEWAY_HEADERS),
    direct: chatCall(OPENAI_MODEL, OPENAI_HEADERS),
  },
  'responses-native': {
    key: 'responses-native',
    title: 'Responses on OpenAI (native)',
    model: OPENAI_MODEL,
    translated: false,
    gateway: responsesCall(OPENAI_MODEL, GATEWAY_HEADERS),
    direct: responsesCall(OPENAI_MODEL, OPENAI_HEADERS),
  },
  'responses-native-stored': {
    key: 'responses-native-stored',
    title: 'Responses on OpenAI (native) with store on: aigw records whose each response is',
    model: OPENAI_MODEL,
    translated: false,
    gateway: responsesCall(OPENAI_MODEL, GATEWAY_HEADERS, true),
    direct: responsesCall(OPENAI_MODEL, OPENAI_HEADERS, true),
  },
  'responses-chat': {
    key: 'responses-chat',
    title: 'Responses on DeepSeek (translated onto chat completions)',
    model: CHAT_BACKEND_MODEL,
    translated: true,
    gateway: responsesCall(CHAT_BACKEND_MODEL, GATEWAY_HEADERS),
    direct: chatCall(CHAT_BACKEND_MODEL, OPENAI_HEADERS),
  },
  'responses-anthropic': {
    key: 'responses-anthropic',
    title: 'Responses on Anthropic (translated onto Messages)',
    model: ANTHROPIC_MODEL,
    translated: true,
    gateway: responsesCall(ANTHROPIC_MODEL, GATEWAY_HEADERS),
    direct: messagesCall(ANTHROPIC_MODEL),
  },
};

/** BENCH_RESPONSES_SCENARIOS: a comma-separated subset (the chat yardstick is always measured: the goal divides by it). */
export function selectedScenarios(setting: string | undefined): Scenario[] {
  if (setting === undefined || setting.trim() === '' || setting.trim() === 'all') return SCENARIO_KEYS.map((k) => SCENARIOS[k]);
  const asked = setting.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((s) => !(SCENARIO_KEYS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_RESPONSES_SCENARIOS: unknown ${unknown.join(', ')}; known: ${SCENARIO_KEYS.join(', ')} (or all)`);
  return SCENARIO_KEYS.filter((k) => k === 'chat' || asked.includes(k)).map((k) => SCENARIOS[k]);
}
