import { rmSync } from 'fs';
import { Writable } from 'stream';
import { z } from 'zod';
import { connect, KEYS, rawPost, initializeRequest, SESSION_KEY, sdkUpstream, secretRef, withSessionKey } from './mcp-harness';
import { synthesizedGatewayConfig } from '../../../src/constructs/synthesized-config';
import { createLogger, DataPlane, FileAndEnvSecrets, secretEnvName } from '../../../src/dataplane';
import type { GatewayConfig } from '../../../src/specs';
import { kubeletDir, shardFiles } from '../config-files';
import { gatewayStack } from '../harness';

/** Hot reload: a session of a server the new config keeps carries on; a removed server's sessions end (its path is gone). */

test('a reload keeps the sessions of an unchanged server and ends those of a removed one', async () => {
  const up = await sdkUpstream((server) => server.registerTool('read', { description: 'x', inputSchema: { path: z.string() } }, ({ path }) => ({ content: [{ type: 'text', text: `read:${path}` }] })));
  const gateway = gatewayStack();
  const keep = gateway.addMcpServer('keep', { kind: 'proxy', url: up.url });
  const gone = gateway.addMcpServer('gone', { kind: 'proxy', url: up.url });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [keep, gone] } });
  const { redis: _redis, ...before } = withSessionKey(synthesizedGatewayConfig(gateway).config);
  const after: GatewayConfig = {
    ...structuredClone(before),
    mcpServers: before.mcpServers.filter((m) => m.name !== 'gone'),
    consumers: before.consumers.map((c) => ({ ...c, grants: { ...c.grants, mcpServers: ['keep'] } })),
  };
  const { dir, swap } = kubeletDir(shardFiles(before));
  const env = { [secretEnvName(secretRef('consumer-keys', 'alice'))]: KEYS.alice, [secretEnvName(secretRef('mcp-keys', 'session'))]: SESSION_KEY };
  const plane = await DataPlane.start({
    config: { dir },
    secrets: new FileAndEnvSecrets(undefined, env),
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    logger: createLogger(new Writable({ write: (_c, _e, done) => done() })),
  });
  const { client } = await connect(`${plane.url}/mcp/keep`, KEYS.alice);
  try {
    const auth = { authorization: `Bearer ${KEYS.alice}` };
    const init = await rawPost(`${plane.url}/mcp/gone`, auth, initializeRequest('2025-11-25'));
    const goneSession = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
    swap(shardFiles(after));
    expect(await plane.reload()).toMatchObject({ result: 'applied' });
    expect(await client.callTool({ name: 'read', arguments: { path: 'kept' } })).toMatchObject({ content: [{ type: 'text', text: 'read:kept' }] });
    expect((await rawPost(`${plane.url}/mcp/gone`, goneSession, { jsonrpc: '2.0', id: 2, method: 'tools/list' })).status).toBe(404);
  } finally {
    await client.close();
    await plane.close();
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
