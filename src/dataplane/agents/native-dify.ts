import type { Dispatcher } from 'undici';
import { isObject, type JsonObject } from '../../specs';
import { parseJsonObject, readBody } from '../body';
import type { CompiledAgentRoute } from '../compile/snapshot';
import { Errors } from '../errors';
import { boundaryOf } from '../multipart';
import type { RequestContext } from '../request-context';
import { eventData } from '../sse';
import { estimateTextTokens } from '../token-estimate';
import type { Usage } from '../usage';
import { jsonObjectOf, type NativeAnswerReader } from './native-answer';
import type { NativeAgentRequest } from './native-request';
import { difyUser } from './protocol';
import { type AgentErrorReport, difyError, difyUsage } from './wire';
import { inspectBody } from '../waf/inspection';

/** How an endpoint takes its input: a JSON body, none (the query), or a multipart upload. */
type DifyInput = 'json' | 'none' | 'upload';

interface DifyEndpoint {
  readonly method: Dispatcher.HttpMethod;
  /** Beneath the API root (`…/v1`), as Dify documents it; `:x` is one id segment. */
  readonly path: string;
  readonly input: DifyInput;
  /** Starts a run of the app: its answer reports usage. */
  readonly runs?: true;
}

/**
 * The Dify app API endpoints a client needs, and nothing else: the runs, their stop calls, files,
 * feedback, conversations and messages (scoped to the `user` the gateway sets), the app's own
 * description. Anything else of Dify (its console, datasets, other apps' APIs) stays out of reach.
 */
const DIFY_ENDPOINTS: readonly DifyEndpoint[] = [
  { method: 'POST', path: '/chat-messages', input: 'json', runs: true },
  { method: 'POST', path: '/completion-messages', input: 'json', runs: true },
  { method: 'POST', path: '/workflows/run', input: 'json', runs: true },
  { method: 'POST', path: '/chat-messages/:task_id/stop', input: 'json' },
  { method: 'POST', path: '/completion-messages/:task_id/stop', input: 'json' },
  { method: 'POST', path: '/workflows/tasks/:task_id/stop', input: 'json' },
  { method: 'POST', path: '/files/upload', input: 'upload' },
  { method: 'POST', path: '/messages/:message_id/feedbacks', input: 'json' },
  { method: 'POST', path: '/conversations/:conversation_id/name', input: 'json' },
  { method: 'GET', path: '/conversations', input: 'none' },
  { method: 'GET', path: '/messages', input: 'none' },
  { method: 'GET', path: '/messages/:message_id/suggested', input: 'none' },
  { method: 'GET', path: '/parameters', input: 'none' },
  { method: 'GET', path: '/info', input: 'none' },
  { method: 'GET', path: '/meta', input: 'none' },
  { method: 'GET', path: '/workflows/run/:workflow_run_id', input: 'none' },
  { method: 'DELETE', path: '/conversations/:conversation_id', input: 'json' },
];

/**
 * An id segment: Dify's ids are UUIDs (task, message, conversation, run). Anything with escapes, dots or
 * other punctuation is no id, and is refused rather than passed to Dify to interpret.
 */
const ID_SEGMENT = '[A-Za-z0-9_-]{1,128}';
const MATCHERS = DIFY_ENDPOINTS.map((e) => ({ endpoint: e, pattern: new RegExp(`^${e.path.replace(/:[a-z_]+/g, ID_SEGMENT)}$`) }));
/** What the refusal lists, computed once. */
const SERVED = (['POST', 'GET', 'DELETE'] as const).map((m) => `${m} ${DIFY_ENDPOINTS.filter((e) => e.method === m).map((e) => e.path.slice(1)).join(', ')}`).join('; ');

/** Characters a prompt's framing costs beyond its text (the same 4 tokens a chat message is charged). */
const FRAMING_TOKENS = 4;

/**
 * Reads a request on a Dify route: the endpoint must be one of DIFY_ENDPOINTS; the `user` is the
 * gateway's on every call (JSON body, query, or upload form field), so one consumer never reaches
 * another's conversations, messages or files. The JSON body is read (bounded) so that its prompt can be
 * pre-charged; an upload streams through later.
 */
