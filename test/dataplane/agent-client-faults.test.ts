import { connect } from 'net';
import { agentUpstream, type AgentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start } from './harness';
import { rawRequest } from './raw-http';
import type { TestGateway } from '../../src/testing';

let up: AgentUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await agentUpstream();
  const gateway = gatewayStack();
  const agent = gateway.addAgentRoute('agent', { kind: 'dify', pathPrefix: '/agent', baseUrl: `${up.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' }, policies: { maxBodyBytes: 1024 } });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [agent] } });
  // A short body timeout, so a stalled upload is named within the test.
  gw = await start(gateway, (c) => ({ ...c, limits: { ...c.limits, bodyTimeoutMs: 200 } }));
});

afterAll(async () => {
  await gw.close();
  await up.close();
});

const head = (extra: string) => `POST /agent/chat-messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CONSUMER_KEYS.alice}\r\nContent-Type: application/json\r\n${extra}\r\n`;
const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
const accessLines = () => gw.logs.filter((l) => l.msg === 'access');

/** After every client fault, the agent still answers the next request: nothing shared was charged. */
async function agentStillServes(): Promise<void> {
  const res = await fetch(`${gw.url}/agent/chat-messages`, { method: 'POST', headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` }, body: '{"query":"hi"}' });
  expect(res.status).toBe(200);
  await res.text();
  expect(gw.plane.snapshot.upstreams.get('agent:agent')!.breaker.state).toBe('closed');
}

describe('agent routes: client faults are the client’s, never the agent’s', () => {
  test('a chunked body that grows past the limit gets 413', async () => {
    const big = 'x'.repeat(700);
    const res = await rawRequest(gw.url, `${head('Transfer-Encoding: chunked\r\n')}${chunk(big)}${chunk(big)}0\r\n\r\n`);
    expect(res.status).toBe(413);
    expect(res.body).toContain('request_too_large');
    await agentStillServes();
  });

  test('a body that stalls past limits.bodyTimeoutMs gets 408, not a 504 from waiting on the agent', async () => {
    const res = await rawRequest(gw.url, `${head('Content-Length: 100\r\n')}{"query":"st`);
    expect(res.status).toBe(408);
    expect(res.body).toContain('request_body_timeout');
    await agentStillServes();
  });

  test('a client that goes away mid-body is logged as 499 client_aborted, never 502 upstream_unreachable', async () => {
    const before = accessLines().length;
    await new Promise<void>((resolve) => {
      const { hostname, port } = new URL(gw.url);
      const socket = connect(Number(port), hostname, () => {
        socket.write(`${head('Content-Length: 1000\r\n')}{"query":"cut`);
        // Let the gateway start the upstream request with the partial body, then vanish.
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
    });
    await agentStillServes();
    const lines = accessLines().slice(before);
    expect(lines[0]).toMatchObject({ status: 499, error: 'client_aborted' });
    expect(gw.logs.some((l) => l.error === 'upstream_unreachable' || l.status === 502 || l.msg === 'unhandled error in the request path')).toBe(false);
  });
});
