/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
/* eslint-enable import/no-unresolved */
import { Agent, fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import { startTestGateway } from '../../../src/testing';
import { selfSignedCertificate } from '../../support/tls-certificates';
import { gatewayStack } from '../harness';
import { KEYS, sdkUpstream, secretRef, SESSION_KEY } from '../mcp/mcp-harness';

jest.setTimeout(60_000);

const CERT = selfSignedCertificate('mcp.example.com');

test('the official MCP SDK over HTTP/2 (TLS): initialize, list and call a tool through the gateway', async () => {
  const upstream = await sdkUpstream((server) => {
    server.registerTool('echo', { description: 'echoes', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text' as const, text: `echo:${text}` }] }));
  });
  const gateway = gatewayStack();
  gateway.addDomain('mcp', { hostname: 'mcp.example.com', tls: { certificate: secretRef('mcp-tls', 'tls.crt'), privateKey: secretRef('mcp-tls', 'tls.key') } });
  const tools = gateway.addMcpServer('tools', { kind: 'proxy', url: upstream.url });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [tools] } });
  const gw = await startTestGateway(gateway, {
    localLimits: true,
    secrets: { 'consumer-keys/alice': KEYS.alice, 'mcp-keys/session': SESSION_KEY, 'mcp-tls/tls.crt': CERT.cert, 'mcp-tls/tls.key': CERT.key },
  });
  const h2 = new Agent({ allowH2: true, connect: { ca: [CERT.cert] } });
  const client = new Client({ name: 'aigw-h2-test', version: '1.0.0' });
  try {
    const path = '/mcp/tools';
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.tlsUrl}${path}`), {
      requestInit: { headers: { Authorization: `Bearer ${KEYS.alice}` } },
      fetch: ((url: string, init: object) => undiciFetch(url, { ...init, dispatcher: h2 })) as unknown as typeof fetch,
    });
    await client.connect(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'over h2' } });
    expect(result.content).toEqual([{ type: 'text', text: 'echo:over h2' }]);
    const lines = gw.logs.filter((l) => l.msg === 'access' && l.path === path);
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.protocol))).toEqual(new Set(['HTTP/2']));
  } finally {
    await client.close();
    await h2.close();
    await gw.close();
    await upstream.close();
  }
});
