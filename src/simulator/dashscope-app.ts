/**
 * Model Studio's application API (DashScope, `POST /api/v1/apps/{app_id}/completion`) as Alibaba Cloud
 * documents it: the blocking answer, the SSE stream (`id:N`, `event:result`, `:HTTP_STATUS/200`,
 * `data:{…}`; `finish_reason` `"null"` until the last event's `"stop"`; with `incremental_output` each
 * event carries only the new text, else all the text so far), its error body, and the sessions it
 * keeps. Pure builders plus one in-memory store; the HTTP side is dashscope-app-handler.ts.
 */
import { randomUUID } from 'node:crypto';
import { BoundedStore, echoOf } from './agent-triggers';
import { estimateTokens, isRecord, splitIntoPieces, textOf } from './responses';

/** The model every simulated application reports in `usage.models`. */
export const DASHSCOPE_APP_MODEL = 'qwen-plus';

/** DashScope's error body; in a stream, the `data:` of an `event:error`. */
export type DashScopeErrorBody = {
  readonly code: string;
  readonly message: string;
  readonly request_id: string;
};

export function dashScopeErrorBody(code: string, message: string, requestId: string): DashScopeErrorBody {
  return { code, message, request_id: requestId };
}

/** The body for an injected fault with this status, in DashScope's shape. */
export function dashScopeFaultError(status: number, overrides: { message?: string; code?: string | null }, requestId: string): DashScopeErrorBody {
  const [code, message] = status === 401 ? ['InvalidApiKey', 'Invalid API-key provided.']
    : status === 403 ? ['AccessDenied', 'Access denied.']
      : status === 404 ? ['ModelNotFound', 'The application does not exist.']
        : status === 429 ? ['Throttling.RateQuota', 'Requests rate limit exceeded, please try again later.']
          : status >= 500 ? ['InternalError', 'An internal error has occured, please try again later or contact service support.']
            : ['InvalidParameter', `Simulated error (HTTP ${status}).`];
  return dashScopeErrorBody(overrides.code ?? code, overrides.message ?? message, requestId);
}

/** What an `[[error]]` or `[[error-first]]` trigger answers with (HTTP 400, or an `event:error` in a stream). */
export const SIMULATED_APP_ERROR = { status: 400, code: 'InvalidParameter', message: '[sim] The application failed: the prompt asked for [[error]].' } as const;

/** One session: how many turns it has had. */
interface Session {
  turns: number;
}

/** Sessions by id. An unknown `session_id` starts a session under that id (DashScope expires sessions silently). */
export class DashScopeSessions {
  private readonly sessions = new BoundedStore<Session>();

  /**
   * The turn this call is (1 for a new session) and the session id to answer with. Only a `counted` call
   * (one that succeeds) becomes part of the session.
   */
  public nextTurn(sessionId: string | undefined, counted: boolean): { sessionId: string; turn: number } {
    const id = sessionId ?? randomUUID().replace(/-/g, '');
    const session = this.sessions.get(id) ?? { turns: 0 };
    if (counted) this.sessions.set(id, { turns: session.turns + 1 });
    return { sessionId: id, turn: session.turns + 1 };
  }
}

/** What the application received, in the form its answer reports. */
export interface AppInput {
  readonly appId: string;
  /** The prompt, or the last user message's text when `messages` came. */
  readonly prompt: string;
  /** How many `messages` came (0: none, the prompt was used). */
  readonly messageCount: number;
  readonly bizParams?: Record<string, unknown>;
  /** Every text the app read, for the token count. */
  readonly promptTexts: readonly string[];
}

/**
 * The input of a request, or the `InvalidParameter` message when it has neither a prompt nor messages.
 * `messages` win over `prompt`, as DashScope documents.
 */
export function appInputOf(appId: string, input: Record<string, unknown>): AppInput | string {
  const bizParams = isRecord(input.biz_params) ? input.biz_params : undefined;
  if (input.messages !== undefined) {
    if (!Array.isArray(input.messages) || input.messages.length === 0 || !input.messages.every(isRecord)) {
      return 'input.messages must be a non-empty array of {role, content} objects.';
    }
    const messages = input.messages as Record<string, unknown>[];
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    return {
      appId, prompt: lastUser ? textOf(lastUser.content) : '', messageCount: messages.length, bizParams, promptTexts: messages.map((m) => textOf(m.content)),
    };
  }
  if (typeof input.prompt !== 'string' || input.prompt === '') return 'Either input.prompt or input.messages must be provided.';
  return { appId, prompt: input.prompt, messageCount: 0, bizParams, promptTexts: [input.prompt] };
}

