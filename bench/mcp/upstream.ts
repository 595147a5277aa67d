/**
 * The MCP bench's upstreams, in one process of their own (pinned by the driver): an MCP server built
 * with the official SDK (`McpServer` + a stateful `StreamableHTTPServerTransport` per session, the
 * SDK's own example) with one tool, `echo`, and a tiny REST service for the HTTP-to-MCP comparison.
 *
 *   node -r ts-node/register/transpile-only bench/mcp/upstream.ts PORT
 *
 * Paths: `/mcp/json` answers POSTs with one JSON body (`enableJsonResponse`), `/mcp/sse` with an SSE
 * stream (the SDK's default); `GET /items/<id>` answers `{"id":…,"name":"item <id>"}`. Prints one line
 * `@@upstream@@ {"url":"http://127.0.0.1:PORT"}` once listening; runs until signalled.
 */
import { randomUUID } from 'crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'http';
/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc resolves these */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
/* eslint-enable import/no-unresolved */
import { z } from 'zod';

const transports = new Map<string, StreamableHTTPServerTransport>();

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
}

async function mcp(req: IncomingMessage, res: ServerResponse, body: string, json: boolean): Promise<void> {
  const sid = req.headers['mcp-session-id'];
  let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
  if (!transport) {
    if (sid !== undefined || req.method !== 'POST') return notFound(res);
    const created = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: json,
      onsessioninitialized: (id) => void transports.set(id, created),
    });
    // The bench ends each session it creates for the session-creation runs (DELETE): forget it then.
    created.onclose = () => {
      if (created.sessionId) transports.delete(created.sessionId);
    };
    const server = new McpServer({ name: 'bench-upstream', version: '1.0.0' });
    server.registerTool('echo', { description: 'returns its text', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text' as const, text }] }));
    await server.connect(created);
    transport = created;
  }
  await transport.handleRequest(req, res, body === '' ? undefined : JSON.parse(body));
}

function rest(req: IncomingMessage, res: ServerResponse): void {
  const m = /^\/items\/([^/?]+)/.exec(req.url ?? '');
  if (req.method !== 'GET' || !m) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  const id = decodeURIComponent(m[1]);
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, name: `item ${id}` }));
}

const port = Number(process.argv[2] ?? 0);
const http = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/mcp/json' || path === '/mcp/sse') {
      mcp(req, res, Buffer.concat(chunks).toString('utf8'), path === '/mcp/json').catch((e: Error) => {
        process.stderr.write(`upstream: ${e.message}\n`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    } else {
      rest(req, res);
    }
  });
});
http.keepAliveTimeout = 60_000;
http.listen(port, '127.0.0.1', () => {
  const address = http.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`@@upstream@@ ${JSON.stringify({ url: `http://127.0.0.1:${actual}` })}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    http.closeAllConnections();
    http.close(() => process.exit(0));
  });
}
