/**
 * OpenAI's Responses API (`POST /v1/responses`) on every backend: native where the provider serves it
 * (OpenAI, Azure OpenAI: the client's bytes as they are), else composed with the backend's chat
 * translator: responses → chat, then whatever serves chat there (the identity translator of an
 * OpenAI-compatible backend, chat → messages on Anthropic, an agent's chat translator). One
 * composition, not a translator per backend: a backend that serves chat serves Responses clients.
 */
import { completionTextChars } from '../completion-text';
import { isResponseId } from '../endpoints';
import { GatewayError } from '../errors';
import { eventData } from '../sse';
import { responsesStreamUsage, usageOfJson } from '../usage';
import { ChatChunksToResponsesStream, chatResponseToResponses } from './chat-to-responses';
import { upstreamErrorMessage } from './error-message';
import { responsesEchoOf, responsesRequestToChat } from './responses-to-chat';
import { parseUpstreamJson, translated } from './translated';
import type { PayloadSource, PayloadTarget, StreamRelay, Translator } from './translator';

const CREATED_MARKER = Buffer.from('"response.created"');

/** The response id a stream's `response.created` event names (`{"type":"response.created","response":{"id":"resp_…",…}}`), when it is one. */
function createdResponseId(data: string): string | undefined {
  try {
    const event = JSON.parse(data) as { type?: unknown; response?: { id?: unknown } };
    const id = event.type === 'response.created' ? event.response?.id : undefined;
    return responseIdOf({ id });
  } catch {
    return undefined;
  }
}

/** The id of a whole Response (`{"id":"resp_…","object":"response",…}`), when it is one. */
export function responseIdOf(response: unknown): string | undefined {
  const id = response !== null && typeof response === 'object' ? (response as { id?: unknown }).id : undefined;
  return typeof id === 'string' && isResponseId(id) ? id : undefined;
}

/** The Responses API where the backend serves it: the client's bytes untouched unless the model name or the output limit must change. */
export const responsesNative: Translator = {
  upstreamEndpoint: 'responses',
  storesResponses: true,
  // `background` and `previous_response_id` were checked against the route and the caller (stored-responses.ts).
  payload: (request, bodyModel, adapter, target) => {
    const { body, raw } = request;
    const asked = body.max_output_tokens;
    // A declared output limit is never exceeded: a larger ask is lowered to it (a smaller one, or none, is the client's).
    const over = typeof asked === 'number' && target.maxOutputTokens !== undefined && asked > target.maxOutputTokens;
    if (raw && body.model === bodyModel && !adapter.extraBody && !over) return raw;
    return JSON.stringify({ ...body, ...adapter.extraBody, model: bodyModel, ...(over && { max_output_tokens: target.maxOutputTokens }) });
  },
  // No `response`: a non-streamed Response is relayed as it arrives, its top-level `usage` read on the way.
  stream: (_includeUsage, _model, _request, keep): StreamRelay => {
    const reader = responsesStreamUsage();
    /** Whether the stream's first event is still to be read for the response's id (only when the answer is kept). */
    let awaitingId = keep !== undefined;
    let pending: Promise<void> | undefined;
    return {
      push: (event) => {
        const data = eventData(event);
        if (data === undefined) return [event];
        if (awaitingId && data.includes('"response.created"')) {
          awaitingId = false;
          // Recorded before this event, which tells the client the id, goes out: a cancel sent on it finds the record.
          pending = keep!(createdResponseId(data));
        }
        reader.see(data);
        return [event];
      },
      usage: () => reader.usage(),
      hold: () => {
        const held = pending;
        pending = undefined;
        return held;
      },
      // The first event names a kept response, the closing one carries usage: every other passes as it is, undecoded.
      passesUnchanged: (chunk) => !reader.mayCarryUsage(chunk) && !(awaitingId && chunk.includes(CREATED_MARKER)),
    };
  },
  responseError: upstreamErrorMessage,
};

/** Chat fields a chat translator may refuse, as a Responses client wrote them. */
const RESPONSES_NAMES: readonly [chat: string, responses: string][] = [
  ['response_format', 'text.format'],
  ['max_completion_tokens', 'max_output_tokens'],
  ['reasoning_effort', 'reasoning.effort'],
];

/** A chat function tool's fields sit under `function`; a Responses tool's at its top (`tools[0].parameters`). */
const CHAT_TOOL_FIELD = /^(tools\[\d+\])\.function\./;

