import type { CallLog } from './calls';
import type { Exchange } from './front';
import { errorResponse, type JsonRpcMessage, RpcErrors } from './jsonrpc';
import { admitLimited, planFor } from './limits';
import { throughToolCallHooks } from '../extensions/tools';

/**
 * The gateway's own decision on one client request before it goes anywhere (the upstream, or the local
 * tool backend), the same on every transport: undefined to go on, its accounting opened in `calls`; or
 * the error answer the client gets instead, accounted as refused. A tool the caller may not use is
 * answered here as if it did not exist, and never forwarded. Then the server's rate limits (limits.ts):
 * a request they count is a promise (the store is asked); any other is decided synchronously. A refused
 * request, by grant or by limit, takes nothing from any budget. Notifications and the client's answers pass.
 * Between the two, an allowed tools/call goes through the extensions' onToolCall, which may change its arguments
 * or answer it (extensions/tools.ts).
 */
export function admitMessage(
  x: Exchange,
  m: JsonRpcMessage,
  calls: CallLog,
): Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined> {
  if (m.kind !== 'request') return undefined;
  let tool: string | undefined;
  if (m.method === 'tools/call') {
    const name = m.params?.name;
    if (typeof name !== 'string') {
      const error = RpcErrors.invalidParams(
        "'params.name' must be the name of the tool to call",
      );
      calls.done('tools/call', 'invalid', undefined, error.code);
      return errorResponse(m.id, error);
    }
    if (
      !x.may(name) ||
      (x.route.server === 'local' && !x.route.toolLabels.has(name))
    ) {
      const error = RpcErrors.toolNotAvailable(
        name,
        x.route.name,
        x.consumer.name,
      );
      calls.done('tools/call', 'denied', name, error.code);
      return errorResponse(m.id, error);
    }
    tool = name;
    // The extensions' onToolCall (extensions/tools.ts): after the grants, before the limits (a refused call takes nothing from them).
    const hooks = x.ctx.snapshot.extensions;
    if (hooks.onToolCall.length > 0 || hooks.onToolResult.length > 0) {
      return throughToolCallHooks(x, m, name, calls, () => admitted(x, m, calls, name));
    }
  }
  return admitted(x, m, calls, tool);
}

/** The rate limits, then the request's accounting opened. */
function admitted(
  x: Exchange,
  m: Extract<JsonRpcMessage, { kind: 'request' }>,
  calls: CallLog,
  tool: string | undefined,
): Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined> {
  const limits = x.route.requestLimits;
  const plan = planFor(limits, m, tool);
  if (plan) return admitLimited(x, m, calls, limits!, plan, tool);
  calls.request(m.id, m.method, tool);
  return undefined;
}
