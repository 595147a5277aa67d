import { writeFileSync } from 'fs';
import { join } from 'path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import Redis from 'ioredis';
import OpenAI from 'openai';
import { type AiGateway, AiGatewayFleet, Backend } from '../../../src';
import { compileSnapshot } from '../../../src/dataplane/compile/snapshot';
import type { TokenQuotaConfig } from '../../../src/extensions/system';
import type { SecretRef } from '../../../src/specs';
import { startTestGateway, synthesizedGatewayConfig, type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { eventually } from '../../support/eventually';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';
import { tempDirs } from '../../support/temp-dirs';

/**
 * token-quota end to end, and the extensions' admin API it is read and topped up through: a gateway built with the
 * constructs, run by startTestGateway on the simulator with a real redis-server as its store; clients are the openai
 * SDK (traffic) and fetch (the admin listener, as curl would call it).
 */
const KEY = 'sk-quota-alice';
const ADMIN_TOKEN = 'admin-token-of-the-quota-test-0123456789';
const ADMIN_SECRET = { secretName: 'aigw-admin', key: 'token' };

let sim: UpstreamSimulator;
let redis: TestRedisServer;

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'quota' });
  redis = await startRedisServer();
});
afterAll(async () => {
  await sim?.close();
  await redis?.stop();
});
beforeEach(() => sim.reset());
const tempDir = tempDirs();

/** A Dedicated gateway: one model route, consumers alice and bob, token-quota, and `declare`'s extras. */
function quotaGateway(config: TokenQuotaConfig, options: { adminToken?: boolean; declare?: (g: AiGateway<'dedicated'>) => void } = {}): AiGateway<'dedicated'> {
  const stack = new TerraformStack(Testing.app(), 'quota');
  new KubernetesProvider(stack, 'k8s', {});
  const gateway = new AiGatewayFleet(stack, 'fleet', { region: 'test' }).addGateway('gw', {
    edition: 'dedicated',
    spec: 'aigw.small.x1',
    ...((options.adminToken ?? true) && { adminToken: ADMIN_SECRET }),
  });
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: { routes: [route] } });
  gateway.addExtension('quota', { name: 'token-quota', source: 'system', config });
  options.declare?.(gateway);
  return gateway;
}

/** Runs the gateway on the simulator, its store the test's redis-server (a prefix of its own per gateway). */
async function start(gateway: AiGateway<'dedicated'>): Promise<{ gw: TestGateway; sdk: OpenAI }> {
  const gw = await startTestGateway(gateway, {
    upstream: sim,
    consumers: { alice: KEY, bob: 'sk-quota-bob' },
    secrets: { [`${ADMIN_SECRET.secretName}/${ADMIN_SECRET.key}`]: ADMIN_TOKEN },
    transform: (c) => ({ ...c, redis: { address: redis.address, keyPrefix: `quota-${Math.random().toString(36).slice(2)}:` } }),
  });
  return { gw, sdk: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 }) };
}

const hello = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Say hello' }] };