export function readDifyRequest(ctx: RequestContext, route: CompiledAgentRoute): NativeAgentRequest | Promise<NativeAgentRequest> {
  const path = route.paths.upstreamPath(ctx.path);
  const method = ctx.req.method ?? 'GET';
  const endpoint = MATCHERS.find((m) => m.endpoint.method === method && m.pattern.test(path))?.endpoint;
  if (!endpoint) {
    throw Errors.agentEndpointNotServed(route.name, method, ctx.path, SERVED);
  }
  const consumer = ctx.caller.kind === 'consumer' ? ctx.caller.consumer.name : undefined;
  const userOf = (clientUser: unknown) => difyUser(route.config, consumer, clientUser);
  const query = new URLSearchParams(ctx.query.slice(1));
  const queryUser = query.get('user') ?? undefined;
  const request = { protocol: 'dify', method: endpoint.method, runs: endpoint.runs === true, reaccumulate: false } as const;

  if (endpoint.input === 'none') {
    return { ...request, target: `${path}${withUser(query, userOf(queryUser), true)}`, body: undefined, upload: undefined, stream: false, promptTokens: 0 };
  }
  if (endpoint.input === 'upload') {
    // Checked now, before any call: a body that is not multipart/form-data is the client's 400.
    boundaryOf(ctx.req.headers['content-type'] ?? '');
    const target = `${path}${withUser(query, userOf(queryUser), false)}`;
    return { ...request, target, body: undefined, upload: (clientUser) => userOf(clientUser ?? queryUser), stream: false, promptTokens: 0 };
  }
  return readBody(ctx.req, route.maxBodyBytes, ctx.snapshot.bodyTimeoutMs, ctx.snapshot.bandwidth).then((raw) => {
    // A DELETE may come without a body: Dify then still needs the `user`, in a JSON body.
    const body = raw.length === 0 && endpoint.method === 'DELETE' ? {} : parseJsonObject(raw, ctx.snapshot.maxJsonDepth);
    inspectBody(ctx, body);
    const user = userOf(typeof body.user === 'string' ? body.user : queryUser);
    body.user = user;
    return {
      ...request,
      // A DELETE gets the user in its query too (Dify's versions differ in where they read it).
      target: `${path}${withUser(query, user, endpoint.method === 'DELETE')}`,
      body: Buffer.from(JSON.stringify(body)),
      upload: undefined,
      stream: endpoint.runs === true && body.response_mode === 'streaming',
      promptTokens: endpoint.runs ? difyPromptTokens(body) : 0,
    };
  });
}

/**
 * The query as it goes upstream: every `user` parameter the client sent (however encoded: the parse
 * decodes names, `us%65r` included) replaced by the gateway's one; the rest re-encoded canonically, so
 * that no server reads a parameter the gateway did not see. `always`: add it even if the client sent none.
 */
function withUser(query: URLSearchParams, user: string, always: boolean): string {
  if (!always && !query.has('user')) return query.size === 0 ? '' : `?${query.toString()}`;
  query.delete('user');
  query.append('user', user);
  return `?${query.toString()}`;
}

/** The prompt's estimated tokens: the query and every text input (workflows and completion apps take their prompt as inputs). */
function difyPromptTokens(body: JsonObject): number {
  let chars = typeof body.query === 'string' ? body.query.length : 0;
  if (isObject(body.inputs)) for (const v of Object.values(body.inputs)) if (typeof v === 'string') chars += v.length;
  return estimateTextTokens(chars) + FRAMING_TOKENS;
}

/** Dify's answer as it passes: usage from `message_end` / `workflow_finished`, its `error` event or failed workflow, the answer text. */
export function difyAnswer(): NativeAnswerReader {
  let usage: Usage | undefined;
  let failure: AgentErrorReport | undefined;
  let textChars = 0;
  const read = (doc: JsonObject): void => {
    usage = difyUsage(doc) ?? usage;
    failure ??= difyError(doc);
    textChars += answerChars(doc);
  };
  return {
    rewrites: false,
    event: (event) => {
      const doc = jsonObjectOf(eventData(event));
      if (doc) read(doc);
      return event;
    },
    document: read,
    get usage() {
      return usage;
    },
    get failure() {
      return failure;
    },
    get textChars() {
      return textChars;
    },
  };
}

/** The answer text an event or blocking answer carries: chat and agent deltas, workflow text chunks. */
function answerChars(doc: JsonObject): number {
  if (typeof doc.answer === 'string') return doc.answer.length;
  if (doc.event === 'text_chunk' && isObject(doc.data) && typeof doc.data.text === 'string') return doc.data.text.length;
  return 0;
}
