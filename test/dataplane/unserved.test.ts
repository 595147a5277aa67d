import { rmSync } from 'fs';
import { Writable } from 'stream';
import { kubeletDir, shardFiles } from './config-files';
import { gatewayStack, start } from './harness';
import { Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { createLogger, DataPlane, FileAndEnvSecrets } from '../../src/dataplane';
import { selfSignedCertificate } from '../support/tls-certificates';

/** `aigw_config_unserved` by field, from the admin listener. */
async function unservedGauge(adminUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^aigw_config_unserved\{.*field="([^"]+)".*\} (\d+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** The fixed list of fields the data plane does not serve yet: each has a series, 0 when the config does not set it. */
const FIELDS = ['mcpServers', 'mcp.sessionKey', 'backends[].responses', 'acceleration.compression', 'serviceSources[].kubeconfig', 'services[].addresses'];
const ALL_ZERO = Object.fromEntries(FIELDS.map((f) => [f, 0]));

describe('configured but not served', () => {
  test('a gateway declaring a WAF, QAT TLS and Domain TLS (served) and an MCP server (without mcp.sessionKey): one warn line per unserved field, and the gauge at 1 for each', async () => {
    const gateway = gatewayStack({ edition: 'dedicated', spec: 'aigw.small.x1', waf: { mode: 'block' }, hardwareAcceleration: { tls: true, fallback: 'software' } });
    const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.vllm({ baseUrl: 'http://vllm:8000/v1' }) }] }] });
    const weather = gateway.addMcpServer('weather', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    gateway.addDomain('api', { hostname: 'ai.example.com', tls: { certificate: { secretName: 'tls', key: 'tls.crt' }, privateKey: { secretName: 'tls', key: 'tls.key' } } });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route], mcpServers: [weather] } });
    const cert = selfSignedCertificate('ai.example.com');
    const gw = await start(gateway, undefined, { 'tls/tls.crt': cert.cert, 'tls/tls.key': cert.key });
    try {
      const warned = gw.logs.filter((l) => l.msg === 'configured but not served yet');
      // The synthesized config has the gateway's Redis: the legacy MCP transport is served across replicas, no `mcpServers` warning.
      expect(warned.map((l) => l.field)).toEqual(['mcp.sessionKey']);
      for (const line of warned) expect(line).toMatchObject({ level: 40, effect: expect.any(String) });
      expect(await unservedGauge(gw.adminUrl)).toEqual({ ...ALL_ZERO, 'mcp.sessionKey': 1 });
    } finally {
      await gw.close();
    }
  });

  test('a gateway without them: no warn line and the gauge at 0 (the bandwidth limit, always set, is shaped by the data plane)', async () => {
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.vllm({ baseUrl: 'http://vllm:8000/v1' }) }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway);
    try {
      expect(gw.logs.filter((l) => l.msg === 'configured but not served yet').map((l) => l.field)).toEqual([]);
      expect(await unservedGauge(gw.adminUrl)).toEqual(ALL_ZERO);
    } finally {
      await gw.close();
    }
  });

  test('each applied reload says it again: a second static address added is warned and counted, removed goes back to 0', async () => {
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.vllm({ baseUrl: 'http://vllm:8000/v1' }) }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const plain = synthesizedGatewayConfig(gateway).config;
    const withPair = { ...structuredClone(plain), services: [...plain.services, { name: 'pair', kind: 'static' as const, addresses: ['10.0.0.1:8000', '10.0.0.2:8000'] }] };
    const { dir, swap } = kubeletDir(shardFiles(plain));
    const logs: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const plane = await DataPlane.start({
      config: { dir },
      secrets: new FileAndEnvSecrets(undefined, { AIGW_SECRET_CONSUMER_KEYS_ALICE: 'k' }),
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      logger: createLogger(sink),
    });
    const pairWarnings = (): number => logs.filter((l) => l.msg === 'configured but not served yet' && l.field === 'services[].addresses').length;
    try {
      expect((await unservedGauge(plane.adminUrl))['services[].addresses']).toBe(0);
      swap(shardFiles(withPair));
      expect(await plane.reload()).toMatchObject({ result: 'applied' });
      expect(pairWarnings()).toBe(1);
      expect((await unservedGauge(plane.adminUrl))['services[].addresses']).toBe(1);
      swap(shardFiles(plain));
      expect(await plane.reload()).toMatchObject({ result: 'applied' });
      expect(pairWarnings()).toBe(1);
      expect((await unservedGauge(plane.adminUrl))['services[].addresses']).toBe(0);
    } finally {
      await plane.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
