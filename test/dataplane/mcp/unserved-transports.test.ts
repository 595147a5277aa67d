import { initializeRequest, KEYS, rawPost, secretRef, startMcp, withSessionKey } from './mcp-harness';
import { gatewayStack } from '../harness';

/** What is declared and not served is refused loudly (501, a JSON-RPC error naming the fix), never 404. */

test("an upstream speaking the legacy HTTP+SSE transport (transport: 'sse') answers 501 naming what to use instead, and is warned at load", async () => {
  const gateway = gatewayStack();
  const modern = gateway.addMcpServer('modern', { kind: 'proxy', url: 'http://127.0.0.1:1/mcp' });
  const legacy = gateway.addMcpServer('legacy', { kind: 'proxy', url: 'http://127.0.0.1:1/sse', transport: 'sse' });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [modern, legacy] } });
  const gw = await startMcp(gateway, withSessionKey);
  try {
    const auth = { authorization: `Bearer ${KEYS.alice}` };
    const upstream = await rawPost(`${gw.url}/mcp/legacy`, auth, initializeRequest('2025-11-25'));
    expect(upstream.status).toBe(501);
    expect(upstream.messages[0].error.message).toContain("upstream.transport: 'sse'");
    expect(gw.logs.filter((l) => l.msg === 'configured but not served yet').map((l) => l.field)).toEqual(
      expect.arrayContaining(['mcpServers', 'mcpServers[].upstream.transport']),
    );
  } finally {
    await gw.close();
  }
});
