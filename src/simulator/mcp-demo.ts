/**
 * A small MCP server over Streamable HTTP, with the demo tools `echo`, `add` and `time`: what
 * `aigw dev` points MCP proxy upstreams at. Written without the MCP SDK (a dev dependency only:
 * the CLI runs from the published package), as a third-party server would be, to the spec's
 * letter: initialize and version negotiation, notifications, ping, tools/list, tools/call, and
 * sessions by `Mcp-Session-Id`. It serves MCP at every path, since the path is whatever the
 * proxied server's URL names. It offers no server-initiated stream (GET is 405, as the spec allows)
 * and always answers a POST with one JSON body, never SSE.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { closeServer, listenOn } from './http-listener';
import { callDemoTool, demoToolList } from './mcp-demo-tools';

/** Newest first: `initialize` answers the client's version when it is one of these, else the newest. */
const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
/** JSON-RPC batches exist in this revision only (2025-06-18 removed them). */
const BATCH_VERSION = '2025-03-26';
const MAX_BODY_BYTES = 1024 * 1024;
/** A bound on the sessions kept: past it the oldest is forgotten (its client gets 404 and initializes again). */
const MAX_SESSIONS = 10_000;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;

type Id = string | number;
type JsonRpcMessage = { jsonrpc: '2.0'; id?: Id; method?: string; params?: unknown; result?: unknown; error?: unknown };

interface Session {
  readonly protocolVersion: string;
}

