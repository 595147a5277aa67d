import { type ModelWafGateway, startModelWafGateway } from './support/model-gateway';
import { type RawSpec, sendRaw } from './support/raw-send';
import { accessLineWhere, type Answer, BLOCK_ALL, expectWafRefusal, metricsText, type RouteWafs, seriesValue, wafLines } from './support/waf-gateway';
import { checkGatewayConfig, type WafConfig } from '../../../src/specs';
import { synthesizedGatewayConfig } from '../../../src/testing';
import { CONSUMER_KEYS, gatewayStack } from '../harness';

/**
 * The WAF's settings through the real server: detect mode, a route's own mode, families, message inspection and
 * threshold over the gateway's, custom rules, the IP deny list and trusted proxies.
 */

const AUTH = { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json', 'user-agent': 'OpenAI/JS 6.30.1' };
const MATCHES = 'aigw_waf_matches_total';

/** A chat request to route `chat` (prefix '') or `guarded` ('/guarded'), its body given extra fields. */
function chat(prefix: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, query = ''): RawSpec {
  return {
    method: 'POST',
    rawPath: `${prefix}/v1/chat/completions${query}`,
    headers: { ...AUTH, ...headers },
    body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello.' }], ...extra },
  };
}

/** One gateway per describe: its settings, started before and closed after its tests. */
function gatewayWith(waf: WafConfig, routes: RouteWafs = {}): { get: () => ModelWafGateway; send: (spec: RawSpec) => Promise<Answer> } {
  let g: ModelWafGateway | undefined;
  beforeAll(async () => {
    g = await startModelWafGateway(waf, routes);
  });
  afterAll(() => g?.close());
  return { get: () => g!, send: (spec) => sendRaw(g!.gw.url, spec) };
}

const SQLI = "1' UNION SELECT password FROM users--";
const XSS = '<svg onload=alert(1)>';

describe('detect mode: served, counted with action log, logged with the request id the access line has', () => {
  const gw = gatewayWith({ ...BLOCK_ALL, mode: 'detect' });

  test('an attack in `user` is served; the match is counted, logged and on the access line, never its value', async () => {
    const { gw: server, sim } = gw.get();
    const before = server.logs.length;
    const answer = await gw.send(chat('', { user: SQLI }));
    expect(answer.status).toBe(200);
    expect(sim.requests).toHaveLength(1);
    const [line] = wafLines(server, before);
    expect(line).toMatchObject({ msg: 'waf: request matched', mode: 'detect', action: 'log', route: 'chat', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const rules = (line.matches as { rule: string; target: string }[]).map((m) => m.rule);
    expect(rules.some((r) => r.startsWith('sqli-'))).toBe(true);
    expect((line.matches as { target: string }[])[0].target).toBe('body:/user');
    const access = await accessLineWhere(server, 'requestId', line.requestId, before);
    expect(access).toMatchObject({ status: 200, route: 'chat', wafRules: rules.join(',') });
    expect(JSON.stringify(server.logs.slice(before))).not.toContain('UNION SELECT');
    const metrics = await metricsText(server);
    for (const rule of rules) expect(seriesValue(metrics, MATCHES, { route: 'chat', rule, action: 'log' })).toBe(1);
    expect(seriesValue(metrics, MATCHES, { action: 'block' })).toBe(0);
  });

  test('a benign request leaves no WAF trace: no log line, no request id on its access line', async () => {
    const { gw: server } = gw.get();
    const before = server.logs.length;
    expect((await gw.send(chat('', { user: 'user-42' }))).status).toBe(200);
    expect(wafLines(server, before)).toEqual([]);
    const access = await accessLineWhere(server, 'path', '/v1/chat/completions', before);
    expect(access.requestId).toBeUndefined();
    expect(access.wafRules).toBeUndefined();
  });
});

describe("block mode: the refusal's request id is the log line's and the access line's; counted with action block", () => {
  const gw = gatewayWith(BLOCK_ALL);

  test('a blocked request', async () => {
    const { gw: server } = gw.get();
    const before = server.logs.length;
    const { requestId, rules } = expectWafRefusal(await gw.send(chat('', {}, { referer: `https://x.example/?q=${encodeURIComponent(XSS)}` })), [XSS]);
    const [line] = wafLines(server, before);
    expect(line).toMatchObject({ msg: 'waf: request blocked', action: 'block', requestId });
    expect(await accessLineWhere(server, 'requestId', requestId, before)).toMatchObject({ status: 403, wafRules: rules.join(',') });
    for (const rule of rules) expect(seriesValue(await metricsText(server), MATCHES, { route: 'chat', rule, action: 'block' })).toBe(1);
  });
});

describe('a route over the gateway: detect while the gateway blocks', () => {
  const gw = gatewayWith(BLOCK_ALL, { guarded: { mode: 'detect' } });

  test('the same attack: served on the detect route, refused on the other', async () => {
    expect((await gw.send(chat('/guarded', { user: SQLI }))).status).toBe(200);
    expectWafRefusal(await gw.send(chat('', { user: SQLI })));
    const metrics = await metricsText(gw.get().gw);
    expect(seriesValue(metrics, MATCHES, { route: 'guarded', action: 'log' })).toBeGreaterThan(0);
    expect(seriesValue(metrics, MATCHES, { route: 'chat', action: 'block' })).toBeGreaterThan(0);
  });
});

describe('a route over the gateway: a family off', () => {
  const gw = gatewayWith(BLOCK_ALL, { guarded: { rules: { sqlInjection: false } } });

  test('SQL injection is served on that route, XSS still refused there; SQL injection refused on the other route', async () => {
    expect((await gw.send(chat('/guarded', { user: '1 UNION SELECT 1' }))).status).toBe(200);
    expectWafRefusal(await gw.send(chat('/guarded', { user: XSS })));
    expectWafRefusal(await gw.send(chat('', { user: '1 UNION SELECT 1' })));
  });
});

describe('a route over the gateway: inspectMessages', () => {
  const gw = gatewayWith(BLOCK_ALL, { guarded: { inspectMessages: true } });
  const sqlPrompt = { messages: [{ role: 'user', content: "SELECT * FROM users WHERE name = '' OR '1'='1'" }] };

  test('SQL in a message is refused on that route, and served on the other', async () => {
    const { rules } = expectWafRefusal(await gw.send(chat('/guarded', sqlPrompt)));
    expect(rules.some((r) => r.startsWith('sqli-'))).toBe(true);
    expect((await gw.send(chat('', sqlPrompt))).status).toBe(200);
  });
});

describe('a route over the gateway: a higher anomaly threshold', () => {
  // '1 UNION SELECT 1' matches one critical rule (5), '; id' one more (5): 10 together.
  const gw = gatewayWith(BLOCK_ALL, { guarded: { anomalyThreshold: 10 } });

  test('one critical match is served (and counted as log); two are refused', async () => {
    const { gw: server } = gw.get();
    const before = server.logs.length;
    expect((await gw.send(chat('/guarded', { user: '1 UNION SELECT 1' }))).status).toBe(200);
    expect(wafLines(server, before)).toEqual([expect.objectContaining({ action: 'log', anomalyScore: 5 })]);
    expectWafRefusal(await gw.send(chat('/guarded', { user: '1 UNION SELECT 1', metadata: { step: '; id' } })));
    // The gateway's own threshold (5) on the other route: one match is enough.
    expectWafRefusal(await gw.send(chat('', { user: '1 UNION SELECT 1' })));
  });
});

describe("a route with the WAF off: not inspected, but the gateway's IP deny list still refuses", () => {
  describe('without a deny list', () => {
    const gw = gatewayWith(BLOCK_ALL, { guarded: { mode: 'off' } });
    test('attacks are served on the off route, refused on the other', async () => {
      const before = gw.get().gw.logs.length;
      expect((await gw.send(chat('/guarded', { user: SQLI }, { 'user-agent': XSS }, '?q=%27%20OR%201%3D1--'))).status).toBe(200);
      expect(wafLines(gw.get().gw, before)).toEqual([]);
      expectWafRefusal(await gw.send(chat('', { user: SQLI })));
    });
  });

  describe('with the client (127.0.0.1) in the deny list', () => {
    const gw = gatewayWith({ ...BLOCK_ALL, ipDenyList: ['127.0.0.0/8'] }, { guarded: { mode: 'off' } });
    test('403 ip-deny on every route, the off one included, before any upstream call', async () => {
      for (const prefix of ['', '/guarded']) {
        const { rules } = expectWafRefusal(await gw.send(chat(prefix)));
        expect(rules).toEqual(['ip-deny']);
      }
      expect(gw.get().sim.requests).toHaveLength(0);
    });
  });
});

describe('the IP deny list behind trusted proxies', () => {
  describe('the peer (127.0.0.1) is a trusted proxy', () => {
    const gw = gatewayWith({ ...BLOCK_ALL, ipDenyList: ['203.0.113.0/24', '2001:db8:bad::/48'], trustedProxies: ['127.0.0.1', '10.0.0.0/8'] });

    test('a denied client named by the proxies is refused; one behind further trusted proxies too', async () => {
      for (const xff of ['203.0.113.7', '198.51.100.1, 203.0.113.7', '203.0.113.7, 10.1.2.3', '2001:db8:bad::7']) {
        const { rules } = expectWafRefusal(await gw.send(chat('', {}, { 'x-forwarded-for': xff })));
        expect(rules).toEqual(['ip-deny']);
      }
    });

    test("a denied address the client wrote on the left is not believed: the proxy's entry is the client", async () => {
      expect((await gw.send(chat('', {}, { 'x-forwarded-for': '203.0.113.7, 198.51.100.9' }))).status).toBe(200);
      expect((await gw.send(chat('', {}, { 'x-forwarded-for': '198.51.100.9' }))).status).toBe(200);
      expect((await gw.send(chat(''))).status).toBe(200);
    });
  });

  describe('no trusted proxy', () => {
    const gw = gatewayWith({ ...BLOCK_ALL, ipDenyList: ['203.0.113.0/24'] });
    test('X-Forwarded-For is not believed at all: a denied address in it is served', async () => {
      expect((await gw.send(chat('', {}, { 'x-forwarded-for': '203.0.113.7' }))).status).toBe(200);
    });
  });
});

describe('custom rules: path, query, header and body, block and log', () => {
  const gw = gatewayWith({
    ...BLOCK_ALL,
    customRules: [
      { name: 'no-internal', target: 'path', pattern: '^/internal/', action: 'block' },
      { name: 'debug-query', target: 'query', pattern: '(?i)^internal-debug$', action: 'log' },
      { name: 'evil-tenant', target: 'header', header: 'x-tenant', pattern: '^evil-', action: 'block' },
      { name: 'codename', target: 'body', pattern: 'project-nightingale', action: 'block' },
      { name: 'canary', target: 'body', pattern: 'canary-[0-9]+', action: 'log' },
    ],
  });

  test('block rules refuse with their name; the request id matches', async () => {
    const cases: [RawSpec, string][] = [
      [{ ...chat(''), rawPath: '/internal/v1/chat/completions' }, 'custom:no-internal'],
      [chat('', {}, { 'x-tenant': 'evil-corp' }), 'custom:evil-tenant'],
      [chat('', { metadata: { project: 'project-nightingale' } }), 'custom:codename'],
    ];
    for (const [spec, rule] of cases) expect(expectWafRefusal(await gw.send(spec)).rules).toContain(rule);
    const metrics = await metricsText(gw.get().gw);
    for (const [, rule] of cases) expect(seriesValue(metrics, MATCHES, { rule, action: 'block' })).toBe(1);
  });

  test('log rules serve the request and count it', async () => {
    const { gw: server } = gw.get();
    expect((await gw.send(chat('', {}, {}, '?mode=Internal-Debug'))).status).toBe(200);
    expect((await gw.send(chat('', { user: 'canary-1234' }))).status).toBe(200);
    const metrics = await metricsText(server);
    expect(seriesValue(metrics, MATCHES, { rule: 'custom:debug-query', action: 'log' })).toBe(1);
    expect(seriesValue(metrics, MATCHES, { rule: 'custom:canary', action: 'log' })).toBe(1);
  });

  test('near misses are served: another tenant, the codename in message text (not inspected by default)', async () => {
    expect((await gw.send(chat('', {}, { 'x-tenant': 'acme' }))).status).toBe(200);
    expect((await gw.send(chat('', { messages: [{ role: 'user', content: 'What is project-nightingale?' }] }))).status).toBe(200);
  });
});

describe('a custom rule RE2 cannot run is a load error that names the rule', () => {
  test('checkGatewayConfig and the data plane refuse it', async () => {
    const badRule = { name: 'backref', target: 'body' as const, pattern: '(a)\\1', action: 'block' as const };
    const g = startModelWafGateway({ ...BLOCK_ALL, customRules: [badRule] });
    await expect(g).rejects.toThrow(/waf\.customRules\[0\] \("backref"\): pattern .* RE2 /);
    // The same config as a file would be read: the issue names where the rule is and what to do.
    const { config } = synthesizedGatewayConfig(gatewayStack());
    const checked = checkGatewayConfig({ ...config, waf: { ...BLOCK_ALL, customRules: [badRule] } });
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.issues.join('\n')).toMatch(/waf\.customRules\[0\]\.pattern.*RE2/);
  });

  // Each route asks for an engine (route `chat`, route `guarded`, unrouted requests): a failed compile is remembered,
  // so that the load error names the rule once.
  test('the load error names the bad rule once, however many routes there are', async () => {
    const badRule = { name: 'backref', target: 'body' as const, pattern: '(a)\\1', action: 'block' as const };
    const message = await startModelWafGateway({ ...BLOCK_ALL, customRules: [badRule] }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(message.split('("backref")').length - 1).toBe(1);
  });
});
