import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { Agent, request } from 'undici';
import { freePort, spawnServe, waitReady } from './serve-process';
import { synthesizeApp } from '../../src/cli/dev-synth';
import { kubeletDir } from '../dataplane/config-files';
import { tempDirs } from '../support/temp-dirs';
import { selfSignedCertificate } from '../support/tls-certificates';

jest.setTimeout(180_000);
const root = join(__dirname, '..', '..');
const tempDir = tempDirs();

interface ConfigMap {
  metadata: { name: string; labels: Record<string, string> };
  data?: Record<string, string>;
  binary_data?: Record<string, string>;
}

/**
 * The round trip: synthesize the example app, take its ConfigMaps' data exactly as Terraform would
 * apply it, mount it as kubelet would, and run `aigw serve` on it. No upstream is called: the
 * example's backends are public providers, and this machine talks to loopback only.
 */
test('aigw serve runs on exactly what the example app synthesizes', async () => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' });
  const out = tempDir('aigw-roundtrip-');
  process.env.CDKTF_CONTEXT_JSON = JSON.stringify({ 'aigw:lockFile': join(out, 'aigw.lock.json') });
  try {
    await synthesizeApp(join(root, 'examples', 'fleet'), out, new AbortController().signal);
  } finally {
    delete process.env.CDKTF_CONTEXT_JSON;
  }
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { stacks: Record<string, { synthesizedStackPath: string }> };
  const tf = JSON.parse(readFileSync(join(out, Object.values(manifest.stacks)[0].synthesizedStackPath), 'utf8'));
  const prodShards = (Object.values(tf.resource.kubernetes_config_map_v1) as ConfigMap[]).filter((cm) => cm.metadata.labels['app.kubernetes.io/instance'] === 'prod');
  expect(prodShards.length).toBeGreaterThan(0);

  // The volume's files: ConfigMap data as text, binary_data base64-decoded, exactly as kubelet writes them.
  const files = new Map<string, Buffer>();
  for (const cm of prodShards) {
    for (const [k, v] of Object.entries(cm.data ?? {})) files.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(cm.binary_data ?? {})) files.set(k, Buffer.from(v, 'base64'));
  }
  const { dir } = kubeletDir(files);
  const keys = { checkout: 'sk-checkout-roundtrip', admin: 'sk-admin-roundtrip' };
  const [port, tlsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  // The example's Domain has TLS: its kubernetes.io/tls Secret, here a self-signed certificate for its host.
  const cert = selfSignedCertificate('ai.example.com');
  const serve = spawnServe(['--config', dir, '--port', String(port), '--tls-port', String(tlsPort), '--admin-port', String(adminPort), '--host', '127.0.0.1'], {
    AIGW_SECRET_AI_EXAMPLE_TLS_TLS_CRT: cert.cert,
    AIGW_SECRET_AI_EXAMPLE_TLS_TLS_KEY: cert.key,
    AIGW_SECRET_CONSUMER_KEYS_CHECKOUT_TEAM: keys.checkout,
    AIGW_SECRET_CONSUMER_KEYS_PLATFORM_ADMIN: keys.admin,
    AIGW_SECRET_LLM_KEYS_OPENAI: 'unused',
    AIGW_SECRET_LLM_KEYS_DASHSCOPE: 'unused',
    AIGW_SECRET_UPSTREAM_TOKENS_WEATHER: 'unused',
    AIGW_SECRET_AGENT_KEYS_DIFY_SUPPORT: 'unused',
    // The example's mcpSessionKey: at least 32 bytes.
    AIGW_SECRET_AIGW_MCP_SESSION_KEY: 'roundtrip-session-key-0123456789abcdef',
  });
  try {
    await waitReady(`http://127.0.0.1:${adminPort}`, 60_000, serve.exited);
    // undici's request, not fetch: fetch does not send a custom Host header, and the routes match on host.
    const models = async (key?: string) => {
      const res = await request(`http://127.0.0.1:${port}/v1/models`, { headers: { host: 'ai.example.com', ...(key && { authorization: `Bearer ${key}` }) } });
      return { status: res.statusCode, body: (await res.body.json()) as { data?: { id: string }[] } };
    };
    const listed = await models(keys.checkout);
    expect(listed.status).toBe(200);
    expect(listed.body.data!.map((m) => m.id)).toEqual(expect.arrayContaining(['gpt-4o', 'default', 'qwen-max', 'support-bot']));
    expect((await models()).status).toBe(401);
    expect((await models('sk-not-a-consumer')).status).toBe(401);
    // The same over HTTPS and HTTP/2 on the TLS port, the certificate chosen by SNI and verified.
    const h2 = new Agent({ allowH2: true, connect: { ca: [cert.cert], servername: 'ai.example.com' } });
    try {
      const res = await request(`https://127.0.0.1:${tlsPort}/v1/models`, { dispatcher: h2, headers: { authorization: `Bearer ${keys.checkout}`, host: 'ai.example.com' } });
      expect(res.statusCode).toBe(200);
      expect(((await res.body.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toContain('gpt-4o');
    } finally {
      await h2.close();
    }
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  } finally {
    serve.child.kill('SIGKILL');
  }
});
