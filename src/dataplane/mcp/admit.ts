import type { CallLog } from './calls';
import type { Exchange } from './front';
import { errorResponse, type JsonRpcMessage, RpcErrors } from './jsonrpc';

/**
 * The gateway's own decision on one client request before it goes anywhere (the upstream, or the local
 * tool backend), the same on every transport: undefined to go on, its accounting opened in `calls`; or
 * the error answer the client gets instead, accounted as refused. A tool the caller may not use is
 * answered here as if it did not exist, and never forwarded. Notifications and the client's answers pass.
 */
export function admitMessage(
  x: Exchange,
  m: JsonRpcMessage,
  calls: CallLog,
): Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined> {
  if (m.kind !== 'request') return undefined;
  if (m.method !== 'tools/call') {
    calls.request(m.id, m.method);
    return undefined;
  }
  const tool = m.params?.name;
  if (typeof tool !== 'string') {
    const error = RpcErrors.invalidParams(
      "'params.name' must be the name of the tool to call",
    );
    calls.done('tools/call', 'invalid', undefined, error.code);
    return errorResponse(m.id, error);
  }
  if (
    !x.may(tool) ||
    (x.route.server === 'local' && !x.route.toolLabels.has(tool))
  ) {
    const error = RpcErrors.toolNotAvailable(
      tool,
      x.route.name,
      x.consumer.name,
    );
    calls.done('tools/call', 'denied', tool, error.code);
    return errorResponse(m.id, error);
  }
  calls.request(m.id, m.method, tool);
  return undefined;
}
