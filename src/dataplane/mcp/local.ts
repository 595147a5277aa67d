import { sendJson } from './answer';
import type { CallLog } from './calls';
import type { CompiledMcpLocal } from './compile';
import type { Exchange, SessionExchange } from './front';
import { errorResponse, type JsonRpcMessage, resultResponse, RpcErrors } from './jsonrpc';
import { negotiate } from './protocol';
import { localToolResult } from '../extensions/tools';

type Request = Extract<JsonRpcMessage, { kind: 'request' }>;

/**
 * An HTTP-to-MCP server: the gateway is the MCP server. It answers initialize, ping, tools/list and
 * tools/call (through the server's McpToolBackend, which calls the declared HTTP API), and -32601 to
 * anything else. Answers are JSON: there is no server-to-client traffic, so no stream is needed.
 */
export const serveLocal = {
  initialize(x: Exchange, message: Request, calls: CallLog): void {
    const route = x.route as CompiledMcpLocal;
    const version = negotiate(message.params?.protocolVersion);
    const issuedAt = Math.floor(Date.now() / 1000);
    const token = x.ctx.snapshot.mcpSessions.seal({ server: route.name, consumer: x.consumer.name, version, upstream: undefined, issuedAt });
    x.deps.metrics.mcpSessionsActive.inc({ server: route.name });
    const answer = initializeResult(x, message, version);
    calls.answered(message.id, answer);
    sendJson(x.ctx, 200, answer, { 'mcp-session-id': token });
  },

  async messages(
    s: SessionExchange,
    forward: readonly JsonRpcMessage[],
    answered: readonly Record<string, unknown>[],
    batch: boolean,
    calls: CallLog,
  ): Promise<void> {
    const answers = [...answered];
    for (const m of forward) {
      if (m.kind === 'request') {
        const answer = await answerRequest(s, m);
        calls.answered(m.id, answer);
        answers.push(answer);
      } else {
        // Notifications (initialized, cancelled…) and responses need nothing from a server without requests of its own.
        calls.done(m.kind === 'response' ? 'response' : m.method, 'ok');
      }
    }
    const headers = { 'mcp-session-id': String(s.ctx.req.headers['mcp-session-id']) };
    if (answers.length === 0) {
      s.ctx.res.writeHead(202, headers).end();
      return;
    }
    sendJson(s.ctx, 200, batch ? answers : answers[0], headers);
  },
};

/** What the gateway answers an HTTP-to-MCP server's initialize: its tools, nothing else, and the server's name. */
export function initializeResult(x: Exchange, message: Request, version: string): Record<string, unknown> {
  return resultResponse(message.id, {
    protocolVersion: version,
    capabilities: { tools: { listChanged: false } },
    serverInfo: { name: x.route.name, version: '1.0.0' },
  });
}

/** The answer to one request of a session (initialize excepted), or of the stateless revision (stateless.ts). */
export async function answerRequest(s: Exchange, m: Request): Promise<Record<string, unknown>> {
  const route = s.route as CompiledMcpLocal;
  switch (m.method) {
    case 'ping':
      return resultResponse(m.id, {});
    case 'tools/list':
      return resultResponse(m.id, { tools: route.backend.tools.filter((t) => s.may(t.name)) });
    case 'tools/call': {
      // The front checked the name against the grants and the declared tools.
      const args = m.params?.arguments ?? {};
      if (args === null || typeof args !== 'object' || Array.isArray(args)) return errorResponse(m.id, RpcErrors.invalidParams("'params.arguments' must be an object"));
      let answer: Record<string, unknown>;
      try {
        answer = resultResponse(m.id, await route.backend.call(m.params!.name as string, args as Record<string, unknown>, s.ctx.cancellation.signal));
      } catch (e) {
        // The backend rejects only when the client left: nobody reads this.
        return errorResponse(m.id, RpcErrors.upstreamFailed(route.name, (e as Error).message ?? 'cancelled'));
      }
      // The extensions' onToolResult (extensions/tools.ts), when the config has such hooks.
      return s.ctx.snapshot.extensions.onToolResult.length === 0 ? answer : localToolResult(s, m, answer);
    }
    default:
      return errorResponse(m.id, RpcErrors.methodNotFound(m.method, route.name));
  }
}
