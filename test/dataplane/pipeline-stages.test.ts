import { request } from 'http';
import type { Socket } from 'net';
import { agentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import { rejectConnection } from '../../src/dataplane/capacity';
import { ENDPOINTS } from '../../src/dataplane/endpoints';
import { Errors } from '../../src/dataplane/errors';
import { ANSWER_STAGES, STAGES } from '../../src/dataplane/pipeline';
import { UpstreamSimulator } from '../../src/testing';

describe('the request path is a list of named stages', () => {
  test('in order; stages with nothing to do yet are not run', () => {
    expect(STAGES.map((s) => s.name)).toEqual(['accept', 'identify', 'route', 'inspect', 'cors', 'endpoint', 'authorize', 'read', 'capture', 'request-extensions', 'limits', 'attempts']);
    expect(ANSWER_STAGES.map((s) => s.name)).toEqual(['response-extensions', 'account']);
    expect([...STAGES, ...ANSWER_STAGES].filter((s) => s.run === undefined).map((s) => s.name)).toEqual(['response-extensions']);
  });
});

describe('errors come from the one catalog', () => {
  test('the unknown-endpoint 404 names every endpoint the gateway serves', () => {
    const message = Errors.noEndpoint('/v1/nope').message;
    for (const e of Object.values(ENDPOINTS)) expect(message).toContain(`/v1${e.suffix}`);
    expect(message).toMatch(/, \/v1\/models, \/v1\/models\/{id} or \/v1\/responses\/{id}\.$/);
  });

  test("an excess connection's raw 503 is the catalog's error", () => {
    let written = '';
    const socket = { end: (data: string) => void (written = data), setTimeout: () => undefined } as unknown as Socket;
    rejectConnection(socket);
    const error = Errors.tooManyConnections();
    expect(written).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(written).toContain('\r\nConnection: close\r\n');
    expect(written).toContain('\r\nRetry-After: 1\r\n');
    expect(written.endsWith(`\r\n\r\n${error.body()}`)).toBe(true);
    expect(written).toContain(`Content-Length: ${Buffer.byteLength(error.body())}\r\n`);
  });
});

describe('the grant check happens once, in the authorize stage, for every kind of route', () => {
  let sim: UpstreamSimulator;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
  });
  afterAll(() => sim.close());

  test('an agent route without a grant: 403 before anything reaches the agent', async () => {
    const up = await agentUpstream();
    const gateway = gatewayStack();
    gateway.addAgentRoute('agent', { kind: 'custom', pathPrefix: '/agents/a', baseUrl: `${up.url}/api`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
    const chat = gateway.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat] } });
    const gw = await start(gateway);
    try {
      const res = await fetch(`${gw.url}/agents/a/run`, { method: 'POST', headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` }, body: '{}' });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'not_granted' } });
      expect(up.seen).toHaveLength(0);
    } finally {
      await gw.close();
      await up.close();
    }
  });

  test('a model route: the caller is refused before its body is read; the endpoint and method are checked before the caller', async () => {
    const gateway = gatewayStack();
    gateway.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
    const gw = await start(gateway);
    try {
      // A body announced but never sent: the 401 comes at once, not after the body timeout.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        req.flushHeaders();
      });
      expect(status).toBe(401);
      expect((await fetch(`${gw.url}/v1/chat/completions`)).status).toBe(405);
      const unknown = await fetch(`${gw.url}/v1/nope`, { method: 'POST', body: '{}' });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { code: 'endpoint_not_found' } });
    } finally {
      await gw.close();
    }
  });
});
