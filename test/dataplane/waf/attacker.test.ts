import { randomBytes } from 'crypto';
import { CONSUMER_KEYS, UPSTREAM_KEY } from '../harness';
import { type ModelWafGateway, onlyGuarded, startModelWafGateway } from './support/model-gateway';
import { sendRaw } from './support/raw-send';
import { BLOCK_ALL, expectWafRefusal, labelSets, metricsText, wafLines } from './support/waf-gateway';
import { builtInRules, IP_DENY_RULE } from '../../../src/dataplane/waf/engine';
import { rawRequest } from '../raw-http';

/**
 * The WAF from an attacker's side: what they control must not grow the gateway's metrics, trip its breakers, leak
 * its secrets or crash it.
 */

let g: ModelWafGateway;
beforeAll(async () => {
  g = await startModelWafGateway(BLOCK_ALL);
});
afterAll(() => g.close());
beforeEach(() => g.sim.reset());

const AUTH = { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json', 'user-agent': 'curl/8.5.0' };
const chatBody = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
/** A random token every request carries in what it controls: it must show up in no metric. */
const mark = () => `rnd${randomBytes(6).toString('hex')}`;

const ATTACKS = ["' OR '1'='1", '<script>alert(1)</script>', '../../etc/passwd', '; cat /etc/shadow', '%00', 'x%c0%af'];

describe('metric labels stay bounded whatever the attacker sends', () => {
  // Without the catch-all route `chat`: every path outside `/guarded` is unrouted (route label '').
  let u: ModelWafGateway;
  beforeAll(async () => {
    u = await startModelWafGateway({ ...BLOCK_ALL, customRules: [{ name: 'no-admin', target: 'path', pattern: '/admin', action: 'block' }] }, {}, onlyGuarded);
  });
  afterAll(() => u.close());

  test('1,000 requests with random paths, query names, headers and rules matched add no label value beyond the fixed rule ids and route names', async () => {
    for (let i = 0; i < 1000; i++) {
      const m = mark();
      const attack = ATTACKS[i % ATTACKS.length];
      const where = i % 4;
      const rawPath =
        where === 0 ? `/${m}/${encodeURIComponent(attack)}` // unrouted
          : where === 1 ? `/guarded/v1/${m}?${m}=${encodeURIComponent(attack)}` // an unknown endpoint of a route
            : where === 2 ? `/guarded/v1/chat/completions?${encodeURIComponent(`${m}${attack}`)}=1`
              : `/${m}/admin/${m}`;
      const answer = await sendRaw(u.gw.url, { method: i % 7 === 0 ? `X${m.slice(3, 9).toUpperCase()}` : 'POST', rawPath, headers: { ...AUTH, [`x-${m}`]: attack, referer: `https://${m}.example/${attack}` }, body: chatBody });
      expect(answer.status).toBeGreaterThanOrEqual(400);
    }
    const metrics = await metricsText(u.gw);
    expect(metrics).not.toMatch(/rnd[0-9a-f]{12}/);
    const rules = new Set([...builtInRules().map((r) => r.id), IP_DENY_RULE, 'custom:no-admin']);
    const routes = new Set(['guarded', '']);
    const sets = labelSets(metrics, 'aigw_waf_matches_total');
    expect(sets.length).toBeGreaterThan(5);
    const gateways = new Set<string>();
    for (const set of sets) {
      const labels = Object.fromEntries([...set.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      expect(Object.keys(labels).sort()).toEqual(['action', 'gateway', 'route', 'rule']);
      expect(rules.has(labels.rule) && routes.has(labels.route) && ['block', 'log'].includes(labels.action)).toBe(true);
      gateways.add(labels.gateway);
    }
    expect(gateways.size).toBe(1);
    expect(new Set(sets.map((set) => /route="([^"]*)"/.exec(set)?.[1]))).toEqual(routes);
    expect(u.sim.requests).toHaveLength(0);
  }, 60_000);
});

describe("a WAF refusal is not the backend's failure", () => {
  // A gateway of its own: the control test leaves its breaker open.
  let b: ModelWafGateway;
  beforeAll(async () => {
    b = await startModelWafGateway(BLOCK_ALL);
  });
  afterAll(() => b.close());

  test('many 403s do not open the breaker (threshold 2): the backend still serves, and was never called for them', async () => {
    for (let i = 0; i < 20; i++) expectWafRefusal(await sendRaw(b.gw.url, { method: 'POST', rawPath: '/v1/chat/completions', headers: AUTH, body: { ...chatBody, user: ATTACKS[i % 4] } }));
    expect(b.sim.requests).toHaveLength(0);
    const served = await sendRaw(b.gw.url, { method: 'POST', rawPath: '/v1/chat/completions', headers: AUTH, body: chatBody });
    expect(served.status).toBe(200);
    expect(b.sim.requests).toHaveLength(1);
  });

  test('control: two real upstream failures do open it (the breaker the test above relies on is live)', async () => {
    b.sim.failNext({ status: 500 }, 10);
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const a = await sendRaw(b.gw.url, { method: 'POST', rawPath: '/v1/chat/completions', headers: AUTH, body: chatBody });
      codes.push(`${a.status}:${/"code":"([^"]+)"/.exec(a.body)?.[1] ?? ''}`);
    }
    expect(codes).toContain('503:backends_cooling_down');
  });
});

describe('no secret in what a refusal says', () => {
  test("the consumer's key and the upstream key appear in no 403 and no WAF log line, whichever part of the request carries them", async () => {
    const before = g.gw.logs.length;
    const cases = [
      { rawPath: `/v1/chat/completions?api_key=${CONSUMER_KEYS.alice}&q=%3Cscript%3Ealert(1)%3C%2Fscript%3E`, headers: AUTH },
      { rawPath: '/v1/chat/completions', headers: { ...AUTH, 'x-api-key': CONSUMER_KEYS.alice, 'cookie': `token=${CONSUMER_KEYS.alice}; pref=%27%20OR%201%3D1--` } },
      { rawPath: '/v1/chat/completions', headers: { ...AUTH, 'user-agent': `${CONSUMER_KEYS.alice} <script>alert(1)</script>` } },
      { rawPath: '/v1/chat/completions', headers: AUTH, body: { ...chatBody, user: `${CONSUMER_KEYS.alice}' OR '1'='1`, metadata: { upstream: UPSTREAM_KEY } } },
    ];
    for (const c of cases) expectWafRefusal(await sendRaw(g.gw.url, { method: 'POST', body: chatBody, ...c }), [CONSUMER_KEYS.alice, UPSTREAM_KEY]);
    const lines = wafLines(g.gw, before);
    expect(lines).toHaveLength(cases.length);
    const logged = JSON.stringify(g.gw.logs.slice(before));
    expect(logged).not.toContain(CONSUMER_KEYS.alice);
    expect(logged).not.toContain(UPSTREAM_KEY);
  });
});

describe('what the WAF log line says of a match', () => {
  // A match's place names its parameter, cookie or key only when the name is a plain identifier; any other name is
  // shown as its position (`query:#1`), so that an attack written in a name never reaches the log.
  test('an attack in a query parameter name is not written to the log line', async () => {
    const before = g.gw.logs.length;
    expectWafRefusal(await sendRaw(g.gw.url, { method: 'POST', rawPath: '/v1/chat/completions?%3Cscript%3Ealert(1)%3C%2Fscript%3E=1', headers: AUTH, body: chatBody }));
    const lines = JSON.stringify(wafLines(g.gw, before));
    expect(lines).not.toContain('<script>alert(1)');
    expect(lines).toContain('query:#1');
  });
});

describe('request smuggling and malformed heads: answered, never a crash', () => {
  const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;
  const body = JSON.stringify(chatBody);

  test('CR or LF inside a header value, duplicate Content-Length, Content-Length with chunked, a space before the colon: 400 or closed, and the gateway serves on', async () => {
    const base = ['POST /v1/chat/completions HTTP/1.1', 'Host: localhost', `Authorization: Bearer ${CONSUMER_KEYS.alice}`, 'Content-Type: application/json'];
    const attempts = [
      head([...base, 'X-Note: a\rInjected: 1', `Content-Length: ${body.length}`]) + body,
      head([...base, 'X-Note: a\nInjected: 1', `Content-Length: ${body.length}`]) + body,
      head([...base, `Content-Length: ${body.length}`, `Content-Length: ${body.length + 5}`]) + body,
      head([...base, `Content-Length: ${body.length}`, 'Transfer-Encoding: chunked']) + `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      head([...base, `Content-Length : ${body.length}`]) + body,
      head([...base, 'Transfer-Encoding: chunked, identity']) + `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      head(['GET /v1/models HTTP/1.1', 'Host: localhost', 'X-Bad: \u0000nul', `Authorization: Bearer ${CONSUMER_KEYS.alice}`]),
    ];
    for (const request of attempts) {
      const answer = await rawRequest(g.gw.url, Buffer.from(request, 'latin1'), { end: true });
      // Node's parser refuses each before the gateway sees it (400), or the connection is closed (0): never a 2xx.
      expect([0, 400]).toContain(answer.status);
    }
    expect(g.sim.requests).toHaveLength(0);
    const served = await sendRaw(g.gw.url, { method: 'POST', rawPath: '/v1/chat/completions', headers: AUTH, body: chatBody });
    expect(served.status).toBe(200);
  });
});
