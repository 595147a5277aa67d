import { configError, HookRun } from './harness';
import { findMarketplaceExtension } from '../../../src/extensions/marketplace';
import { chineseIdChecksumHolds, createRedactor, luhnHolds, PII_ENTITIES } from '../../../src/extensions/marketplace/pii-redaction/detectors';

const pii = findMarketplaceExtension('pii-redaction', '1.0.0')!;
const all = createRedactor(PII_ENTITIES, (e) => `[REDACTED:${e}]`);
const redact = (text: string) => all.redact(text).text;

describe('pii-redaction detectors', () => {
  test.each([
    ['write to jane.doe+work@mail.example.co.uk today.', 'write to [REDACTED:email] today.'],
    ['call +1 (415) 555-0100 or +14155550100', 'call [REDACTED:phone] or [REDACTED:phone]'],
    ['office 415-555-0100, home (415) 555-0100, fax 415.555.0100', 'office [REDACTED:phone], home [REDACTED:phone], fax [REDACTED:phone]'],
    ['London +44 20 7946 0958 or 020 7946 0958', 'London [REDACTED:phone] or [REDACTED:phone]'],
    ['手机 13800138000，或 +86 138 0013 8000', '手机 [REDACTED:phone]，或 [REDACTED:phone]'],
    ['card 4111 1111 1111 1111 exp 12/29', 'card [REDACTED:card] exp 12/29'],
    ['amex 3782 822463 10005 and visa 4111111111111111', 'amex [REDACTED:card] and visa [REDACTED:card]'],
    ['SSN 123-45-6789.', 'SSN [REDACTED:national-id].'],
    ['身份证 11010519491231002X', '身份证 [REDACTED:national-id]'],
  ])('masks %j', (text, masked) => {
    expect(redact(text)).toBe(masked);
  });

  test.each([
    'on 2024-01-15 at 10:30',
    'version 1.2.3 of the SDK',
    'a budget of 10 000 000 or 12.345.678 euros',
    'host 192.168.100.200',
    'order 4111111111111112 (fails Luhn)',
    'created 1712345678901',
    'SSN-like 000-12-3456 and 666-12-3456',
    'id 110105194912310021 (wrong check character)',
    'no digits at all, only an at sign: @home',
  ])('leaves %j alone', (text) => {
    expect(all.redact(text)).toEqual({ text, count: 0 });
  });

  test('the checksums', () => {
    expect([luhnHolds('4111 1111 1111 1111'), luhnHolds('4111111111111112')]).toEqual([true, false]);
    expect([chineseIdChecksumHolds('11010519491231002X'), chineseIdChecksumHolds('11010519491231002x'), chineseIdChecksumHolds('110105194912310021')]).toEqual([true, true, false]);
  });

  test('text built to make patterns backtrack is masked in linear time', () => {
    const started = Date.now();
    for (const text of ['1'.repeat(200_000), '+1 '.repeat(50_000), '12-'.repeat(50_000), `${'a.'.repeat(50_000)}@b`, '1234 '.repeat(40_000), '+1(2)'.repeat(30_000)]) all.redact(text);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('only the entities asked for, and the count of masks', () => {
    const emails = createRedactor(['email'], () => '***');
    expect(emails.redact('a@b.io, 415-555-0100, c@d.io')).toEqual({ text: '***, 415-555-0100, ***', count: 2 });
  });
});

describe('pii-redaction hooks', () => {
  test('with no config, an email in a user message reaches the upstream masked, the rest of the text intact (OpenAI chat)', async () => {
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'My email is jane.doe@example.com, please reply there. Order 42 shipped on 2024-01-15.' },
      ],
      temperature: 0.2,
    };
    const run = new HookRun(pii, {}, { body });
    expect(await run.onRequest()).toBeUndefined();
    expect(body.messages[1]!.content).toBe('My email is [REDACTED:email], please reply there. Order 42 shipped on 2024-01-15.');
    expect(body.messages[0]!.content).toBe('You are helpful.');
    expect(body.temperature).toBe(0.2);
    expect(run.onLog()).toEqual({ redactions: 1 });
  });

  test('OpenAI text parts, every role; images and tool-call arguments untouched', async () => {
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Card 4111 1111 1111 1111, see the photo' }, { type: 'image_url', image_url: { url: 'https://x.example/a@b.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"phone":"415-555-0100"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'Owner: bob@example.org' },
      ],
    };
    await new HookRun(pii, {}, { body }).onRequest();
    expect(body.messages[0]!.content).toEqual([
      { type: 'text', text: 'Card [REDACTED:card], see the photo' },
      { type: 'image_url', image_url: { url: 'https://x.example/a@b.png' } },
    ]);
    expect(body.messages[1]!.tool_calls![0]!.function.arguments).toBe('{"phone":"415-555-0100"}');
    expect(body.messages[2]!.content).toBe('Owner: [REDACTED:email]');
  });

  test('Anthropic Messages: system, string content, text blocks and tool results', async () => {
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: [{ type: 'text', text: 'The operator is ops@example.com.' }],
      messages: [
        { role: 'user', content: 'SSN 123-45-6789' },
        { role: 'assistant', content: [{ type: 'text', text: 'Noted.' }, { type: 'tool_use', id: 't1', name: 'crm', input: { email: 'x@y.io' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'phone +44 20 7946 0958' }] }] },
      ],
    };
    await new HookRun(pii, {}, { path: '/v1/messages', body }).onRequest();
    expect(body.system[0]!.text).toBe('The operator is [REDACTED:email].');
    expect(body.messages[0]!.content).toBe('SSN [REDACTED:national-id]');
    expect((body.messages[1]!.content as { input?: unknown }[])[1]!.input).toEqual({ email: 'x@y.io' });
    expect(body.messages[2]!.content).toEqual([{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'phone [REDACTED:phone]' }] }]);
  });

  test('Responses: input as a string, input items, and instructions', async () => {
    const asText = { model: 'gpt-4o', input: 'reach me at 415-555-0100', instructions: 'Never ask for jane@example.com' };
    await new HookRun(pii, {}, { path: '/v1/responses', body: asText }).onRequest();
    expect(asText).toEqual({ model: 'gpt-4o', input: 'reach me at [REDACTED:phone]', instructions: 'Never ask for [REDACTED:email]' });
    const items = { model: 'gpt-4o', input: [{ role: 'user', content: [{ type: 'input_text', text: 'id 11010519491231002X' }] }, { type: 'message', role: 'user', content: 'a@b.io' }] };
    await new HookRun(pii, {}, { path: '/v1/responses', body: items }).onRequest();
    expect(items.input).toEqual([{ role: 'user', content: [{ type: 'input_text', text: 'id [REDACTED:national-id]' }] }, { type: 'message', role: 'user', content: '[REDACTED:email]' }]);
  });

  test('a chosen entity set and mask; answers pass unless inspectAnswers', async () => {
    const body = { messages: [{ role: 'user', content: 'a@b.io 415-555-0100' }] };
    const run = new HookRun(pii, { entities: ['phone'], mask: '<<<entity>>>' }, { body });
    await run.onRequest();
    expect(body.messages[0]!.content).toBe('a@b.io <<phone>>');
    const answer = { choices: [{ index: 0, message: { role: 'assistant', content: 'Mail a@b.io' } }] };
    expect((await run.onResponse(answer)).body).toEqual({ choices: [{ index: 0, message: { role: 'assistant', content: 'Mail a@b.io' } }] });
  });

  test('inspectAnswers masks non-streamed answers of each API', async () => {
    const run = () => new HookRun(pii, { inspectAnswers: true });
    const chat = await run().onResponse({ choices: [{ index: 0, message: { role: 'assistant', content: 'Write to a@b.io' } }] });
    expect(chat.body).toEqual({ choices: [{ index: 0, message: { role: 'assistant', content: 'Write to [REDACTED:email]' } }] });
    const anthropic = await run().onResponse({ type: 'message', content: [{ type: 'text', text: 'Call 415-555-0100' }] });
    expect(anthropic.body).toEqual({ type: 'message', content: [{ type: 'text', text: 'Call [REDACTED:phone]' }] });
    const responses = await run().onResponse({ output: [{ type: 'message', content: [{ type: 'output_text', text: 'SSN 123-45-6789' }] }], output_text: 'SSN 123-45-6789' });
    expect(responses.body).toEqual({ output: [{ type: 'message', content: [{ type: 'output_text', text: 'SSN [REDACTED:national-id]' }] }], output_text: 'SSN [REDACTED:national-id]' });
    const error = await run().onResponse({ error: { message: 'a@b.io is not allowed' } }, 400);
    expect(error.body).toEqual({ error: { message: 'a@b.io is not allowed' } });
  });

  test('inspectAnswers masks streamed answers within each event (OpenAI, Anthropic, Responses); other events pass as they are', async () => {
    const run = new HookRun(pii, { inspectAnswers: true });
    const chunk = (content: string) => ({ id: 'c', object: 'chat.completion.chunk', created: 1712345678901, choices: [{ index: 0, delta: { content } }] });
    const sent = await run.stream([
      chunk('Mail '),
      chunk('jane@example.com now'),
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'card 4111111111111111' } },
      { type: 'response.output_text.delta', item_id: 'i', output_index: 0, content_index: 0, delta: 'ssn 123-45-6789' },
      '[DONE]',
    ]);
    expect(sent[0]).toBe(JSON.stringify(chunk('Mail ')));
    expect(JSON.parse(sent[1]!).choices[0].delta.content).toBe('[REDACTED:email] now');
    expect(JSON.parse(sent[1]!).created).toBe(1712345678901);
    expect(JSON.parse(sent[2]!).delta.text).toBe('card [REDACTED:card]');
    expect(JSON.parse(sent[3]!).delta).toBe('ssn [REDACTED:national-id]');
    expect(sent[4]).toBe('[DONE]');
    expect(run.onLog()).toEqual({ redactions: 3 });
  });

  test('the answer is read only when inspectAnswers asks, and then only a whole successful one', async () => {
    const answer = { choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }] };
    const request = () => ({ body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] } });
    expect((await new HookRun(pii, {}, request()).bodyAccesses(answer)).response).toBe(0);
    expect((await new HookRun(pii, { inspectAnswers: true }, request()).bodyAccesses(undefined, 200, true)).response).toBe(0);
    expect((await new HookRun(pii, { inspectAnswers: true }, request()).bodyAccesses(answer, 500)).response).toBe(0);
    expect((await new HookRun(pii, { inspectAnswers: true }, request()).bodyAccesses(answer)).response).toBeGreaterThan(0);
  });

  test('a config it does not accept is refused, naming what is wrong', () => {
    expect(configError(pii, { entities: ['email', 'ssn'] })).toMatch(/^entities\[1\]: Invalid option: expected one of "email"\|"phone"\|"card"\|"national-id"/);
    expect(configError(pii, { entities: [] })).toBe('entities: list at least one entity, or remove the extension');
    expect(configError(pii, { mask: '#1' })).toBe('mask: must not contain a digit or an @ (a later detector would find it again)');
    expect(configError(pii, { inspectAnswer: true })).toMatch(/Unrecognized key: "inspectAnswer"/);
    expect(configError(pii, {})).toBeUndefined();
  });
});
