import { z } from 'zod';
import { sendRaw } from './support/raw-send';
import { BLOCK_ALL, expectWafRefusal, metricsText, seriesValue, withWaf } from './support/waf-gateway';
import { type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { type AgentUpstream, agentUpstream } from '../agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start } from '../harness';
import { connect, type SdkUpstream, sdkUpstream } from '../mcp/mcp-harness';

/**
 * The WAF on agent routes and MCP servers, through the real server: an attack in a field that is not the user's
 * message is refused in the agent's own error shape (Dify, Model Studio) or as a JSON-RPC error (MCP); a custom
 * agent's body, read to be inspected, still reaches the agent byte for byte; benign calls pass.
 */

let sim: UpstreamSimulator;
let custom: AgentUpstream;
let tools: SdkUpstream;
let gw: TestGateway;

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'agents' });
  custom = await agentUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true })));
  tools = await sdkUpstream((server) => {
    server.registerTool('read', { description: 'reads a file', inputSchema: { path: z.string() } }, ({ path }) => ({ content: [{ type: 'text' as const, text: `read:${path}` }] }));
  });
  const gateway = gatewayStack();
  const key = { secretName: 'llm-keys', key: 'openai' };
  const routes = [
    gateway.addAgentRoute('dify', { kind: 'dify', pathPrefix: '/dify', baseUrl: `${sim.url}/v1`, apiKey: key }),
    gateway.addAgentRoute('studio', { kind: 'model-studio', pathPrefix: '/studio', baseUrl: `${sim.url}/api/v1`, appId: 'app-42', apiKey: key }),
    gateway.addAgentRoute('custom', { kind: 'custom', pathPrefix: '/agents/a', baseUrl: `${custom.url}/api`, apiKey: key }),
  ];
  const files = gateway.addMcpServer('files', { kind: 'proxy', url: tools.url });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes, mcpServers: [files] } });
  gw = await start(gateway, (c) => {
    const { redis: _redis, ...local } = c;
    return withWaf(BLOCK_ALL)(local);
  });
});

afterAll(async () => {
  await gw.close();
  await sim.close();
  await custom.close();
  await tools.close();
});

beforeEach(() => {
  sim.reset();
  custom.seen.length = 0;
});

function post(path: string, body: string | object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function answer(res: Response) {
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: await res.text() };
}

const SQLI = "x' UNION SELECT password FROM users--";
const XSS = '<script>alert(document.cookie)</script>';

describe('Dify', () => {
  test('an attack in `conversation_id`: 403 in Dify\'s shape, never reaching Dify', async () => {
    for (const body of [{ inputs: {}, query: 'weather?', response_mode: 'blocking', conversation_id: XSS }]) {
      const a = await answer(await post('/dify/chat-messages', body));
      expectWafRefusal(a, [SQLI, XSS]);
      expect(JSON.parse(a.body)).toEqual({ code: 'waf_blocked', message: expect.stringContaining('request id'), status: 403 });
    }
    expect(sim.requests).toHaveLength(0);
  });

  test('a benign chat is served', async () => {
    expect((await post('/dify/chat-messages', { inputs: { city: 'Berlin' }, query: 'What is the weather?', response_mode: 'blocking' })).status).toBe(200);
  });

  // Dify's `query` is the user's message and `inputs` the app's variables for its prompt: message text, as `messages`
  // is on model routes (issue #16: "on model and agent routes … not the text of messages").
  test('SQL, shell and HTML in the Dify `query` and `inputs` (the user\'s message, a workflow\'s text) are not flagged by default', async () => {
    const workflow = await post('/dify/chat-messages', { inputs: { text: "SELECT * FROM users WHERE name = 'bob' OR 1=1; rm -rf /tmp/x" }, query: 'explain', response_mode: 'blocking' });
    expect(workflow.status).toBe(200);
    const res = await post('/dify/chat-messages', { inputs: {}, query: "Why does ' OR '1'='1 -- bypass my login? And what does <script>alert(1)</script> do?", response_mode: 'blocking' });
    expect(res.status).toBe(200);
  });
});

