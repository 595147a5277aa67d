import type { JsonObject, Responded, ToolCall } from '../../extensions';
import { GatewayError } from '../errors';
import type { CompiledExtension } from './compile';
import { runHook } from './runner';
import type { CallLog } from '../mcp/calls';
import type { Exchange } from '../mcp/front';
import { errorResponse, type JsonRpcId, type JsonRpcMessage, type JsonRpcError, resultResponse, RPC_CODES, RpcErrors } from '../mcp/jsonrpc';

type Request = Extract<JsonRpcMessage, { kind: 'request' }>;
type Answer = Record<string, unknown>;
/** The admission's outcome: undefined to go on, or the answer the client gets instead. */
type Admission = Answer | undefined | Promise<Answer | undefined>;

/**
 * onToolCall and onToolResult: the hooks of an MCP server's `tools/call`, on every transport and kind of server.
 * The admission (mcp/admit.ts) runs onToolCall once the grants and `allowTools` let the call through (a hook
 * never sees a call the consumer may not make), before the rate limits (a refused call takes nothing from them):
 * the hooks may change the arguments in place or replace them (what is forwarded: the gateway serializes the
 * message it checked anyway), or refuse the call, which the gateway then answers with a tool error. The relay
 * (mcp/relay.ts) and the HTTP-to-MCP answer (mcp/local.ts) run onToolResult over each answer to a tools/call
 * before the client gets it. A hook failing under a closed policy fails that call alone, with a JSON-RPC error
 * naming the extension: the other calls of the message, and the session, go on. Neither arguments nor results
 * are ever logged.
 */

/** The arguments the client sent, by the `params` of tools/calls whose arguments the onToolCall hooks changed (in place or replaced). */
const SENT_ARGUMENTS = new WeakMap<object, Record<string, unknown>>();

/**
 * The arguments the client sent in this tools/call, when onToolCall hooks changed them (undefined otherwise): the
 * 2026-07-28 revision's proxy rebuilds the client's `Mcp-Param-*` headers, which mirror arguments, from the new ones.
 */
export function argumentsBeforeHooks(params: object | undefined): Record<string, unknown> | undefined {
  return params === undefined ? undefined : SENT_ARGUMENTS.get(params);
}

/** Where a proxied call's hooks left it, by CallLog (one per POST), until its answer comes back through the relay. */
const OPEN_CALLS = new WeakMap<CallLog, Map<JsonRpcId, ToolCall>>();

/**
 * One admitted tools/call through the onToolCall hooks, in order; then `next` (the rest of the admission) unless
 * they refused it or one failed: the answer the client gets instead, accounted in `calls`. Synchronous when every
 * hook is.
 */
export function throughToolCallHooks(
  x: Exchange,
  m: Request,
  tool: string,
  calls: CallLog,
  next: () => Admission,
): Admission {
  const state = x.ctx.extensions;
  if (!state) return next();
  const params = m.params!;
  const given = params.arguments;
  if (given !== undefined && !isObject(given)) {
    // The hooks would see other arguments than the upstream gets: refused, as an MCP server refuses them.
    const error = RpcErrors.invalidParams("'params.arguments' must be an object");
    calls.done('tools/call', 'invalid', tool, error.code);
    return errorResponse(m.id, error);
  }
  const call: ToolCall = { server: x.route.name, tool, arguments: given ?? {} };
  // What the client sent, to tell whether the hooks changed it (in place included).
  const sent = JSON.stringify(call.arguments);
  const hooks = state.compiled.onToolCall;
  let refusal: string | undefined;
  const request = state.request;

  /** After hook `ext`: the answer that ends the call here (refused, or its arguments no longer an object), or undefined to go on. */
  const checked = (ext: CompiledExtension): Answer | undefined => {
    if (refusal !== undefined) {
      calls.done('tools/call', 'denied', tool);
      return resultResponse(m.id, { content: [{ type: 'text', text: refusal }], isError: true });
    }
    if (!isObject(call.arguments)) {
      const error = notAnObject(ext.name, 'arguments');
      state.logger.error({ extension: ext.name, hook: 'onToolCall', server: x.route.name }, "an extension replaced a tool call's arguments with something that is not a JSON object");
      calls.done('tools/call', 'error', tool, error.code);
      return errorResponse(m.id, error);
    }
    return undefined;
  };
  const failed = (e: unknown): Answer => {
    if (!(e instanceof GatewayError)) throw e;
    const error = extensionError(e);
    calls.done('tools/call', 'error', tool, error.code);
    return errorResponse(m.id, error);
  };
  const admitted = (): Admission => {
    // Sent as the hooks left them: in place in the checked message, which every transport serializes to forward.
    if (call.arguments !== given && (given !== undefined || Object.keys(call.arguments).length > 0)) params.arguments = call.arguments;
    if (JSON.stringify(call.arguments) !== sent) SENT_ARGUMENTS.set(params, JSON.parse(sent) as Record<string, unknown>);
    if (x.route.server === 'proxy' && state.compiled.onToolResult.length > 0) openCalls(calls).set(m.id, call);
    return next();
  };
  const step = (i: number): Admission => {
    for (; i < hooks.length; i++) {
      const ext = hooks[i]!;
      const onToolCall = ext.definition.onToolCall!;
      let result: unknown;
      try {
        result = runHook(state, ext, 'onToolCall', (hook) => {
          const refuse = (message: string): Responded => {
            if (hook.ended) state.logger.warn({ extension: ext.name }, 'an extension refused a tool call after its onToolCall call had ended (over its time budget): ignored');
            else refusal ??= String(message);
            return { status: 200 };
          };
          return onToolCall.call(ext.definition, state.context(ext, hook, { request, call, refuse }));
        });
      } catch (e) {
        return failed(e);
      }
      if (result instanceof Promise) {
        const following = i + 1;
        return result.then(() => checked(ext) ?? step(following), failed);
      }
      const answer = checked(ext);
      if (answer) return answer;
    }
    return admitted();
  };
  return step(0);
}

