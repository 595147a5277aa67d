import { randomUUID } from 'crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
/* eslint-enable import/no-unresolved */
import type { AiGateway } from '../../../src';
import type { GatewayConfig } from '../../../src/specs';
import { startTestGateway, type TestGateway } from '../../../src/testing';
import { CONSUMER_KEYS } from '../harness';

/** Keys of the MCP tests' consumers: alice and bob from the data-plane harness, and carol. */
export const KEYS = { ...CONSUMER_KEYS, carol: 'sk-carol-test-key' } as const;
/** The Secret value behind `mcp.sessionKey` in these tests: at least 32 bytes. */
export const SESSION_KEY = 'mcp-session-key-for-tests-0123456789abcdef';
/** The credential the gateway sends a proxied upstream (its `auth` Secret). */
export const UPSTREAM_TOKEN = 'mcp-upstream-token-0123456789';

export const secretRef = (secretName: string, key: string) => ({ secretName, key });

type Transform = (c: GatewayConfig) => GatewayConfig;

/** Starts the data plane on the gateway's config (after `transform`), with the consumers' keys and the MCP Secrets. */
export function startMcp(gateway: AiGateway | { config: GatewayConfig; hash: string }, transform?: Transform): Promise<TestGateway> {
  return startTestGateway(gateway, {
    // Without the Dedicated gateway's Redis, which nothing here listens for (the start would wait 3 s for it): MCP servers have no rate limits.
    transform: (c) => {
      const { redis: _redis, ...local } = c;
      return transform ? transform(local) : local;
    },
    secrets: {
      'consumer-keys/alice': KEYS.alice,
      'consumer-keys/bob': KEYS.bob,
      'consumer-keys/carol': KEYS.carol,
      'mcp-keys/session': SESSION_KEY,
      'mcp-keys/other-session': `another-${SESSION_KEY}`,
      'mcp-keys/upstream': UPSTREAM_TOKEN,
    },
  });
}

/** As startMcp, but with the config's `redis` pointed at `address` (a test redis-server): replicas started so share MCP state. */
export function startMcpWithRedis(
  gateway: AiGateway | { config: GatewayConfig; hash: string },
  address: string,
  transform?: Transform,
): Promise<TestGateway> {
  return startMcp(gateway, (c) => {
    const shared = { ...c, redis: { address, keyPrefix: 'aigw-test:' } };
    return transform ? transform(shared) : shared;
  });
}

/** The config with `mcp.sessionKey` set: every gateway started with it seals sessions with the same key. */
export function withSessionKey(c: GatewayConfig): GatewayConfig {
  return { ...c, mcp: { sessionKey: secretRef('mcp-keys', 'session') } };
}

interface Connected {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
}

/** The official SDK client, connected (initialized) to an MCP URL with a consumer key as Bearer token. */
export async function connect(url: string, key: string, setup?: (client: Client) => void): Promise<Connected> {
  const client = new Client({ name: 'aigw-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  setup?.(client);
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } });
  await client.connect(transport);
  return { client, transport };
}

/** What an upstream saw of one request: enough to prove what did and did not reach it. */
export interface SeenRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface SdkUpstream {
  /** The Streamable HTTP endpoint. */
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Session ids it issued. */
  readonly sessions: string[];
  /** Breaks every open connection at once, as a crashing server would. */
  crash(): void;
  close(): Promise<void>;
}

/**
 * An upstream MCP server built with the SDK's own server classes: a stateful StreamableHTTPServerTransport
 * per session (the SDK's own example), with the tools `register` adds, answering in SSE (or JSON with
 * `json`). It records every request.
 */
