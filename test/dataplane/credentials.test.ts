import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { agentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start, UPSTREAM_KEY } from './harness';
import { rawRequest } from './raw-http';
import { Backend } from '../../src';
import { UpstreamSimulator } from '../../src/testing';

/** What a client might carry for the gateway (or for some other site) that must never reach an upstream. */
const CLIENT_CREDENTIALS = { 'cookie': 'session=client-session-cookie', 'proxy-authorization': 'Basic Y2xpZW50OnByb3h5LXNlY3JldA==' };

/** No header value the upstream received carries anything of the client's credentials. */
function expectNoClientCredentials(headers: Record<string, string | string[] | undefined>): void {
  expect(headers.cookie).toBeUndefined();
  expect(headers['proxy-authorization']).toBeUndefined();
  const all = JSON.stringify(headers);
  for (const secret of [CONSUMER_KEYS.alice, 'client-session-cookie', CLIENT_CREDENTIALS['proxy-authorization']]) expect(all).not.toContain(secret);
}

test("model routes: the upstream gets the backend's key, never the client's Authorization, x-api-key, Cookie or Proxy-Authorization", async () => {
  const gpt = await UpstreamSimulator.start({ name: 'gpt' });
  const claude = await UpstreamSimulator.start({ name: 'claude' });
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', {
    models: [
      { name: 'gpt-4o', targets: [{ backend: new Backend({ provider: 'openai', baseUrl: `${gpt.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } }) }] },
      { name: 'claude-sonnet-4', targets: [{ backend: new Backend({ provider: 'anthropic', baseUrl: `${claude.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } }) }] },
    ],
  });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const gw = await start(gateway);
  try {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0, defaultHeaders: { ...CLIENT_CREDENTIALS, 'x-api-key': CONSUMER_KEYS.alice } });
    await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true }).then(async (s) => {
      for await (const _ of s);
    });
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: CONSUMER_KEYS.alice, maxRetries: 0, defaultHeaders: { ...CLIENT_CREDENTIALS, authorization: `Bearer ${CONSUMER_KEYS.alice}` } });
    await anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

    expect(gpt.requests).toHaveLength(2);
    for (const r of gpt.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
      expect(r.headers['x-api-key']).toBeUndefined();
      expectNoClientCredentials(r.headers);
    }
    expect(claude.requests).toHaveLength(1);
    expect(claude.requests[0].headers['x-api-key']).toBe(UPSTREAM_KEY);
    expect(claude.requests[0].headers.authorization).toBeUndefined();
    expectNoClientCredentials(claude.requests[0].headers);
  } finally {
    await gw.close();
    await gpt.close();
    await claude.close();
  }
});

test("agent routes: the agent gets its route's key; the client's Authorization, x-api-key, Cookie, Proxy-Authorization and Connection-named headers stay behind", async () => {
  const up = await agentUpstream();
  const gateway = gatewayStack();
  const withKey = gateway.addAgentRoute('with-key', { kind: 'dify', pathPrefix: '/keyed', baseUrl: `${up.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const keyless = gateway.addAgentRoute('keyless', { kind: 'custom', pathPrefix: '/keyless', baseUrl: `${up.url}/v1` });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [withKey, keyless] } });
  const gw = await start(gateway);
  try {
    for (const [prefix, auth] of [
      ['/keyed', { authorization: `Bearer ${CONSUMER_KEYS.alice}` }],
      ['/keyless', { 'x-api-key': CONSUMER_KEYS.alice }],
    ] as const) {
      const res = await fetch(`${gw.url}${prefix}/chat-messages`, {
        method: 'POST',
        headers: { ...auth, ...CLIENT_CREDENTIALS, 'x-trace-id': 't-1', 'content-type': 'application/json' },
        body: '{"query":"hi"}',
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    // A header the client's Connection header names is hop-by-hop (RFC 9110 §7.6.1): it ends at the gateway.
    const raw = await rawRequest(gw.url, `GET /keyed/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CONSUMER_KEYS.alice}\r\nConnection: close, x-hop\r\nX-Hop: for-the-gateway\r\n\r\n`);
    expect(raw.status).toBe(200);
    expect(up.seen[2].headers['x-hop']).toBeUndefined();
    expect(up.seen[2].headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    const [keyed, keyless2] = up.seen;
    expect(keyed.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    // A route without a key of its own sends no credential at all: the client's is not a fallback.
    expect(keyless2.headers.authorization).toBeUndefined();
    expect(keyless2.headers['x-api-key']).toBeUndefined();
    for (const r of up.seen.slice(0, 2)) {
      expectNoClientCredentials(r.headers);
      // Ordinary headers still pass.
      expect(r.headers['x-trace-id']).toBe('t-1');
    }
  } finally {
    await gw.close();
    await up.close();
  }
});
