import { initializeRequest, KEYS, rawPost, secretRef, startMcp, withSessionKey } from './mcp-harness';
import { gatewayStack } from '../harness';

/** An upstream speaking the legacy HTTP+SSE transport is served (sse-upstream.test.ts): neither refused with 501 nor warned at load. */

test("an upstream speaking the legacy HTTP+SSE transport (transport: 'sse') is served: an unreachable one is a 502 naming it, never a 501, and no load warning", async () => {
  const gateway = gatewayStack();
  const legacy = gateway.addMcpServer('legacy', { kind: 'proxy', url: 'http://127.0.0.1:1/sse', transport: 'sse' });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [legacy] } });
  const gw = await startMcp(gateway, withSessionKey);
  try {
    const answer = await rawPost(`${gw.url}/mcp/legacy`, { authorization: `Bearer ${KEYS.alice}` }, initializeRequest('2025-11-25'));
    expect(answer.status).toBe(502);
    expect(answer.messages[0].error.message).toContain("'legacy'");
    expect(gw.logs.filter((l) => l.msg === 'configured but not served yet').map((l) => l.field)).not.toContain('mcpServers[].upstream.transport');
  } finally {
    await gw.close();
  }
});