/** An HTTP answer: a status, a JSON body or none, and headers. */
interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface McpDemoServerOptions {
  /** @default 0: a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

export class McpDemoServer {
  public static async start(options: McpDemoServerOptions = {}): Promise<McpDemoServer> {
    const server = new McpDemoServer();
    await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    return server;
  }

  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Map<string, Session>();
  private baseUrl = '';

  private constructor() {
    this.server = createServer((req, res) => {
      this.handle(req).then(
        (reply) => send(res, reply),
        () => res.destroy(),
      );
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** The base URL, e.g. `http://127.0.0.1:PORT`: MCP is served at it and at any path under it. */
  public get url(): string {
    return this.baseUrl;
  }

  /** Open sessions: initialized and not yet deleted. */
  public get sessionCount(): number {
    return this.sessions.size;
  }

  public async close(): Promise<void> {
    await closeServer(this.server, this.sockets);
  }

  private async listen(port: number, host: string): Promise<void> {
    this.baseUrl = await listenOn(this.server, port, host);
  }

  private async handle(req: IncomingMessage): Promise<Answer> {
    // DNS-rebinding guard (the spec's MUST): a browser page of another site cannot reach this loopback server.
    const origin = req.headers.origin;
    if (origin !== undefined && !isLoopbackOrigin(origin)) return rpcError(403, null, INVALID_REQUEST, `Forbidden: Origin ${origin} is not a loopback origin`);
    if (req.method === 'GET') return { status: 405, headers: { allow: 'POST, DELETE' } };
    if (req.method === 'DELETE') return this.deleteSession(req);
    if (req.method !== 'POST') return { status: 405, headers: { allow: 'POST, DELETE' } };

    const accept = (req.headers.accept ?? '*/*').toLowerCase();
    if (!/application\/json|application\/\*|\*\/\*/.test(accept)) {
      return rpcError(406, null, INVALID_REQUEST, 'Not Acceptable: the Accept header must list application/json and text/event-stream');
    }
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      return rpcError(415, null, INVALID_REQUEST, 'Unsupported Media Type: the body must be application/json');
    }
    const text = await readBody(req);
    if (text === undefined) return rpcError(413, null, INVALID_REQUEST, `Payload Too Large: a message is at most ${MAX_BODY_BYTES} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return rpcError(400, null, PARSE_ERROR, 'Parse error: the body is not JSON');
    }

    const messages = Array.isArray(parsed) ? parsed : [parsed];
    if (messages.length === 0 || !messages.every(isMessage)) return rpcError(400, null, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message');
    const initialize = messages.find((m) => m.method === 'initialize');
    if (initialize) {
      if (messages.length > 1) return rpcError(400, initialize.id ?? null, INVALID_REQUEST, 'Invalid Request: initialize must not be part of a batch');
      return this.initialize(initialize);
    }

    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !PROTOCOL_VERSIONS.includes(version)) {
      return rpcError(400, null, INVALID_REQUEST, `Bad Request: unsupported MCP-Protocol-Version ${version} (supported: ${PROTOCOL_VERSIONS.join(', ')})`);
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId !== 'string') return rpcError(400, null, INVALID_REQUEST, 'Bad Request: Mcp-Session-Id header is required');
    const session = this.sessions.get(sessionId);
    if (!session) return rpcError(404, null, -32001, 'Session not found');
    if (Array.isArray(parsed) && session.protocolVersion !== BATCH_VERSION) {
      return rpcError(400, null, INVALID_REQUEST, `Invalid Request: JSON-RPC batches are not part of MCP ${session.protocolVersion}`);
    }

    const answers = messages.filter((m) => m.method !== undefined && m.id !== undefined).map(answer);
    // Only notifications and responses: accepted, nothing to say.
    if (answers.length === 0) return { status: 202 };
    return { status: 200, body: Array.isArray(parsed) ? answers : answers[0] };
  }

  private initialize(message: JsonRpcMessage): Answer {
    if (message.id === undefined) return rpcError(400, null, INVALID_REQUEST, 'Invalid Request: initialize is a request and needs an id');
    const params = message.params as { protocolVersion?: unknown } | undefined;
    if (typeof params?.protocolVersion !== 'string') return rpcError(200, message.id, INVALID_PARAMS, 'Invalid params: initialize needs params.protocolVersion');
    const protocolVersion = PROTOCOL_VERSIONS.includes(params.protocolVersion) ? params.protocolVersion : PROTOCOL_VERSIONS[0];
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const sessionId = randomUUID();
    this.sessions.set(sessionId, { protocolVersion });
    return {
      status: 200,
      headers: { 'mcp-session-id': sessionId },
      body: {
        jsonrpc: '2.0',
        id: message.id,
        result: {
          protocolVersion,
          capabilities: { tools: { listChanged: false } },
          serverInfo: { name: 'aigw-dev-mcp-demo', title: 'aigw dev demo MCP server', version: '1.0.0' },
          instructions: 'A demo server bundled with aigw dev: echo returns its message, add sums two numbers, time tells the time.',
        },
      },
    };
  }

  private deleteSession(req: IncomingMessage): Answer {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId !== 'string') return rpcError(400, null, INVALID_REQUEST, 'Bad Request: Mcp-Session-Id header is required');
    if (!this.sessions.delete(sessionId)) return rpcError(404, null, -32001, 'Session not found');
    return { status: 200 };
  }
}

/** The response to one request of an initialized session. */
function answer(request: JsonRpcMessage): unknown {
  const id = request.id as Id;
  const params = (request.params ?? {}) as { name?: unknown; arguments?: unknown };
  switch (request.method) {
    case 'ping':
      return { jsonrpc: '2.0', id, result: {} };
    case 'tools/list':
      return { jsonrpc: '2.0', id, result: { tools: demoToolList() } };
    case 'tools/call': {
      const result = callDemoTool(params.name, params.arguments);
      return result ? { jsonrpc: '2.0', id, result } : errorObject(id, INVALID_PARAMS, `Unknown tool: ${JSON.stringify(params.name)}`);
    }
    default:
      return errorObject(id, METHOD_NOT_FOUND, `Method not found: ${request.method}`);
  }
}

function isMessage(m: unknown): m is JsonRpcMessage {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return false;
  const o = m as Record<string, unknown>;
  if (o.jsonrpc !== '2.0') return false;
  if (o.id !== undefined && typeof o.id !== 'string' && typeof o.id !== 'number') return false;
  // A request or notification names a method; a response (to a request this server never sends) has an id and a result or error.
  return typeof o.method === 'string' || (o.id !== undefined && ('result' in o || 'error' in o));
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

function errorObject(id: Id | null, code: number, message: string): unknown {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function rpcError(status: number, id: Id | null, code: number, message: string): Answer {
  return { status, body: errorObject(id, code, message) };
}

/** The body as text, or undefined past the size limit (the rest is read and dropped, so that the answer can still be sent). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.once('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, { status, body, headers }: Answer): void {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { ...headers, ...(payload && { 'content-type': 'application/json', 'content-length': String(payload.length) }) });
  res.end(payload);
}
