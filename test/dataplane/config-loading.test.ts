import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { kubeletDir, plainDir, shardFiles } from './config-files';
import { gatewayStack } from './harness';
import { Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { FileAndEnvSecrets, loadConfigDir, secretEnvName } from '../../src/dataplane';
import { compileSnapshot, CompileError } from '../../src/dataplane/compile/snapshot';
import { readConfig } from '../../src/dataplane/config-load';
import { MAX_CONFIG_NESTING } from '../../src/specs';
import { tempDirs } from '../support/temp-dirs';

const tempDir = tempDirs();

function exampleConfig(routes = 3) {
  const gateway = gatewayStack();
  const backend = Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });
  for (let i = 0; i < routes; i++) gateway.addModelRoute(`r${i}`, { pathPrefix: `/r${i}`, models: [{ name: `model-${i}-${'x'.repeat(40)}`, targets: [{ backend }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: 'all' });
  return synthesizedGatewayConfig(gateway);
}

describe('loading the config directory', () => {
  test('a kubelet-style directory (..data symlink) loads, and an atomic swap is seen whole', () => {
    const first = exampleConfig(3);
    const second = exampleConfig(5);
    const { dir, swap } = kubeletDir(shardFiles(first.config, 2048));
    const a = loadConfigDir(dir);
    expect(a.ok && a.hash).toBe(first.hash);
    swap(shardFiles(second.config, 2048));
    const b = loadConfigDir(dir);
    expect(b.ok && b.config.modelRoutes).toHaveLength(5);
  });

  test('a half-updated set (shards of two configs) is refused, naming the reason', () => {
    const one = shardFiles(exampleConfig(20).config, 256);
    const two = shardFiles(exampleConfig(21).config, 256);
    const mixed = new Map(one);
    mixed.set('shard-001.meta.json', two.get('shard-001.meta.json')!);
    mixed.set('shard-001.json.gz', two.get('shard-001.json.gz')!);
    const result = loadConfigDir(plainDir(mixed));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/disagree on the config hash|expected \d+ shards/);
  });

  test('a missing directory or an empty one is a clear failure', () => {
    expect(loadConfigDir('/nonexistent/aigw')).toEqual({ ok: false, reason: expect.stringContaining('cannot read config directory /nonexistent/aigw') });
    expect(loadConfigDir(tempDir('aigw-empty-'))).toEqual({ ok: false, reason: 'no shard-NNN.meta.json file found' });
  });
});

describe('a bad value never throws out of loading', () => {
  test('a malformed URL and a value nested 2,000 levels deep are reasons naming the field and the value', () => {
    const { config } = exampleConfig(1);
    const badUrl = structuredClone(config);
    badUrl.backends[0].baseUrl = 'not a url';
    const deep = structuredClone(config);
    const nested = JSON.parse(`${'['.repeat(2_000)}${']'.repeat(2_000)}`) as string;
    deep.extensions = [{ name: 'x', source: 'system', phase: 'default', priority: 0, failPolicy: 'open', enabled: false, config: { nested } }];
    const dirs = [plainDir(shardFiles(badUrl)), plainDir(shardFiles(deep))];
    try {
      expect(readConfig({ dir: dirs[0] })).toEqual({ ok: false, reason: 'invalid config: backends[0].baseUrl: must be an http(s) URL, found "not a url"' });
      expect(readConfig({ dir: dirs[1] })).toEqual({ ok: false, reason: `invalid config: extensions[0].config.nested[0][0][0][0]…: nested more than ${MAX_CONFIG_NESTING} levels deep` });
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('secrets', () => {
  const ref = { secretName: 'consumer-keys', key: 'alice' };

  test('are read from the mounted Secret files (trailing newline dropped), or from the environment', () => {
    const dir = tempDir('aigw-secrets-');
    mkdirSync(join(dir, 'consumer-keys'));
    writeFileSync(join(dir, 'consumer-keys', 'alice'), 'from-file\n');
    expect(new FileAndEnvSecrets(dir, {}).read(ref)).toBe('from-file');
    expect(secretEnvName(ref)).toBe('AIGW_SECRET_CONSUMER_KEYS_ALICE');
    expect(new FileAndEnvSecrets(dir, { AIGW_SECRET_CONSUMER_KEYS_ALICE: 'from-env' }).read(ref)).toBe('from-env');
    expect(new FileAndEnvSecrets(undefined, {}).read(ref)).toBeUndefined();
  });

  test('a missing secret stops compilation, naming the field, the Secret and where it was looked for', () => {
    const { config, hash } = exampleConfig(1);
    const secrets = new FileAndEnvSecrets('/var/run/secrets/aigw', { AIGW_SECRET_LLM_KEYS_OPENAI: 'sk' });
    expect(() => compileSnapshot(config, hash, secrets)).toThrow(CompileError);
    expect(() => compileSnapshot(config, hash, secrets)).toThrow(
      'consumers[0] (alice).apiKey: secret consumer-keys/alice not found (looked in /var/run/secrets/aigw/consumer-keys/alice or $AIGW_SECRET_CONSUMER_KEYS_ALICE)',
    );
  });

  test('two consumers with the same key are refused', () => {
    const gateway = gatewayStack();
    const r = gateway.addModelRoute('r', { models: [{ name: 'm', targets: [{ backend: Backend.vllm({ baseUrl: 'http://vllm:8000/v1' }) }] }] });
    gateway.addConsumer('a', { apiKey: { secretName: 'k', key: 'a' }, grants: { routes: [r] } });
    gateway.addConsumer('b', { apiKey: { secretName: 'k', key: 'b' }, grants: { routes: [r] } });
    const { config, hash } = synthesizedGatewayConfig(gateway);
    expect(() => compileSnapshot(config, hash, new FileAndEnvSecrets(undefined, { AIGW_SECRET_K_A: 'same', AIGW_SECRET_K_B: 'same' }))).toThrow(
      "consumers[1] (b): has the same API key as consumer 'a'",
    );
  });
});
