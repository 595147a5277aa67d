import { isObject, type JsonObject } from '../../specs';
import { parseJsonObject, readBody } from '../body';
import type { CompiledAgentRoute } from '../compile/snapshot';
import { Errors } from '../errors';
import type { RequestContext } from '../request-context';
import { eventData } from '../sse';
import { estimateTextTokens } from '../token-estimate';
import type { Usage } from '../usage';
import { eventLines, fieldValue, jsonObjectOf, type NativeAnswerReader } from './native-answer';
import type { NativeAgentRequest } from './native-request';
import { type AgentErrorReport, dashScopeError, dashScopeUsage } from './wire';
import { inspectBody } from '../waf/inspection';

/** Role and framing tokens each message costs (as for chat models). */
const TOKENS_PER_MESSAGE = 4;
/** DashScope's comment line that carries an event's HTTP status (`:HTTP_STATUS/400`). */
const STATUS_COMMENT = /^:HTTP_STATUS\/(\d{3})$/;

/**
 * Reads a request on a Model Studio route (a DashScope application): POST only, to the pinned app's
 * completion. The body passes through as the client wrote it (`input.prompt`, `messages`, `session_id`,
 * `biz_params`), except that a stream is always incremental upstream (`parameters.incremental_output`):
 * the gateway then reads each piece once, and re-accumulates them when the client asked for whole text.
 */
export async function readDashScopeRequest(ctx: RequestContext, route: CompiledAgentRoute): Promise<NativeAgentRequest> {
  const target = route.paths.upstreamPath(ctx.path);
  if (ctx.req.method !== 'POST') throw Errors.methodNotAllowed(ctx.req.method ?? '');
  const raw = await readBody(ctx.req, route.maxBodyBytes, ctx.snapshot.bodyTimeoutMs, ctx.snapshot.bandwidth);
  const body = parseJsonObject(raw, ctx.snapshot.maxJsonDepth);
  inspectBody(ctx, body);
  const stream = String(ctx.req.headers['x-dashscope-sse'] ?? '').trim().toLowerCase() === 'enable';
  let reaccumulate = false;
  let sent = raw;
  if (stream) {
    if (body.parameters !== undefined && !isObject(body.parameters)) {
      throw Errors.badRequest(`'parameters' must be a JSON object; found ${JSON.stringify(body.parameters).slice(0, 100)}. Send an object, or leave it out.`, 'parameters');
    }
    const parameters = body.parameters ?? {};
    reaccumulate = parameters.incremental_output !== true;
    if (reaccumulate) sent = Buffer.from(JSON.stringify({ ...body, parameters: { ...parameters, incremental_output: true } }));
  }
  return { protocol: 'dashscope-app', method: 'POST', target, body: sent, upload: undefined, runs: true, stream, reaccumulate, promptTokens: promptTokens(body) };
}

/** The prompt's estimated tokens: `input.prompt` and the text of `input.messages`. */
function promptTokens(body: JsonObject): number {
  const input = isObject(body.input) ? body.input : {};
  let chars = typeof input.prompt === 'string' ? input.prompt.length : 0;
  let framing = TOKENS_PER_MESSAGE;
  if (Array.isArray(input.messages)) {
    for (const m of input.messages) {
      if (isObject(m) && typeof m.content === 'string') chars += m.content.length;
      framing += TOKENS_PER_MESSAGE;
    }
  }
  return estimateTextTokens(chars) + framing;
}

/**
 * A DashScope application's answer as it passes: usage (the last event's), its `event:error`, the text.
 * `reaccumulate`: the stream is incremental upstream but not for the client, so each `result` event's
 * `output.text` becomes the whole text so far, as DashScope itself sends it without incremental output.
 */
export function dashScopeAnswer(reaccumulate: boolean): NativeAnswerReader {
  let usage: Usage | undefined;
  let failure: AgentErrorReport | undefined;
  let text = '';
  let textChars = 0;
  return {
    rewrites: reaccumulate,
    event: (event) => {
      const lines = eventLines(event);
      let kind = 'message';
      let status = 200;
      for (const line of lines) {
        kind = fieldValue(line, 'event') ?? kind;
        const comment = STATUS_COMMENT.exec(line);
        if (comment) status = Number(comment[1]);
      }
      const doc = jsonObjectOf(eventData(event));
      if (!doc) return event;
      if (kind === 'error' || status >= 400) {
        failure ??= dashScopeError(doc, status) ?? { status, code: 'error', message: 'the application reported an error' };
        return event;
      }
      usage = dashScopeUsage(doc) ?? usage;
      const output = isObject(doc.output) ? doc.output : undefined;
      if (!output || typeof output.text !== 'string') return event;
      textChars += output.text.length;
      if (!reaccumulate) return event;
      text += output.text;
      return withData(event, lines, { ...doc, output: { ...output, text } });
    },
    document: (doc) => {
      usage = dashScopeUsage(doc) ?? usage;
      failure ??= dashScopeError(doc, 200);
      if (isObject(doc.output) && typeof doc.output.text === 'string') textChars += doc.output.text.length;
    },
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

/** The event with its data replaced by `doc`: its other lines (id, event, the status comment) kept in order, its line ending kept. */
function withData(event: string, lines: readonly string[], doc: JsonObject): string {
  const newline = event.includes('\r\n') ? '\r\n' : event.includes('\r') ? '\r' : '\n';
  const out: string[] = [];
  let placed = false;
  for (const line of lines) {
    if (fieldValue(line, 'data') === undefined) {out.push(line);} else if (!placed) {
      placed = true;
      out.push(`data:${JSON.stringify(doc)}`);
    }
  }
  return `${out.join(newline)}${newline}${newline}`;
}