/**
 * A proxied upstream's message (one, or a batch's array) with its answers to tools/calls through onToolResult:
 * the message itself when no hook changed anything, else the message to send instead (re-serialized by the
 * caller). Synchronous unless a hook is async; only answers to this POST's open calls are looked at.
 */
export function toolResultsOf(x: Exchange, calls: CallLog, message: unknown): unknown {
  if (Array.isArray(message)) {
    const each = message.map((m) => toolResultsOf(x, calls, m));
    if (each.some((m) => m instanceof Promise)) return Promise.all(each).then((out) => (out.every((m, i) => m === message[i]) ? message : out));
    return each.every((m, i) => m === message[i]) ? message : each;
  }
  if (!isObject(message) || 'method' in message || !('result' in message || 'error' in message)) return message;
  const id = message.id;
  const open = OPEN_CALLS.get(calls);
  if (open && (typeof id === 'string' || typeof id === 'number')) {
    const call = open.get(id);
    if (call && calls.isOpen(id)) {
      open.delete(id);
      return runToolResultHooks(x, call, message);
    }
  }
  // A tool result this exchange did not ask for: on a resumed stream (Last-Event-ID) or a GET stream (an upstream that
  // closed the POST's stream and answers on the next one), or a task's result. The call is not known here (another
  // POST, maybe another replica): the hooks still see the result, with the tool unnamed. Only a tool result has a
  // `content` array (resources/read has `contents`, prompts/get `messages`).
  if (isObject(message.result) && Array.isArray(message.result.content)) return runToolResultHooks(x, { server: x.route.name, tool: '', arguments: {} }, message);
  return message;
}

/** An HTTP-to-MCP server's answer to a tools/call (mcp/local.ts), through onToolResult. */
export function localToolResult(x: Exchange, m: Request, answer: Answer): Answer | Promise<Answer> {
  const args = m.params?.arguments;
  return runToolResultHooks(x, { server: x.route.name, tool: m.params!.name as string, arguments: isObject(args) ? args : {} }, answer);
}

/**
 * onToolResult over one answer, in order: each hook sees the result as the one before left it (undefined for a
 * JSON-RPC error: changing it then changes nothing). The answer is rebuilt only when its result changed; a hook
 * failing under a closed policy turns it into that failure's JSON-RPC error, and no later hook runs.
 */
function runToolResultHooks(x: Exchange, call: ToolCall, answer: Answer): Answer | Promise<Answer> {
  const state = x.ctx.extensions;
  if (!state) return answer;
  const hooks = state.compiled.onToolResult;
  const original = isObject(answer.result) ? (answer.result as JsonObject) : undefined;
  // What the result was, to tell a change made in place from none (compared once, after the hooks).
  const before = original === undefined ? undefined : JSON.stringify(original);
  let result = original;
  const seen: Readonly<ToolCall> = Object.freeze({ ...call });
  const request = state.request;

  const failed = (e: unknown): Answer => {
    if (!(e instanceof GatewayError)) throw e;
    return errorResponse(answer.id as JsonRpcId, extensionError(e));
  };
  const done = (): Answer => (result === original && JSON.stringify(result) === before ? answer : { ...answer, result });
  /** What hook `ext` left in its context's `result`, for the next one; the answer that ends here when it is not an object. */
  const adopt = (ext: CompiledExtension, context: { result: JsonObject | undefined } | undefined): Answer | undefined => {
    if (!context || original === undefined) return undefined;
    if (isObject(context.result)) {
      result = context.result;
      return undefined;
    }
    state.logger.error({ extension: ext.name, hook: 'onToolResult', server: x.route.name }, "an extension replaced a tool call's result with something that is not a JSON object");
    return errorResponse(answer.id as JsonRpcId, notAnObject(ext.name, 'result'));
  };
  const step = (i: number): Answer | Promise<Answer> => {
    for (; i < hooks.length; i++) {
      const ext = hooks[i]!;
      const onToolResult = ext.definition.onToolResult!;
      let context: { result: JsonObject | undefined } | undefined;
      let outcome: unknown;
      try {
        outcome = runHook(state, ext, 'onToolResult', (hook) => onToolResult.call(ext.definition, (context = state.context(ext, hook, { request, call: seen, result }))));
      } catch (e) {
        return failed(e);
      }
      // The context is the hook's own: what it left in `result` is what the next one sees.
      if (outcome instanceof Promise) {
        const next = i + 1;
        return outcome.then(() => adopt(ext, context) ?? step(next), failed);
      }
      const broken = adopt(ext, context);
      if (broken) return broken;
    }
    return done();
  };
  return step(0);
}

function openCalls(calls: CallLog): Map<JsonRpcId, ToolCall> {
  let open = OPEN_CALLS.get(calls);
  if (!open) OPEN_CALLS.set(calls, (open = new Map()));
  return open;
}

/** A closed hook's failure as that call's JSON-RPC error: the catalog's message, naming the extension and the hook (never the arguments). */
function extensionError(e: GatewayError): JsonRpcError {
  return { code: RPC_CODES.internalError, message: e.message };
}

function notAnObject(extension: string, what: 'arguments' | 'result'): JsonRpcError {
  return {
    code: RPC_CODES.internalError,
    message: `Extension '${extension}' replaced the tool call's ${what} with something that is not a JSON object, so the call was not served. The gateway's owner must fix the extension.`,
  };
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
