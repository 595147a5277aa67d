import { z } from 'zod';
import { initializeRequest, KEYS, rawPost, type SdkSseUpstream, sdkSseUpstream, type SdkUpstream, sdkUpstream, secretRef, startMcp, withSessionKey } from './mcp-harness';
import { gatewayStack } from '../harness';

/**
 * A drain ends MCP's long-lived server-to-client streams at once and cleanly (a Streamable HTTP GET
 * stream, whether its upstream speaks Streamable HTTP or HTTP+SSE, and a legacy /sse stream): their
 * clients reconnect to another replica, and the drain does not wait for its deadline to cut them off.
 */

let up: SdkUpstream;
let sseUp: SdkSseUpstream;

beforeAll(async () => {
  const register = (server: Parameters<Parameters<typeof sdkUpstream>[0]>[0]) =>
    server.registerTool('read', { description: 'reads', inputSchema: { path: z.string() } }, ({ path }) => ({ content: [{ type: 'text' as const, text: `read:${path}` }] }));
  up = await sdkUpstream(register);
  sseUp = await sdkSseUpstream(register);
});

afterAll(async () => {
  await up.close();
  await sseUp.close();
});

/** A session's GET stream, opened raw as the spec writes it: its reader. */
async function serverStream(url: string): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const auth = { authorization: `Bearer ${KEYS.alice}` };
  const init = await rawPost(url, auth, initializeRequest('2025-11-25'));
  expect(init.status).toBe(200);
  const headers = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
  expect((await rawPost(url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' } });
  expect(res.status).toBe(200);
  return res.body!.getReader();
}

async function untilEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  for (;;) if ((await reader.read()).done) return;
}

test('a drain ends the GET streams and legacy streams at once, and is over without reaching its deadline', async () => {
  const gateway = gatewayStack();
  const files = gateway.addMcpServer('files', { kind: 'proxy', url: up.url });
  const old = gateway.addMcpServer('old', { kind: 'proxy', url: sseUp.url, transport: 'sse' });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [files, old] } });
  const gw = await startMcp(gateway, withSessionKey);
  try {
    const streams = [await serverStream(`${gw.url}/mcp/files`), await serverStream(`${gw.url}/mcp/old`)];
    const legacy = await fetch(`${gw.url}/mcp/files/sse`, { headers: { authorization: `Bearer ${KEYS.alice}`, accept: 'text/event-stream' } });
    const legacyReader = legacy.body!.getReader();
    expect(new TextDecoder().decode((await legacyReader.read()).value)).toContain('event: endpoint');
    await gw.plane.preStop(0);
    // A deadline longer than this test may take: without the early end, the drain would wait for it.
    const drained = gw.plane.drain(25_000);
    await Promise.all([...streams, legacyReader].map(untilEnd));
    await drained;
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'MCP server-to-client streams ended for the drain', streams: 3 }));
    expect(gw.logs.filter((l) => l.msg === 'drain deadline reached; closing the remaining connections')).toEqual([]);
  } finally {
    await gw.close();
  }
}, 60_000);