/** A call on the admin listener, as an operator makes it. */
async function admin(
  gw: TestGateway,
  method: string,
  path: string,
  options: { token?: string | null; body?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { ...(token !== null && { authorization: `Bearer ${token}` }), ...(options.body !== undefined && { 'content-type': 'application/json' }) },
    body: options.body,
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** Runs `call`, then waits for its access line: the request's charge is sent to Redis when that line is written. */
async function logged(gw: TestGateway, call: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const lines = () => gw.logs.filter((l) => l.msg === 'access');
  const before = lines().length;
  await call();
  await eventually(() => lines().length > before, 15_000, { describe: () => 'no access line was written' });
  return lines()[before];
}

/** alice's used tokens of the day, once they reach `expected` (the charge lands just after the answer). */
async function usedReaches(gw: TestGateway, expected: number): Promise<void> {
  let seen: unknown;
  await eventually(
    async () => {
      seen = (await admin(gw, 'GET', '/extensions/token-quota/consumers/alice')).body.day?.used;
      return seen === expected;
    },
    15_000,
    { describe: () => `alice's day shows ${JSON.stringify(seen)} used, not ${expected}` },
  );
}

test('a daily budget: requests pass and are charged their usage; a spent day is refused with a 429 naming the fix; a top-up with the admin token lets alice through again', async () => {
  const { gw, sdk } = await start(quotaGateway({ daily: 1 }));
  try {
    // One token left: admitted (the check is before the charge), and charged what it used.
    const first = await logged(gw, () => sdk.chat.completions.create(hello));
    const total = (first.inputTokens as number) + (first.outputTokens as number);
    expect(total).toBeGreaterThan(1);
    await usedReaches(gw, total);

    const refused = await sdk.chat.completions.create(hello).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect(refused).toMatchObject({ status: 429, type: 'insufficient_quota', code: 'token_quota_exceeded' });
    const today = new Date().toISOString().slice(0, 10);
    expect((refused as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
      message: `Consumer 'alice' has used its daily token quota: ${total} of 1 tokens on ${today} (UTC). It renews at 00:00 UTC; an operator can top it up (POST /extensions/token-quota/consumers/alice/topup on the admin listener).`,
    });
    expect(Number((refused as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(sim.requests).toHaveLength(1);

    // The SDKs' own retries (on by default) do not hammer a spent quota: the answer tells them not to.
    const refusals = () => gw.logs.filter((l) => l.msg === 'access' && l.status === 429).length;
    const before = refusals();
    await expect(new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY }).chat.completions.create(hello)).rejects.toMatchObject({ status: 429 });
    await eventually(() => refusals() > before);
    expect(refusals()).toBe(before + 1);

    // Bob has a balance of his own.
    await new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-quota-bob', maxRetries: 0 }).chat.completions.create(hello);

    // The balance, read with the admin token.
    const balance = await admin(gw, 'GET', '/extensions/token-quota/consumers/alice');
    expect(balance).toMatchObject({ status: 200, body: { consumer: 'alice', day: { window: today, limit: 1, used: total, toppedUp: 0, remaining: 1 - total }, month: null } });
    expect(balance.headers.get('content-type')).toBe('application/json');

    // A top-up without the token, or with another, changes nothing.
    const topUp = JSON.stringify({ tokens: total, window: 'day' });
    expect(await admin(gw, 'POST', '/extensions/token-quota/consumers/alice/topup', { token: null, body: topUp })).toMatchObject({
      status: 401,
      body: { error: { code: 'admin_token_required', message: expect.stringContaining('Authorization: Bearer <token>') } },
    });
    const wrongToken = await admin(gw, 'POST', '/extensions/token-quota/consumers/alice/topup', { token: 'not-the-admin-token-at-all', body: topUp });
    expect(wrongToken.status).toBe(401);
    // Refused before its body is read: the connection closes rather than read a stranger's body to its end.
    expect(wrongToken.headers.get('connection')).toBe('close');
    expect((await admin(gw, 'GET', '/extensions/token-quota/consumers/alice', { token: null })).status).toBe(401);
    await expect(sdk.chat.completions.create(hello)).rejects.toMatchObject({ status: 429 });

    // With it: the day grows by the top-up, and alice passes again.
    expect(await admin(gw, 'POST', '/extensions/token-quota/consumers/alice/topup', { body: topUp })).toMatchObject({
      status: 200,
      body: { consumer: 'alice', day: { limit: 1, used: total, toppedUp: total, remaining: 1 } },
    });
    await expect(sdk.chat.completions.create(hello)).resolves.toMatchObject({ object: 'chat.completion' });

    // The balances live in the gateway's Redis, under the extension's prefix.
    const store = new Redis(redis.port, '127.0.0.1');
    try {
      const own = 'ext:token-quota:';
      const keys = (await store.keys(`${gw.config.redis!.keyPrefix}*${own}*`)).map((k) => k.slice(k.indexOf(own)));
      expect(keys).toEqual(expect.arrayContaining([`ext:token-quota:topup:day:${today}:alice`, `ext:token-quota:used:day:${today}:alice`, `ext:token-quota:used:day:${today}:bob`]));
    } finally {
      store.disconnect();
    }
  } finally {
    await gw.close();
  }
});

test('a streamed answer is charged too, what its access line says it used', async () => {
  const { gw, sdk } = await start(quotaGateway({ daily: 1_000_000, monthly: 10_000_000 }));
  try {
    const line = await logged(gw, async () => {
      const stream = await sdk.chat.completions.create({ ...hello, stream: true });
      for await (const _chunk of stream) {
        // read to the end
      }
    });
    expect(line.stream).toBe(true);
    const charged = line.inputTokens !== undefined ? (line.inputTokens as number) + (line.outputTokens as number) : (line.estimatedTokens as number);
    expect(charged).toBeGreaterThan(0);
    await usedReaches(gw, charged);
    expect((await admin(gw, 'GET', '/extensions/token-quota/consumers/alice')).body.month).toMatchObject({ used: charged, limit: 10_000_000 });
  } finally {
    await gw.close();
  }
});

test('a stream the client leaves after its first chunk is charged its prompt (no usage report came): the quota cannot be dodged by hanging up', async () => {
  const slow = await UpstreamSimulator.start({ name: 'quota-slow', chunkDelayMs: 50 });
  const gw = await startTestGateway(quotaGateway({ daily: 1_000_000 }), {
    upstream: slow,
    consumers: { alice: KEY, bob: 'sk-quota-bob' },
    secrets: { [`${ADMIN_SECRET.secretName}/${ADMIN_SECRET.key}`]: ADMIN_TOKEN },
    transform: (c) => ({ ...c, redis: { address: redis.address, keyPrefix: `quota-${Math.random().toString(36).slice(2)}:` } }),
  });
  try {
    const sdk = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const prompt = 'Summarize this paragraph about quotas. '.repeat(30);
    const line = await logged(gw, async () => {
      const stream = await sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: prompt }], stream: true });
      for await (const _chunk of stream) {
        stream.controller.abort();
        break;
      }
    });
    expect(line.aborted).toBe(true);
    let used = 0;
    await eventually(
      async () => {
        used = (await admin(gw, 'GET', '/extensions/token-quota/consumers/alice')).body.day?.used ?? 0;
        return used > 0;
      },
      15_000,
      { describe: () => 'the aborted stream was charged nothing' },
    );
    // The prompt's estimate at least (about a token per four characters of its ~1,200).
    expect(used).toBeGreaterThan(100);
  } finally {
    await gw.close();
    await slow.close();
  }
});