/** `App <app_id> heard "<prompt>" (turn <n>)`, plus how many messages came and the `biz_params`. */
export function appAnswerText(input: AppInput, turn: number): string {
  const messages = input.messageCount > 0 ? `, ${input.messageCount} messages` : '';
  const biz = input.bizParams !== undefined ? ` with biz_params ${JSON.stringify(input.bizParams)}` : '';
  return `App ${input.appId} heard "${echoOf(input.prompt)}" (turn ${turn}${messages})${biz}`;
}

export interface AppReply {
  readonly text: string;
  readonly sessionId: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** `parameters.has_thoughts`: the app's reasoning, in `output.thoughts`. */
  readonly thoughts?: readonly Record<string, unknown>[];
}

export function appReply(input: AppInput, sessionId: string, turn: number, hasThoughts: boolean): AppReply {
  const text = appAnswerText(input, turn);
  return {
    text,
    sessionId,
    inputTokens: estimateTokens(input.promptTexts),
    outputTokens: estimateTokens([text]),
    thoughts: hasThoughts ? [{ thought: `Thinking about "${echoOf(input.prompt)}"`, action_type: 'response', response: text }] : undefined,
  };
}

function usage(reply: AppReply, outputTokens: number): Record<string, unknown> {
  return { models: [{ model_id: DASHSCOPE_APP_MODEL, input_tokens: reply.inputTokens, output_tokens: outputTokens }] };
}

/** The blocking answer. */
export function blockingAppAnswer(reply: AppReply, requestId: string): Record<string, unknown> {
  return {
    output: {
      text: reply.text, finish_reason: 'stop', session_id: reply.sessionId, ...(reply.thoughts ? { thoughts: reply.thoughts } : {}), doc_references: null,
    },
    usage: usage(reply, reply.outputTokens),
    request_id: requestId,
  };
}

/** One DashScope SSE event, exactly as DashScope writes it (no space after the colons). */
export function dashScopeFrame(id: number, event: 'result' | 'error', status: number, data: Record<string, unknown>): string {
  return `id:${id}\nevent:${event}\n:HTTP_STATUS/${status}\ndata:${JSON.stringify(data)}\n\n`;
}

export interface AppStreamShape {
  readonly pieces: number;
  readonly incremental: boolean;
  readonly error: boolean;
  readonly errorFirst: boolean;
}

/**
 * The stream: one `result` event per piece of the answer (`finish_reason: "null"`), then a last one with
 * `"stop"` (no new text: `""` when incremental, the whole text otherwise). Each event's usage is the
 * running total so far, as DashScope reports it. `error`: two pieces, then `event:error`; `errorFirst`:
 * the `event:error` alone.
 */
export function appStream(reply: AppReply, requestId: string, shape: AppStreamShape): string[] {
  const errorFrame = (id: number) => dashScopeFrame(id, 'error', SIMULATED_APP_ERROR.status, dashScopeErrorBody(SIMULATED_APP_ERROR.code, SIMULATED_APP_ERROR.message, requestId));
  if (shape.errorFirst) return [errorFrame(1)];
  const pieces = splitIntoPieces(reply.text, shape.pieces).filter((piece) => piece !== '');
  const frames: string[] = [];
  let sent = '';
  const result = (text: string, finish: 'null' | 'stop') => {
    const data = {
      output: {
        session_id: reply.sessionId, finish_reason: finish, text, ...(reply.thoughts && frames.length === 0 ? { thoughts: reply.thoughts } : {}),
      },
      usage: usage(reply, finish === 'stop' ? reply.outputTokens : estimateTokens([sent])),
      request_id: requestId,
    };
    frames.push(dashScopeFrame(frames.length + 1, 'result', 200, data));
  };
  for (const piece of shape.error ? pieces.slice(0, 2) : pieces) {
    sent += piece;
    result(shape.incremental ? piece : sent, 'null');
  }
  if (shape.error) frames.push(errorFrame(frames.length + 1));
  else result(shape.incremental ? '' : sent, 'stop');
  return frames;
}
