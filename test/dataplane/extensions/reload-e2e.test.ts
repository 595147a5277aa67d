import { writeFileSync } from 'fs';
import { join } from 'path';
import { Writable } from 'stream';
import { synthesizedGatewayConfig } from '../../../src/constructs/synthesized-config';
import { createLogger, DataPlane } from '../../../src/dataplane';
import type { GatewayConfig } from '../../../src/specs';
import { UpstreamSimulator } from '../../../src/testing';
import { testSecrets } from '../../../src/testing/test-secrets';
import { pointAtUpstream } from '../../../src/testing/upstream';
import { tempDirs } from '../../support/temp-dirs';
import { kubeletDir, shardFiles } from '../config-files';
import { ask, chatStreamText, clients, dedicatedGateway, KEY } from './e2e-gateway';

/**
 * Issue #15 §5: a custom extension changed by a reload. runtime.test.ts covers the order of hooks by phase and
 * priority, failPolicy open and closed, and an async hook over its budget, through the gateway; this is the one
 * thing it does not: a new bundle of the same module swapped in by a config reload, as `cdktf deploy` does.
 */
const tempDir = tempDirs();
let sim: UpstreamSimulator;
beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'reload' });
});
afterAll(() => sim?.close());

/** The module, version `version`: stamps the request the upstream gets and the answer the client gets. */
function stampModule(version: string): string {
  return `import { defineExtension } from 'cdktf-ai-gateway/extensions';
export default defineExtension({
  name: 'stamp',
  onRequest(ctx) { ctx.request.headers['x-stamp'] = '${version}'; },
  onResponse(ctx) { ctx.response.headers['x-stamp'] = '${version}'; },
  onStreamChunk(ctx) {
    if (ctx.event.data === '[DONE]') return;
    const chunk = JSON.parse(ctx.event.data);
    const delta = chunk.choices?.[0]?.delta;
    if (typeof delta?.content === 'string' && delta.content !== '') { delta.content = '${version}:' + delta.content; ctx.event.data = JSON.stringify(chunk); }
  },
});
`;
}

/** The gateway's config as synth writes it now (the module bundled as it is on disk), on the simulator, without Redis. */
function synthesized(modulePath: string): GatewayConfig {
  const { config } = synthesizedGatewayConfig(dedicatedGateway((g) => g.addExtension('stamp', { name: 'stamp', source: 'custom', modulePath })));
  const { redis: _redis, ...local } = pointAtUpstream(config, sim.url);
  return local;
}

test('a changed custom module, synthesized again, is swapped in by a reload: the next requests run the new bundle', async () => {
  const modulePath = join(tempDir('aigw-stamp-'), 'stamp.ts');
  writeFileSync(modulePath, stampModule('v1'));
  const first = synthesized(modulePath);
  const { dir, swap } = kubeletDir(shardFiles(first));
  const plane = await DataPlane.start({
    config: { dir },
    secrets: testSecrets(first, {}, { alice: KEY }),
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    // Quiet: the test reads what the requests show, not the log.
    logger: createLogger(new Writable({ write: (_chunk, _encoding, done) => done() })),
  });
  try {
    const { openai } = clients(plane);
    const before = await openai.chat.completions.create(ask('hello')).withResponse();
    expect(before.response.headers.get('x-stamp')).toBe('v1');
    expect(sim.requests.at(-1)?.headers['x-stamp']).toBe('v1');

    writeFileSync(modulePath, stampModule('v2'));
    const second = synthesized(modulePath);
    expect(second.extensions[0]).not.toEqual(first.extensions[0]);
    swap(shardFiles(second));
    expect(await plane.reload()).toMatchObject({ result: 'applied' });

    const after = await openai.chat.completions.create(ask('hello')).withResponse();
    expect(after.response.headers.get('x-stamp')).toBe('v2');
    expect(sim.requests.at(-1)?.headers['x-stamp']).toBe('v2');
    const streamed = await chatStreamText(await openai.chat.completions.create({ ...ask('hello'), stream: true }));
    expect(streamed.startsWith('v2:')).toBe(true);
    expect(streamed).not.toContain('v1:');
  } finally {
    await plane.close();
  }
});