/**
 * A chat translator's 400 named in the Responses client's terms (`text.format.type`, not `response_format.type`;
 * `tools[0].parameters`, not `tools[0].function.parameters`). A message's index is the chat request's (its
 * `instructions` come first, consecutive items may merge): the message says which part of it.
 */
function inResponsesTerms(e: unknown): unknown {
  if (!(e instanceof GatewayError) || e.param === null) return e;
  const tool = CHAT_TOOL_FIELD.exec(e.param);
  if (tool) return new GatewayError(e.status, e.type, e.code, e.message.split(tool[0]).join(`${tool[1]}.`), e.param.replace(CHAT_TOOL_FIELD, '$1.'), e.headers);
  const renamed = RESPONSES_NAMES.find(([chat]) => e.param === chat || e.param!.startsWith(`${chat}.`));
  if (!renamed) return e;
  const [chat, responses] = renamed;
  return new GatewayError(e.status, e.type, e.code, e.message.split(chat).join(responses), `${responses}${e.param.slice(chat.length)}`, e.headers);
}

export interface ResponsesThroughOptions {
  /** The chat translator's upstream names its text as completionTextChars reads it (chat, Anthropic; not an agent's). @default false */
  readonly upstreamTextReadable?: boolean;
  /** Adjusts the chat request for the backend before the chat translator sees it (reasoning fields per provider). */
  readonly adaptChat?: (chat: Record<string, unknown>, servedModel: string, target: PayloadTarget) => void;
}

/** The chat request a Responses request becomes, as the chat translator reads it. */
function chatSourceOf(request: PayloadSource, servedModel: string): PayloadSource {
  const body = translated(() => responsesRequestToChat(request.body, servedModel)) as unknown as Record<string, unknown>;
  return { body, stream: request.stream, agentCall: request.agentCall };
}

/**
 * A Responses client served by a backend's chat translator: the request becomes chat completions, the
 * chat answer (or stream) a Response (or its typed `response.*` events).
 */
export function responsesThrough(chat: Translator, options: ResponsesThroughOptions = {}): Translator {
  const chatResponse = chat.response;
  return {
    upstreamEndpoint: chat.upstreamEndpoint,
    answersWhole: chat.answersWhole,
    payload: (request, servedModel, adapter, target) => {
      try {
        const source = chatSourceOf(request, servedModel);
        options.adaptChat?.(source.body, servedModel, target);
        return chat.payload(source, servedModel, adapter, target);
      } catch (e) {
        throw inResponsesTerms(e);
      }
    },
    ...(chat.upstreamHeaders && { upstreamHeaders: chat.upstreamHeaders }),
    response: (text, requestedModel, request) => {
      // The chat answer: the backend's own (an identity translator reads none) or the chat translator's.
      const inner = chatResponse ? chatResponse(text, requestedModel, request) : { body: text, usage: usageOfJson(text) };
      const body = translated(() => chatResponseToResponses(parseUpstreamJson(inner.body), requestedModel, responsesEchoOf(request.body)));
      return { body: JSON.stringify(body), usage: inner.usage, headers: inner.headers };
    },
    stream: (_includeUsage, requestedModel, request): StreamRelay => {
      // The chat relay keeps its usage chunk (asked for always): the Response's usage is read from it.
      const inner = chat.stream(true, requestedModel, request);
      const out = new ChatChunksToResponsesStream(requestedModel, responsesEchoOf(request.body));
      // An upstream whose text the relay cannot read (an agent's): its chat chunks are counted here, once, since the
      // Responses frames repeat the text (`.done` events, the final Response).
      const countsChat = options.upstreamTextReadable !== true;
      let chatChars = 0;
      return {
        deferHead: inner.deferHead,
        push: (event) => {
          const frames: string[] = [];
          for (const chunk of inner.push(event)) {
            if (countsChat) chatChars += completionTextChars(Buffer.from(chunk));
            for (const frame of translated(() => out.pushEvent(chunk))) frames.push(frame);
          }
          return frames;
        },
        usage: () => inner.usage() ?? out.usage(),
        ...(countsChat ? { relayedTextChars: () => chatChars } : { countsUpstreamText: true }),
        ...(inner.headers && { headers: inner.headers }),
        failure: () => inner.failure?.() ?? out.failure(),
      };
    },
    responseError: chat.responseError,
  };
}