test('without an adminToken the admin API of extensions answers 403 to every call, saying how to turn it on', async () => {
  const { gw } = await start(quotaGateway({ daily: 100 }, { adminToken: false }));
  try {
    for (const [method, body] of [['GET', undefined], ['POST', '{"tokens":5,"window":"day"}']] as const) {
      for (const token of [ADMIN_TOKEN, null]) {
        const answer = await admin(gw, method, `/extensions/token-quota/consumers/alice${method === 'POST' ? '/topup' : ''}`, { token, body });
        expect(answer.status).toBe(403);
        expect(answer.body.error.message).toMatch(/^the admin API of extensions is off: set adminToken on the gateway \(a SecretRef/);
      }
    }
  } finally {
    await gw.close();
  }
});

test('the admin API: unknown extensions, bad bodies and a failing hook get JSON errors naming the fix; the probes still answer', async () => {
  const modulePath = join(tempDir('aigw-quota-broken-'), 'broken-admin.js');
  writeFileSync(modulePath, "module.exports = { name: 'broken-admin', onAdmin() { throw new Error('broken on purpose'); } };\n");
  const { gw } = await start(quotaGateway({ daily: 100 }, { declare: (g) => g.addExtension('broken', { name: 'broken-admin', source: 'custom', modulePath }) }));
  try {
    expect(await admin(gw, 'GET', '/extensions/nope/x')).toMatchObject({
      status: 404,
      body: { error: { code: 'extension_not_found', message: expect.stringContaining('where the extensions with an admin API are: token-quota, broken-admin') } },
    });
    expect(await admin(gw, 'POST', '/extensions/token-quota/consumers/alice/topup', { body: '{"tokens": ' })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_json', message: expect.stringContaining('send a JSON object with content-type: application/json') } },
    });
    const large = await admin(gw, 'POST', '/extensions/token-quota/consumers/alice/topup', { body: JSON.stringify({ tokens: 1, window: 'day', pad: 'x'.repeat(70_000) }) });
    expect(large).toMatchObject({ status: 413, body: { error: { code: 'body_too_large', message: expect.stringContaining('larger than 65536 bytes') } } });
    expect(await admin(gw, 'GET', '/extensions/token-quota/consumers/mallory')).toMatchObject({ status: 404, body: { error: { message: expect.stringContaining("no consumer 'mallory'") } } });
    expect(await admin(gw, 'GET', '/extensions/broken-admin/anything')).toMatchObject({
      status: 500,
      body: { error: { code: 'extension_failed', message: "extension 'broken-admin' failed to answer this admin call: its error is in the gateway's log (hook onAdmin)" } },
    });
    expect(gw.logs.some((l) => l.msg === 'extension hook failed' && l.extension === 'broken-admin' && l.hook === 'onAdmin')).toBe(true);
    expect((await fetch(`${gw.adminUrl}/healthz`)).status).toBe(200);
  } finally {
    await gw.close();
  }
});

test('the admin token is checked at load: a missing secret and a short token are config problems, named with the fix', async () => {
  const { config } = synthesizedGatewayConfig(quotaGateway({ daily: 100 }));
  const values: Record<string, string> = { 'consumer-keys/alice': KEY, 'consumer-keys/bob': 'sk-quota-bob', 'llm-keys/openai': 'sk-upstream' };
  const source = { read: (ref: SecretRef) => values[`${ref.secretName}/${ref.key}`], describe: () => 'the test' };
  expect(() => compileSnapshot(config, 'h', source)).toThrow('admin.token: secret aigw-admin/token not found (looked in the test)');
  await expect(
    startTestGateway(quotaGateway({ daily: 100 }), { upstream: sim, consumers: { alice: KEY, bob: 'sk-quota-bob' }, secrets: { 'aigw-admin/token': 'short' } }),
  ).rejects.toThrow('admin.token: secret aigw-admin/token is 5 bytes; at least 16 are needed (a random token: `openssl rand -hex 32`)');
});