describe('Model Studio (DashScope)', () => {
  test('an attack in `parameters`: 403 in DashScope\'s shape, never reaching it', async () => {
    const a = await answer(await post('/studio/completion', { input: { prompt: 'hello' }, parameters: { note: SQLI } }));
    expectWafRefusal(a, [SQLI]);
    expect(JSON.parse(a.body)).toMatchObject({ code: expect.any(String), message: expect.stringContaining('web application firewall') });
    expect(sim.requests).toHaveLength(0);
  });

  // Only `input.prompt` and `input.messages` are the user's message: what else `input` carries (`session_id`, the
  // app's `biz_params`) is data, inspected as `parameters` is.
  test('an attack in `input.session_id` or `input.biz_params` is refused', async () => {
    for (const input of [{ prompt: 'hello', session_id: XSS }, { prompt: 'hello', biz_params: { city: SQLI } }]) {
      expect((await post('/studio/completion', { input, parameters: {} })).status).toBe(403);
    }
  });

  test('SQL and HTML in the prompt are served (message text)', async () => {
    const res = await post('/studio/completion', { input: { prompt: `Explain ${SQLI} and ${XSS}` }, parameters: {} });
    expect(res.status).toBe(200);
  });
});

describe('a custom agent', () => {
  test('an attack in its JSON body: 403, and the agent never called', async () => {
    const a = await answer(await post('/agents/a/run', { task: 'summarize', target: '../../../../etc/passwd' }));
    expectWafRefusal(a, ['etc/passwd']);
    const b = await answer(await post('/agents/a/run', 'task=run&cmd=%3B%20cat%20%2Fetc%2Fshadow', { 'content-type': 'application/x-www-form-urlencoded' }));
    expectWafRefusal(b);
    expect(custom.seen).toHaveLength(0);
  });

  test('a JSON body sent without a Content-Type, or as application/octet-stream, is inspected as JSON (frameworks parse it so)', async () => {
    for (const headers of [{}, { 'content-type': 'application/octet-stream' }] as Array<Record<string, string>>) {
      const a = await sendRaw(gw.url, { method: 'POST', rawPath: '/agents/a/run', headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}`, ...headers }, body: { task: 'report', filter: SQLI } });
      expectWafRefusal(a, [SQLI]);
    }
    expect(custom.seen).toHaveLength(0);
    // Binary that is not JSON streams through as before.
    const png = await sendRaw(gw.url, { method: 'POST', rawPath: '/agents/a/run', headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/octet-stream' }, body: '\u0089PNG\r\n' });
    expect(png.status).toBe(200);
  });

  test('a benign JSON body, inspected, reaches the agent byte for byte (spacing, key order, escapes kept)', async () => {
    const raw = '{ "task":"summarize",\n  "z": 1, "a": [1,2 ,3], "text": "caf\\u00e9 \\ud83d\\ude00", "nested": {"b":null}}\n';
    const res = await post('/agents/a/run', raw);
    expect(res.status).toBe(200);
    expect(custom.seen).toHaveLength(1);
    expect(custom.seen[0].body).toBe(raw);
    expect(custom.seen[0].headers['content-length']).toBe(String(Buffer.byteLength(raw)));
  });
});

describe('an MCP server (proxy)', () => {
  test('a traversal in tool arguments: the SDK client gets an error, the upstream never sees the call, counted denied', async () => {
    const before = seriesValue(await metricsText(gw), 'aigw_mcp_requests_total', { server: 'files', method: 'tools/call', result: 'denied' });
    const { client } = await connect(`${gw.url}/mcp/files`, CONSUMER_KEYS.alice);
    try {
      expect(await client.callTool({ name: 'read', arguments: { path: 'notes/a.txt' } })).toMatchObject({ content: [{ type: 'text', text: 'read:notes/a.txt' }] });
      const refused = await client.callTool({ name: 'read', arguments: { path: '../../../../etc/passwd' } }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(refused).toBeInstanceOf(Error);
      expect(refused!.message).toMatch(/403|web application firewall/);
      expect(refused!.message).not.toContain('etc/passwd');
      expect(tools.seen.some((r) => r.body.includes('etc/passwd'))).toBe(false);
      // The session survives the refusal: the next benign call is served.
      expect(await client.callTool({ name: 'read', arguments: { path: 'b.txt' } })).toMatchObject({ content: [{ type: 'text', text: 'read:b.txt' }] });
    } finally {
      await client.close();
    }
    const after = seriesValue(await metricsText(gw), 'aigw_mcp_requests_total', { server: 'files', method: 'tools/call', result: 'denied' });
    expect(after - before).toBe(1);
  });

  test('the refusal is a JSON-RPC error over HTTP 403, with the request id', async () => {
    const res = await fetch(`${gw.url}/mcp/files`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json', 'accept': 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'read', arguments: { path: XSS } } }),
    });
    const a = await answer(res);
    expectWafRefusal(a, [XSS]);
    expect(JSON.parse(a.body)).toEqual({ jsonrpc: '2.0', id: null, error: { code: expect.any(Number), message: expect.stringContaining('web application firewall') } });
  });
});
