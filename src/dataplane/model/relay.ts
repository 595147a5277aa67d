import { isConversationId, MAX_CONVERSATION_ID_CHARS } from '../agents/protocol';
import { completionTextChars } from '../completion-text';
import { ENDPOINTS } from '../endpoints';
import { Errors } from '../errors';
import { responseHooksOf, runResponseHooks, sendWholeThroughHooks, streamHooksOf } from '../extensions/response';
import { runStreamEnd } from '../extensions/stream';
import { LOG_TEXT_LIMIT } from '../log-bounds';
import type { RequestContext } from '../request-context';
import type { Scrubber } from '../scrub';
import { estimateTextTokens } from '../token-estimate';
import { relayBody } from './relay-body';
import { relayEvents, StreamFailedBeforeHead } from './relay-events';
import type { Attempt, ModelRequest, ProxyEvents } from './types';
import { checkStatus } from './upstream-errors';
import { responseIdOf } from '../translate/responses-translators';
import type { Translator } from '../translate/translator';
import type { UpstreamResponse } from '../upstream-call';
import { usageOfJson } from '../usage';

/** The upstream answered: check its status, then relay its body (SSE, translated JSON, or bytes as they are). */
export async function relayResponse(
  ctx: RequestContext,
  attempt: Attempt,
  request: ModelRequest,
  events: ProxyEvents,
  response: UpstreamResponse,
  translator: Translator,
): Promise<void> {
  const { upstream, servedModel } = attempt;
  const { endpoint, stream, clientWantsUsage } = request;
  await checkStatus(response, upstream, translator);

  const contentType = String(response.headers['content-type'] ?? (stream ? 'text/event-stream' : 'application/json'));
  const keeps = events.onStoredResponse !== undefined && translator.storesResponses === true;
  events.onFirstByte();
  const out: Record<string, string> = { 'x-aigw-served-model': headerSafe(servedModel) ? servedModel : attempt.targetModel };
  if (stream && translator.answersWhole === true) {
    // The upstream answered the stream with one JSON document (a custom agent's mapping): the relay makes the
    // client's whole stream of it, and what it cannot read is an error before any byte.
    const relay = translator.stream(clientWantsUsage, request.requested, request);
    // Scrubbed before it is read: what the relay quotes (an unreadable answer, the conversation id) may echo the key.
    const frames = upstream.scrubber.text(relay.push(upstream.scrubber.text(await wholeBody(response))).join(''));
    const usage = relay.usage();
    if (usage) events.onUsage(usage);
    else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(completionTextChars(Buffer.from(frames))));
    events.onFirstToken();
    const head = { ...out, ...agentHeaders(relay.headers?.(), upstream.scrubber), 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
    const streamHooks = streamHooksOf(ctx);
    const hooks = responseHooksOf(ctx);
    const answer = hooks ? await runResponseHooks(hooks, 200, head, undefined, true) : undefined;
    ctx.res.writeHead(answer?.status ?? 200, answer?.headers ?? head);
    ctx.res.end(streamHooks ? await streamHooks.apply(frames) : frames);
    if (streamHooks && !streamHooks.ended) await runStreamEnd(ctx.extensions!);
  } else if (stream && contentType.startsWith('text/event-stream')) {
    // A stream the backend keeps: its id recorded as soon as its first event names it.
    const keep = keeps ? (id: string | undefined) => events.onStoredResponse!(id, attempt) : undefined;
    const relay = translator.stream(clientWantsUsage, request.requested, request, keep);
    const head = { ...out, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
    // An agent's head waits for its first event: the conversation id is in it, or its error (then answered with a status).
    // onResponse sees the head before the first event (a deferred head's agent headers are added after it).
    const hooks = responseHooksOf(ctx);
    const answer = hooks ? await runResponseHooks(hooks, 200, head, undefined, true) : undefined;
    const status = answer?.status ?? 200;
    const hooked = answer?.headers ?? head;
    if (relay.deferHead) {
      const writeHead = () => ctx.res.writeHead(status, { ...hooked, ...agentHeaders(relay.headers?.(), upstream.scrubber) });
      await relayEvents(ctx, response, relay, events, upstream.scrubber.stream(), writeHead);
    } else {
      ctx.res.writeHead(status, hooked);
      await relayEvents(ctx, response, relay, events, upstream.scrubber.stream());
    }
  } else if (keeps) {
    // A Response the backend keeps: read whole, and its id recorded before the client has it, so that a call by id
    // sent at once (to any replica) finds the record. Response bodies are small; their usage is read as chat's is.
    const body = upstream.scrubber.text(await wholeBody(response));
    const usage = usageOfJson(body);
    if (usage) events.onUsage(usage);
    else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(completionTextChars(Buffer.from(body))));
    await events.onStoredResponse!(storedIdOf(body), attempt);
    const hooks = responseHooksOf(ctx);
    if (hooks) return sendWholeThroughHooks(ctx, hooks, 200, { ...out, 'content-type': contentType }, body);
    ctx.res.writeHead(200, { ...out, 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    ctx.res.end(body);
  } else if (translator.response) {
    // A translated answer is one JSON document: read it whole (a non-streamed completion), map it, send it.
    // Scrubbed before it is read: an agent's error text (quoted in the client's error) may echo its key.
    const translated = translator.response(upstream.scrubber.text(await wholeBody(response)), request.requested, request);
    if (translated.usage) events.onUsage(translated.usage);
    else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(completionTextChars(Buffer.from(translated.body))));
    const body = upstream.scrubber.text(translated.body);
    const hooks = responseHooksOf(ctx);
    if (hooks) return sendWholeThroughHooks(ctx, hooks, 200, { ...out, ...agentHeaders(translated.headers, upstream.scrubber), 'content-type': 'application/json' }, body);
    ctx.res.writeHead(200, { ...out, ...agentHeaders(translated.headers, upstream.scrubber), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    ctx.res.end(body);
  } else {
    // The identity translators' answer: the upstream's bytes as they arrive. A JSON answer may echo
    // the key (a debug field, a prompt that quoted it); an image or audio answer is the model's bytes.
    const binary = ENDPOINTS[endpoint].binaryResponse === true;
    const scrubber = binary || !upstream.scrubber.active ? undefined : upstream.scrubber;
    const hooks = responseHooksOf(ctx);
    if (hooks && !binary) {
      // onResponse may read and change the body: the answer is read whole (only on requests with such hooks).
      const body = upstream.scrubber.text(await wholeBody(response));
      const usage = usageOfJson(body);
      if (usage) events.onUsage(usage);
      else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(completionTextChars(Buffer.from(body))));
      return sendWholeThroughHooks(ctx, hooks, 200, { ...out, 'content-type': contentType }, body);
    }
    // A binary answer (audio, an image): hooks see its status and headers, its bytes stream through.
    const answer = hooks ? await runResponseHooks(hooks, 200, { ...out, 'content-type': contentType }, undefined, false) : undefined;
    const head = answer?.headers ?? { ...out, 'content-type': contentType };
    await relayBody(ctx, response, events, !binary, head, contentLengthOf(response.headers['content-length']), scrubber, answer?.status);
  }
}

/** The id of a Response the backend keeps; undefined when the answer is not a Response with an id (then logged). */
function storedIdOf(body: string): string | undefined {
  try {
    return responseIdOf(JSON.parse(body));
  } catch {
    return undefined;
  }
}

/**
 * A body read whole before anything is sent: a break or a deadline while reading it is the upstream's failure
 * with nothing yet sent (502/504, charged to its breaker unless the client left: attempts.ts), never a 500.
 */
function wholeBody(response: UpstreamResponse): Promise<string> {
  return response.text().catch((e: unknown) => {
    throw new StreamFailedBeforeHead(e);
  });
}

/**
 * Headers an agent's answer gives the client (its conversation id), checked: a value that could not be sent back
 * as a request header (control characters, too long) is the agent's fault, a 502 before any byte.
 */
function agentHeaders(headers: Readonly<Record<string, string>> | undefined, scrubber: Scrubber): Readonly<Record<string, string>> | undefined {
  if (!headers) return undefined;
  for (const name in headers) {
    const value = headers[name];
    // Parsed out of the answer, where a JSON escape (`\u0073k-…`) hid the key from the scrub of its bytes: a value
    // that the scrub would change is refused like any other that cannot be sent back.
    if (!isConversationId(value) || scrubber.text(value) !== value) {
      throw Errors.upstreamUntranslatable(
        `its ${name} (${value.length} characters) is not printable ASCII without spaces, at most ${MAX_CONVERSATION_ID_CHARS} characters, free of credentials, so a client could not send it back`,
      );
    }
  }
  return headers;
}

/**
 * Whether a model name can be a response header value as it is. A `*` target sends the client's own
 * string, which may be 1 MiB long or hold control characters (Node refuses those in a header): then
 * the header names the configured entry instead.
 */
function headerSafe(name: string): boolean {
  return name.length <= LOG_TEXT_LIMIT && /^[\x20-\x7e]*$/.test(name);
}

/** The upstream's declared body length, when it is one number (so the client gets it too, and no chunked framing). */
function contentLengthOf(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