export async function sdkUpstream(
  register: (server: McpServer) => void,
  /** `resumable`: an event store and a short retry interval, so that a tool may close its stream and answer on the client's next one (SEP-1699). */
  options: { json?: boolean; resumable?: boolean } = {},
): Promise<SdkUpstream> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const seen: SeenRequest[] = [];
  const sessions: string[] = [];
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', headers: req.headers, body });
      void (async () => {
        const sid = req.headers['mcp-session-id'];
        let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
        if (!transport) {
          if (sid !== undefined || req.method !== 'POST') {
            res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
            return;
          }
          const created = new StreamableHTTPServerTransport({
            sessionIdGenerator: () => randomUUID(),
            // JSON answers: the head goes out only with the result (an SSE answer's goes out at once).
            enableJsonResponse: options.json === true,
            ...(options.resumable && { eventStore: new InMemoryEventStore(), retryInterval: 20 }),
            onsessioninitialized: (id) => {
              sessions.push(id);
              transports.set(id, created);
            },
          });
          const server = new McpServer({ name: 'upstream', version: '1.0.0' });
          register(server);
          await server.connect(created);
          transport = created;
        }
        await transport.handleRequest(req, res, body === '' ? undefined : JSON.parse(body));
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    seen,
    sessions,
    crash: () => http.closeAllConnections(),
    close: async () => {
      for (const t of transports.values()) await t.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** The data plane's /metrics text. */
export async function metricsText(gw: TestGateway): Promise<string> {
  return (await fetch(`${gw.adminUrl}/metrics`)).text();
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The JSON-RPC messages of a JSON or SSE body. */
  readonly messages: Record<string, any>[];
}

/** A raw Streamable HTTP POST, as the spec writes it: both Accept types, a JSON body, the headers given. */
export async function rawPost(url: string, headers: Record<string, string>, body: unknown): Promise<RawAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'accept': 'application/json, text/event-stream', 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return read(res);
}

export async function read(res: Response): Promise<RawAnswer> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, messages: messagesOf(res.headers.get('content-type') ?? '', text) };
}

function messagesOf(contentType: string, text: string): Record<string, any>[] {
  if (contentType.startsWith('text/event-stream')) {
    return text
      .split(/\n\n/)
      .map((event) => event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n'))
      .filter((data) => data !== '')
      .map((data) => JSON.parse(data) as Record<string, any>);
  }
  if (text === '') return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, any>[];
  } catch {
    return [];
  }
}

/** An initialize request of a client speaking `version`. */
export function initializeRequest(version: string, id: number | string = 1): Record<string, unknown> {
  return { jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } } };
}

export interface SdkSseUpstream {
  /** The SSE endpoint (GET), whose `endpoint` event names `/messages?sessionId=…`. */
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Streams open now, by the upstream's session id. */
  readonly open: ReadonlySet<string>;
  /** The SDK server of each stream, by the upstream's session id (to make it speak unprompted). */
  readonly servers: ReadonlyMap<string, McpServer>;
  /** Breaks every open connection at once, as a crashing server would. */
  crash(): void;
  close(): Promise<void>;
}

/**
 * An upstream MCP server speaking the legacy HTTP+SSE transport (MCP 2024-11-05) with the SDK's own
 * SSEServerTransport, one per stream (the SDK's own example), with the tools `register` adds. It records every request.
 */
export async function sdkSseUpstream(register: (server: McpServer) => void): Promise<SdkSseUpstream> {
  const transports = new Map<string, SSEServerTransport>();
  const open = new Set<string>();
  const servers = new Map<string, McpServer>();
  const seen: SeenRequest[] = [];
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', headers: req.headers, body });
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://upstream');
        if (req.method === 'GET' && url.pathname === '/sse') {
          const transport = new SSEServerTransport('/messages', res);
          transports.set(transport.sessionId, transport);
          open.add(transport.sessionId);
          res.once('close', () => {
            open.delete(transport.sessionId);
            transports.delete(transport.sessionId);
          });
          const server = new McpServer({ name: 'sse-upstream', version: '1.0.0' });
          servers.set(transport.sessionId, server);
          register(server);
          await server.connect(transport);
          return;
        }
        const transport = transports.get(url.searchParams.get('sessionId') ?? '');
        if (req.method !== 'POST' || url.pathname !== '/messages' || !transport) {
          res.writeHead(404).end('No transport found for sessionId');
          return;
        }
        await transport.handlePostMessage(req, res, JSON.parse(body));
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    seen,
    open,
    servers,
    crash: () => http.closeAllConnections(),
    close: async () => {
      for (const t of transports.values()) await t.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
