import { collectTargets, type WafRequest } from '../../../src/dataplane/waf/targets';

const options = { inspectMessages: false, userMessages: false, maxValueChars: 8192, maxValues: 1024, maxDataChars: 65_536, maxMessageChars: 65_536 };
const labels = (req: WafRequest, opts = options) => collectTargets(req, opts).targets.map((t) => `${t.kind} ${t.label} ${t.decoded}`);

const chat = (body: unknown, headers: Record<string, string> = {}, rawPath = '/v1/chat/completions'): WafRequest => ({ method: 'POST', rawPath, headers, body, routeKind: 'model' });

describe('what the WAF reads of a request', () => {
  test('the request line: method, decoded path, query names and values (+ as space)', () => {
    expect(labels(chat(undefined, {}, '/v1/chat/%2e%2e/completions?api-version=2024-10-21&q=a+b%2520c&flag'))).toEqual([
      'method method post',
      'path path /v1/chat/../completions',
      'query-name query:api-version api-version',
      'query query:api-version 2024-10-21',
      'query-name query:q q',
      'query query:q a b c',
      'query-name query:flag flag',
    ]);
  });

  test('chosen headers, each X-Forwarded-For hop and each cookie value; never credentials or x-stainless-*', () => {
    const headers = {
      'user-agent': 'OpenAI/JS 6.30.1',
      'referer': 'https://app.example.com/chat?x=1',
      'x-forwarded-for': '203.0.113.7, 10.0.0.2',
      'cookie': 'sid=abc%20def; theme=dark',
      'authorization': 'Bearer sk-secret',
      'x-api-key': 'secret',
      'api-key': 'secret',
      'x-stainless-os': 'Linux',
      'accept': '*/*',
    };
    expect(labels(chat(undefined, headers, '/v1/models')).slice(2)).toEqual([
      'header header:user-agent openai/js 6.30.1',
      'header header:referer https://app.example.com/chat?x=1',
      'header header:x-forwarded-for 203.0.113.7',
      'header header:x-forwarded-for 10.0.0.2',
      'cookie cookie:sid abc def',
      'cookie cookie:theme dark',
    ]);
  });

  test('on a model route: non-message body fields and keys, as JSON pointers; no message text, prompts, inputs, tools or formats', () => {
    const body = {
      model: 'gpt-4o',
      user: 'user-1234',
      metadata: { note: 'a/b' },
      messages: [{ role: 'user', content: "' or 1=1 --" }],
      system: 'You are terse.',
      input: 'rm -rf /',
      instructions: '<script>',
      prompt: '../../etc/passwd',
      tools: [{ type: 'function', function: { name: 'q', description: 'SELECT * FROM t', parameters: {} } }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { pattern: '^a$' } } },
    };
    expect(labels(chat(body)).slice(2)).toEqual([
      'body-key body:/model model',
      'body body:/model gpt-4o',
      'body-key body:/user user',
      'body body:/user user-1234',
      'body-key body:/metadata metadata',
      'body-key body:/metadata/note note',
      'body body:/metadata/note a/b',
    ]);
  });

  test('user message text (string or parts, chat, Anthropic and Responses shapes) is collected for prompt injection only', () => {
    const body = {
      system: [{ type: 'text', text: 'system text' }],
      messages: [
        { role: 'system', content: 'operator text' },
        { role: 'user', content: [{ type: 'text', text: 'user part' }, { type: 'image_url', image_url: { url: 'https://x' } }] },
        { role: 'assistant', content: 'model text' },
        { role: 'user', content: 'user string' },
      ],
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'responses input' }] }],
    };
    const targets = collectTargets(chat(body), { ...options, userMessages: true }).targets.filter((t) => t.kind === 'message');
    // Newest message first (a conversation past the budget loses its oldest turns).
    expect(targets.map((t) => [t.decoded, t.fromUser])).toEqual([
      ['user string', true],
      ['user part', true],
      ['responses input', true],
    ]);
  });

  test('inspectMessages collects the text of every role, marking which a user wrote', () => {
    const body = { system: 'sys', messages: [{ role: 'assistant', content: 'a' }, { role: 'user', content: 'u' }], prompt: ['p1', 'p2'] };
    const targets = collectTargets(chat(body), { ...options, inspectMessages: true }).targets.filter((t) => t.kind === 'message');
    expect(targets.map((t) => [t.decoded, t.fromUser])).toEqual([
      ['sys', false],
      ['u', true],
      ['a', false],
      ['p2', true],
      ['p1', true],
    ]);
  });

  test('on an MCP route every string of the body is data, tool arguments included', () => {
    const body = { jsonrpc: '2.0', method: 'tools/call', params: { name: 'query', arguments: { sql: 'x', messages: 'm' } } };
    const values = collectTargets({ method: 'POST', rawPath: '/mcp', headers: {}, body, routeKind: 'mcp' }, options).targets.filter((t) => t.kind === 'body');
    expect(values.map((t) => t.label)).toEqual(['body:/jsonrpc', 'body:/method', 'body:/params/name', 'body:/params/arguments/sql', 'body:/params/arguments/messages']);
  });

  test('request-line, header and cookie values are cut to maxValueChars; body strings are read whole; values past maxValues are counted, not read', () => {
    const body = { a: 'x'.repeat(100), b: 'y', c: 'z' };
    const { targets, valuesOverLimit } = collectTargets(chat(body, { 'user-agent': 'u'.repeat(50) }), { ...options, maxValueChars: 10, maxValues: 5 });
    expect(targets.map((t) => t.raw)).toEqual(['POST', '/v1/chat/c', 'uuuuuuuuuu', 'a', 'x'.repeat(100)]);
    expect(valuesOverLimit).toBe(4);
  });

  test('data values share a character budget (past it they are counted as over the limit); message text has its own, past which it is not read', () => {
    const body = { a: 'x'.repeat(6), b: 'y'.repeat(6), messages: [{ role: 'user', content: 'm'.repeat(6) }, { role: 'user', content: 'n'.repeat(6) }] };
    const { targets, valuesOverLimit } = collectTargets(
      { method: 'P', rawPath: '/', headers: {}, body, routeKind: 'model' },
      { ...options, userMessages: true, maxDataChars: 2 + 1 + 6 + 1, maxMessageChars: 8 },
    );
    expect(targets.map((t) => t.raw)).toEqual(['P', '/', 'a', 'xxxxxx', 'b', 'nnnnnn', 'mm']);
    expect(valuesOverLimit).toBe(1);
    // A value the budget cuts short counts as over the limit too.
    const cut = collectTargets({ method: 'P', rawPath: '/', headers: {}, body: { a: 'x'.repeat(20) }, routeKind: 'model' }, { ...options, maxDataChars: 10 });
    expect(cut.targets.map((t) => t.raw)).toEqual(['P', '/', 'a', 'xxxxxxx']);
    expect(cut.valuesOverLimit).toBe(1);
  });

  test('a key that is not a plain identifier is labelled by its position, never by itself (nor a query or cookie name)', () => {
    expect(labels(chat({ 'a/b~c': 'v', '<b>x': 'w' })).slice(2)).toEqual(['body-key body:/#1 a/b~c', 'body body:/#1 v', 'body-key body:/#2 <b>x', 'body body:/#2 w']);
    expect(labels({ method: 'GET', rawPath: '/v1?ok=1&%3Cb%3E=2', headers: { cookie: 'sid=1; <i>=2' }, body: undefined, routeKind: 'model' }).filter((l) => !l.startsWith('path') && !l.startsWith('method'))).toEqual([
      'query-name query:ok ok',
      'query query:ok 1',
      'query-name query:#2 <b>',
      'query query:#2 2',
      'cookie cookie:sid 1',
      'cookie cookie:#2 2',
    ]);
  });

  test('a conversation longer than the message budget: its newest message is read, its oldest turns are not', () => {
    const old = Array.from({ length: 400 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i} ${'x'.repeat(700)}` }));
    const body = { model: 'm', messages: [...old, { role: 'user', content: 'the newest message' }] };
    const texts = collectTargets(chat(body), { ...options, userMessages: true }).targets.filter((t) => t.kind === 'message').map((t) => t.decoded);
    expect(texts).toContain('the newest message');
    expect(texts.some((t) => t.startsWith('turn 0 '))).toBe(false);
  });

  test("Model Studio's input: prompt and messages are message text, session_id and biz_params data; Dify's query and inputs are message text", () => {
    const agent = (body: unknown): WafRequest => ({ method: 'POST', rawPath: '/a', headers: {}, body, routeKind: 'agent' });
    const read = (body: unknown) => collectTargets(agent(body), { ...options, userMessages: true }).targets.slice(2).map((t) => `${t.kind} ${t.label} ${t.decoded}`);
    expect(read({ input: { prompt: 'P', session_id: 'S', biz_params: { city: 'C' } } })).toEqual([
      'message message p',
      'body-key body:/input/session_id session_id',
      'body body:/input/session_id s',
      'body-key body:/input/biz_params biz_params',
      'body-key body:/input/biz_params/city city',
      'body body:/input/biz_params/city c',
    ]);
    // A custom agent's LangServe-style input: its question and context are the user's text.
    expect(read({ input: { question: 'Q', context: 'X' } })).toEqual(['message message q', 'message message x']);
    expect(read({ inputs: { query: 'Q', text: 'T' }, query: 'U', conversation_id: 'C' })).toEqual(['message message q', 'message message t', 'message message u', 'body-key body:/conversation_id conversation_id', 'body body:/conversation_id c']);
  });

  test('stop sequences, predicted outputs and guided decoding are text for the model, not data', () => {
    const body = { model: 'm', stop: ['\nUser:'], stop_sequences: ['\n\nHuman:'], prediction: { type: 'content', content: '<div onclick="x()">' }, guided_grammar: 'root ::= select' };
    expect(collectTargets(chat(body), options).targets.filter((t) => t.kind !== 'method' && t.kind !== 'path').map((t) => t.label)).toEqual(['body:/model', 'body:/model']);
  });

  test('a body nested deeper than 64 levels is counted over the limit, not silently left unread', () => {
    let deep: unknown = "x' UNION SELECT password FROM users--";
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(collectTargets(chat({ model: 'm', metadata: { note: deep } }), options).valuesOverLimit).toBeGreaterThan(0);
    expect(collectTargets(chat({ model: 'm', metadata: { note: [[['fine']]] } }), options).valuesOverLimit).toBe(0);
  });
});
