import type { RequestContext } from '../request-context';
import type { CompiledMcpRoute } from './compile';
import type { JsonRpcId } from './jsonrpc';
import { OTHER, toolLabel } from './tools';
import type { PipelineDeps } from '../stages/stage';

/**
 * The accounting of one POST's JSON-RPC messages: each request is opened when it arrives and finished
 * by its answer (whoever gives it: the upstream, the gateway's own refusal, the local tool backend);
 * on the response's 'close' every message becomes one access line and its metrics. Label values come
 * from fixed sets: the method from MCP_METHODS (else `other`), the tool from the config (tools.ts), the
 * result from CallResult. The arguments are never logged.
 */
export type CallResult = 'ok' | 'error' | 'tool_error' | 'denied' | 'limited' | 'invalid' | 'upstream_failed' | 'unanswered' | 'aborted';

/** The MCP methods a client sends (2025-03-26 … 2026-07-28), plus `response` for its answers to server requests. */
const MCP_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'server/discover',
  'subscriptions/listen',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'notifications/tasks/status',
  'response',
]);

/** Longest method or tool name an access line carries (the client's strings, bounded). */
const MAX_LOGGED = 128;

interface Call {
  readonly method: string;
  readonly tool: string | undefined;
  readonly startedAt: bigint;
  result?: CallResult;
  rpcCode?: number;
  durationMs?: number;
}

export class CallLog {
  private readonly calls: Call[] = [];
  private readonly open = new Map<JsonRpcId, Call>();
  /** Work the access lines wait for (see hold), and whether the response has closed. */
  private holds = 0;
  private closed = false;

  public constructor(
    private readonly ctx: RequestContext,
    private readonly route: CompiledMcpRoute,
    private readonly consumer: string,
    private readonly deps: PipelineDeps,
  ) {
    ctx.res.once('close', () => {
      this.closed = true;
      if (this.holds === 0) this.flush();
    });
  }

  /**
   * Keeps the access lines back until `work` settles: on the legacy HTTP+SSE transport the POST is
   * answered 202 at once, and its answer goes onto the stream later.
   */
  public hold(work: Promise<unknown>): void {
    this.holds++;
    const settled = (): void => {
      if (--this.holds === 0 && this.closed) this.flush();
    };
    work.then(settled, settled);
  }

  /** A request: open until its answer is seen. */
  public request(id: JsonRpcId, method: string, tool?: string): void {
    const call: Call = { method, tool, startedAt: process.hrtime.bigint() };
    this.calls.push(call);
    this.open.set(id, call);
  }

  /** A message that gets no answer of its own (a notification, the client's response), or one refused at once. */
  public done(method: string, result: CallResult, tool?: string, rpcCode?: number): void {
    this.calls.push({ method, tool, startedAt: process.hrtime.bigint(), result, rpcCode, durationMs: 0 });
  }

  public isOpen(id: JsonRpcId | null): boolean {
    return id !== null && this.open.has(id);
  }

  /** The method of an open request (to know a `tools/list` answer from any other). */
  public methodOf(id: JsonRpcId | null): string | undefined {
    return id === null ? undefined : this.open.get(id)?.method;
  }

  /** The answer to an open request, as the client gets it: its result says how the call went. */
  public answered(id: JsonRpcId | null, response: Record<string, unknown>): void {
    const error = response.error as { code?: unknown } | undefined;
    const isError = (response.result as { isError?: unknown } | undefined)?.isError === true;
    this.finish(id, error ? 'error' : isError ? 'tool_error' : 'ok', typeof error?.code === 'number' ? error.code : undefined);
  }

  public finish(id: JsonRpcId | null, result: CallResult, rpcCode?: number): void {
    if (id === null) return;
    const call = this.open.get(id);
    if (!call) return;
    this.open.delete(id);
    call.result = result;
    call.rpcCode = rpcCode;
    call.durationMs = Number(process.hrtime.bigint() - call.startedAt) / 1e6;
  }

  /** The requests still waiting for an answer. */
  public pending(): JsonRpcId[] {
    return [...this.open.keys()];
  }

  private flush(): void {
    const { route, deps, ctx } = this;
    const server = route.name;
    // Left open: the client went away first, or the stream ended without the answer.
    const leftOpen: CallResult = ctx.res.writableFinished ? 'unanswered' : 'aborted';
    for (const call of this.calls) {
      const result = call.result ?? leftOpen;
      const durationMs = call.durationMs ?? Number(process.hrtime.bigint() - call.startedAt) / 1e6;
      const method = MCP_METHODS.has(call.method) ? call.method : OTHER;
      deps.metrics.mcpRequests.inc({ server, method, result });
      if (call.method === 'tools/call') {
        const tool = toolLabel(route, call.tool);
        deps.metrics.mcpToolCalls.inc({ server, tool, result });
        deps.metrics.mcpToolCallDuration.observe({ server, tool }, durationMs / 1000);
      }
      deps.logger.info(
        {
          server,
          method: call.method.slice(0, MAX_LOGGED),
          ...(call.tool !== undefined && { tool: call.tool.slice(0, MAX_LOGGED) }),
          consumer: this.consumer,
          result,
          ...(call.rpcCode !== undefined && { rpcCode: call.rpcCode }),
          status: ctx.res.statusCode,
          durationMs: Number(durationMs.toFixed(3)),
        },
        'mcp call',
      );
    }
    this.calls.length = 0;
    this.open.clear();
  }
}
