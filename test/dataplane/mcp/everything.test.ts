import { type ChildProcess, spawn } from 'child_process';
import { createServer } from 'net';
import { connect, KEYS, secretRef, startMcp, withSessionKey } from './mcp-harness';
import type { TestGateway } from '../../../src/testing';
import { gatewayStack } from '../harness';

/** The reference server `@modelcontextprotocol/server-everything`, a real third-party upstream, behind the MCP proxy. */

/** Its bin, resolved through the package (no exports map: the file path resolves as it is). */
const ENTRY = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

let child: ChildProcess;
let gw: TestGateway;

/** A port nothing listens on now (the child binds it next). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  child = spawn(process.execPath, [ENTRY, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  // It says so on stderr once it listens.
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      if (err.includes('listening on port')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server-everything exited (${code}): ${err}`)));
  });
  const gateway = gatewayStack();
  const everything = gateway.addMcpServer('everything', { kind: 'proxy', url: `http://127.0.0.1:${port}/mcp` });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [everything] } });
  gw = await startMcp(gateway, withSessionKey);
});

afterAll(async () => {
  await gw?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
});

test('lists its tools, calls echo, and relays the progress notifications of a long-running operation', async () => {
  const { client } = await connect(`${gw.url}/mcp/everything`, KEYS.alice);
  try {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'trigger-long-running-operation']));
    expect(await client.callTool({ name: 'echo', arguments: { message: 'through the gateway' } })).toMatchObject({
      content: [{ type: 'text', text: expect.stringContaining('through the gateway') }],
    });
    const progress: number[] = [];
    const done = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(done).toMatchObject({ content: [{ type: 'text', text: expect.stringContaining('completed') }] });
    expect(progress).toEqual([1, 2]);
  } finally {
    await client.close();
  }
});
