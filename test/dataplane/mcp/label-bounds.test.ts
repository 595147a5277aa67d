import { z } from 'zod';
import { initializeRequest, KEYS, metricsText, rawPost, type SdkUpstream, sdkUpstream, secretRef, startMcp, withSessionKey } from './mcp-harness';
import type { TestGateway } from '../../../src/testing';
import { gatewayStack } from '../harness';

/** One tenant never harms another: the client's tool and method names never become metric label values. */

let up: SdkUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await sdkUpstream((server) => server.registerTool('known', { description: 'x', inputSchema: { a: z.string().optional() } }, () => ({ content: [{ type: 'text', text: 'ok' }] })));
  const gateway = gatewayStack();
  const limited = gateway.addMcpServer('limited', { kind: 'proxy', url: up.url, allowTools: ['known'] });
  const open = gateway.addMcpServer('open', { kind: 'proxy', url: up.url });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [limited, open] } });
  gw = await startMcp(gateway, withSessionKey);
});

afterAll(async () => {
  await gw.close();
  await up.close();
});

async function session(path: string): Promise<Record<string, string>> {
  const auth = { authorization: `Bearer ${KEYS.alice}` };
  const init = await rawPost(`${gw.url}${path}`, auth, initializeRequest('2025-11-25'));
  return { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
}

const series = (text: string) => text.split('\n').filter((l) => l.startsWith('aigw_mcp_')).length;

test('1,000 calls of distinct unknown tool names (refused, and forwarded where every tool is allowed) and methods leave the series count unchanged', async () => {
  const limited = await session('/mcp/limited');
  const open = await session('/mcp/open');
  const call = (headers: Record<string, string>, path: string, i: number, method = 'tools/call') =>
    rawPost(`${gw.url}${path}`, headers, { jsonrpc: '2.0', id: i, method, params: { name: `tool-${i}-${Math.random()}`, arguments: {} } });
  // Every label combination these calls can produce, once.
  await call(limited, '/mcp/limited', 0);
  await call(open, '/mcp/open', 0);
  await call(open, '/mcp/open', 0, 'vendor/unknown-0');
  const before = series(await metricsText(gw));
  for (let start = 0; start < 1_000; start += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, k) => {
        const i = start + k + 1;
        if (i % 3 === 0) return call(open, '/mcp/open', i);
        if (i % 3 === 1) return call(limited, '/mcp/limited', i);
        return call(open, '/mcp/open', i, `vendor/unknown-${i}`);
      }),
    );
  }
  const after = await metricsText(gw);
  expect(series(after)).toBe(before);
  expect(after).toMatch(/aigw_mcp_tool_calls_total\{[^}]*server="limited",tool="other",result="denied"[^}]*\} 335/);
  expect(after).not.toMatch(/tool-\d/);
});
