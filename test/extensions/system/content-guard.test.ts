import { contentGuard, type ParsedContentGuardConfig } from '../../../src/extensions/system/content-guard';
import { requestContext, responseContext, streamChunkContext, type TestRequestOptions } from '../../../src/extensions/testing';
import type { JsonObject, StreamEvent } from '../../../src/extensions/types';

const parse = (config: JsonObject) => contentGuard.parseConfig!(config);

describe('content-guard config', () => {
  test('defaults: block, prompts and completions', async () => {
    expect(parse({ denyWords: ['secret'] })).toEqual({
      denyPatterns: [],
      denyWords: ['secret'],
      action: 'block',
      maxInspectChars: 262144,
      inspect: { prompts: true, completions: true },
    });
    expect(parse({ denyPatterns: ['sk-[A-Za-z0-9]{20,}'], action: 'mask', inspect: { completions: false } }).inspect).toEqual({ prompts: true, completions: false });
  });

  test.each([
    [{}, '(config): set denyPatterns or denyWords: with neither, the extension checks nothing'],
    [
      { denyPatterns: ['ok', '(unclosed'] },
      'content-guard config: denyPatterns[1]: is not a pattern RE2 accepts (error parsing regexp: missing closing ): `(unclosed`): deny patterns use RE2 syntax, ' +
        'which matches in linear time; it has no back-references (\\1), lookahead or lookbehind ((?=, (?!, (?<=, (?<!), and writes \\x{e9} for \\u00e9, found "(unclosed"',
    ],
    [{ denyPatterns: ['(x)\\1'] }, 'denyPatterns[0]: is not a pattern RE2 accepts (error parsing regexp: invalid escape sequence: `\\1`): deny patterns use RE2 syntax'],
    [{ denyPatterns: ['secret(?=key)'] }, 'denyPatterns[0]: is not a pattern RE2 accepts (error parsing regexp: invalid or unsupported Perl syntax: `(?=`)'],
    [{ denyPatterns: ['(?<!x)secret'] }, 'denyPatterns[0]: is not a pattern RE2 accepts'],
    [{ denyPatterns: ['caf\\u00e9'] }, 'denyPatterns[0]: is not a pattern RE2 accepts (error parsing regexp: invalid escape sequence: `\\u`)'],
    [{ denyPatterns: ['x'.repeat(600)] }, 'denyPatterns[0]: must be at most 512 characters'],
    [{ denyWords: [' padded '] }, 'denyWords[0]: must not start or end with spaces, found " padded "'],
    [{ denyWords: ['x'], action: 'redact' }, "action: must be 'block' (refuse the request or answer) or 'mask' (replace each match with ***), found \"redact\""],
    [{ denyWords: ['x'], inspect: { prompts: false, completions: false } }, '(config): inspect.prompts and inspect.completions are both false: set one to true'],
    [{ denyWords: ['x'], inspect: { prompts: 'yes' } }, 'inspect.prompts: must be true or false, found "yes"'],
    [{ denyWords: ['x'], maxInspectChars: 10 }, 'maxInspectChars: must be at least 1024, found 10'],
  ])('%j is refused: %s', async (config, message) => {
    expect(() => parse(config as JsonObject)).toThrow(message);
  });
});

const chat = (...contents: string[]): JsonObject => ({ model: 'gpt-4o', messages: contents.map((content, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content })) });

async function prompt(config: ParsedContentGuardConfig, options: TestRequestOptions) {
  const ctx = requestContext(config, { extension: 'guard', ...options });
  await contentGuard.onRequest!(ctx);
  return ctx;
}

describe('content-guard on prompts', () => {
  const block = parse({ denyPatterns: ['\\b\\d{3}-\\d{2}-\\d{4}\\b', 'sk-[A-Za-z0-9]{20,}'], denyWords: ['Project Falcon', 'ass'] });

  test('block: a 400 content_blocked naming the rule, never the matched text; nothing else changes', async () => {
    const ctx = await prompt(block, { body: chat('hello', 'hi', 'my key is sk-abcdefghijklmnopqrstuvwxyz') });
    expect(ctx.answer).toEqual({
      status: 400,
      headers: {},
      body: {
        error: {
          message: 'The prompt was blocked by guard (rule denyPatterns[1]). Change the text, or ask the gateway\'s operator about the rule.',
          type: 'invalid_request_error',
          param: null,
          code: 'content_blocked',
        },
      },
    });
    expect(JSON.stringify(ctx.answer)).not.toContain('sk-abc');
  });

  test('words are case-insensitive and whole words: "ass" is not found in "class", "project falcon" is found', async () => {
    expect((await prompt(block, { body: chat('Which class is this?') })).answer).toBeUndefined();
    const ctx = await prompt(block, { body: chat('Tell me about PROJECT FALCON.') });
    expect((ctx.answer?.body as { error: { message: string } }).error.message).toContain('rule denyWords[0]');
  });

  test('words in scripts without spaces are found inside sentences', async () => {
    const cjk = parse({ denyWords: ['机密'] });
    expect((await prompt(cjk, { body: chat('这是机密文件') })).answer?.status).toBe(400);
  });

  test('content parts, Anthropic system blocks and tool results, Responses input are all read', async () => {
    expect((await prompt(block, { body: { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'ssn 123-45-6789' }] }] } })).answer?.status).toBe(400);
    const anthropic = await prompt(block, {
      path: '/v1/messages',
      body: { model: 'c', max_tokens: 10, system: [{ type: 'text', text: 'project falcon rules' }], messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(anthropic.answer?.body).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('rule denyWords[0]') } });
    const toolResult = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: '123-45-6789' }] }] };
    expect((await prompt(block, { path: '/v1/messages', body: { model: 'c', max_tokens: 10, messages: [toolResult] } })).answer?.status).toBe(400);
    expect((await prompt(block, { path: '/v1/responses', body: { model: 'm', input: 'Project Falcon?' } })).answer?.status).toBe(400);
    expect((await prompt(block, { path: '/v1/responses', body: { model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'project falcon' }] }] } })).answer?.status).toBe(400);
  });

  test('mask: each match becomes ***, the rest of the text is kept, the request goes on', async () => {
    const mask = parse({ denyPatterns: ['\\b\\d{3}-\\d{2}-\\d{4}\\b'], denyWords: ['falcon'], action: 'mask' });
    const ctx = await prompt(mask, { body: { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'SSN 123-45-6789 and 987-65-4321 for Falcon.' }] }] } });
    expect(ctx.answer).toBeUndefined();
    expect(ctx.request.body!.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'SSN *** and *** for ***.' }] }]);
  });

  test('inspect.prompts false leaves prompts alone', async () => {
    const off = parse({ denyWords: ['falcon'], inspect: { prompts: false } });
    expect((await prompt(off, { body: chat('falcon') })).answer).toBeUndefined();
  });

  test('a long prompt is scanned whole, in windows: a match at the far end and one across a window edge are found', async () => {
    const words = parse({ denyWords: ['falcon'], action: 'mask' });
    const far = `${'lorem ipsum '.repeat(20_000)}falcon`;
    const ctx = await prompt(words, { body: chat(far) });
    expect((ctx.request.body!.messages as { content: string }[])[0].content.endsWith(' ***')).toBe(true);
    const edge = `${'x '.repeat(4094)}falcon`; // 8188 characters, then the word across the 8192 edge
    const atEdge = await prompt(words, { body: chat(edge) });
    expect((atEdge.request.body!.messages as { content: string }[])[0].content.endsWith(' ***')).toBe(true);
  });

  // Each took seconds (the last, exponential time) in JavaScript's backtracking RegExp on such text: RE2 takes milliseconds.
  test.each([
    ['\\w+\\d+x', '1'.repeat(262_144), `${'1'.repeat(262_143)}x`],
    ['[a-z0-9]+[0-9]+!', '1'.repeat(262_144), `${'1'.repeat(262_143)}!`],
    ['(\\w|\\d)+$', `${'1'.repeat(262_143)}!`, '1'.repeat(262_144)],
    ['(a+)+$', `${'a'.repeat(262_143)}!`, 'a'.repeat(262_144)],
    ['a.*b.*c.*d', 'a'.repeat(262_144), `${'a'.repeat(262_140)}bcd`],
  ])('%s on 256 KiB of text a backtracking engine chokes on: no match, and a match once the text ends right', async (pattern, clean, dirty) => {
    const guard = parse({ denyPatterns: [pattern] });
    expect((await prompt(guard, { body: chat(clean) })).answer).toBeUndefined();
    expect((await prompt(guard, { body: chat(dirty) })).answer?.status).toBe(400);
  });

  test('a window edge is not an edge of the text: \\b, $ and word edges see the characters beyond it', async () => {
    const guard = parse({ denyPatterns: ['\\b\\d{4}\\b', '[a-z]+$'], denyWords: ['ass'] });
    // The second window starts near 7935 and the first ends at 8192: each `at` puts one of them inside "1234567890class".
    for (const at of [...Array(30).keys()].flatMap((i) => [7920 + i, 8175 + i])) {
      const ctx = await prompt(guard, { body: chat(`${'.'.repeat(at)}1234567890class${'.'.repeat(9000)}`) });
      expect([at, ctx.answer]).toEqual([at, undefined]);
      const found = await prompt(guard, { body: chat(`${'.'.repeat(at)}ass 1234 ${'.'.repeat(9000)}`) });
      expect([at, found.answer?.status]).toEqual([at, 400]);
    }
  });

  test('a match longer than a window, without assertions, is still found (as a part)', async () => {
    const guard = parse({ denyPatterns: ['\\d{20,}'], action: 'mask' });
    const ctx = await prompt(guard, { body: chat(`id ${'7'.repeat(20_000)} end`) });
    expect((ctx.request.body!.messages as { content: string }[])[0].content).toBe('id *** end');
  });

  test('patterns match as written: a repeat is not cut short, (?i) makes a pattern case-insensitive, \\x{…} is a code point', async () => {
    const guard = parse({ denyPatterns: ['a.*b.*c.*d', '(?i)top secret', 'caf\\x{e9}'], action: 'mask' });
    const ctx = await prompt(guard, { body: chat(`a${'x'.repeat(300)}b c d`, 'TOP Secret!', 'un café 😀 café') });
    expect((ctx.request.body!.messages as { content: string }[]).map((m) => m.content)).toEqual(['***', '***!', 'un *** 😀 ***']);
  });

  test('text over maxInspectChars is refused, not passed unread', async () => {
    const small = parse({ denyWords: ['falcon'], maxInspectChars: 1024, action: 'mask' });
    const ctx = await prompt(small, { body: chat('x'.repeat(600), 'y'.repeat(600)) });
    expect(ctx.answer?.status).toBe(400);
    expect(ctx.answer?.body).toEqual({
      error: {
        message: 'The prompt has more text than guard inspects (maxInspectChars 1024). Send less text, or raise maxInspectChars.',
        type: 'invalid_request_error',
        param: null,
        code: 'content_too_long',
      },
    });
  });
});

describe('content-guard on completions', () => {
  const chatAnswer = (content: string) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  });

  test('block: a non-streamed answer becomes the 400 error', async () => {
    const block = parse({ denyWords: ['falcon'] });
    const ctx = responseContext(block, { extension: 'guard' }, { body: chatAnswer('Project Falcon launches Tuesday.') });
    await contentGuard.onResponse!(ctx);
    expect(ctx.response.status).toBe(400);
    expect(ctx.response.body).toEqual({ error: { message: expect.stringContaining("The model's answer was blocked by guard (rule denyWords[0])"), type: 'invalid_request_error', param: null, code: 'content_blocked' } });
  });

  test('mask: chat, Anthropic and Responses answers', async () => {
    const mask = parse({ denyWords: ['falcon'], action: 'mask' });
    const openai = responseContext(mask, {}, { body: chatAnswer('Project Falcon launches.') });
    await contentGuard.onResponse!(openai);
    expect(openai.response.body).toEqual(chatAnswer('Project *** launches.'));
    const anthropicBody = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'falcon!' }], stop_reason: 'end_turn' };
    const anthropic = responseContext(mask, { path: '/v1/messages' }, { body: anthropicBody });
    await contentGuard.onResponse!(anthropic);
    expect(anthropic.response.body).toEqual({ ...anthropicBody, content: [{ type: 'text', text: '***!' }] });
    const responses = responseContext(mask, { path: '/v1/responses' }, { body: { object: 'response', output: [{ type: 'message', content: [{ type: 'output_text', text: 'a falcon' }] }] } });
    await contentGuard.onResponse!(responses);
    expect(responses.response.body).toEqual({ object: 'response', output: [{ type: 'message', content: [{ type: 'output_text', text: 'a ***' }] }] });
  });

  test('error answers and inspect.completions false are left alone', async () => {
    const block = parse({ denyWords: ['falcon'] });
    const error = responseContext(block, {}, { status: 500, body: { error: { message: 'falcon failed' } } });
    await contentGuard.onResponse!(error);
    expect(error.response.status).toBe(500);
    const off = parse({ denyWords: ['falcon'], inspect: { completions: false } });
    const ctx = responseContext(off, {}, { body: chatAnswer('falcon') });
    await contentGuard.onResponse!(ctx);
    expect(ctx.response.body).toEqual(chatAnswer('falcon'));
  });
});

describe('content-guard on streams', () => {
  const delta = (content: string, index = 0) => JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index, delta: { content }, finish_reason: null }] });

  /** Runs the events through onStreamChunk with one scratch; returns them as sent (dropped ones left out) and whether the stream was ended. */
  async function stream(config: ParsedContentGuardConfig, events: StreamEvent[], options: TestRequestOptions = {}) {
    const scratch: Record<string, unknown> = {};
    const sent: StreamEvent[] = [];
    for (const event of events) {
      const ctx = streamChunkContext(config, { extension: 'guard', ...options, scratch }, event);
      await contentGuard.onStreamChunk!(ctx);
      if (!ctx.dropped) sent.push(ctx.event);
      if (ctx.ended) return { sent, ended: true };
    }
    return { sent, ended: false };
  }

  const text = (events: StreamEvent[]) => events.map((e) => (e.data === '[DONE]' ? '' : JSON.parse(e.data).choices[0].delta.content)).join('');

  test('mask: matches within a delta, per choice', async () => {
    const mask = parse({ denyWords: ['falcon'], action: 'mask' });
    const { sent, ended } = await stream(mask, [
      { event: undefined, data: delta('The falcon ') },
      { event: undefined, data: delta('Falcon', 1) },
      { event: undefined, data: '[DONE]' },
    ]);
    expect(ended).toBe(false);
    expect(JSON.parse(sent[0].data).choices[0].delta.content).toBe('The *** ');
    expect(JSON.parse(sent[1].data).choices[0].delta.content).toBe('***');
    expect(sent[2].data).toBe('[DONE]');
  });

  test('mask: a match split across events has its part in the later event masked', async () => {
    const mask = parse({ denyPatterns: ['\\b\\d{3}-\\d{2}-\\d{4}\\b'], action: 'mask' });
    const { sent } = await stream(mask, [
      { event: undefined, data: delta('SSN 123-') },
      { event: undefined, data: delta('45-6789 ok') },
    ]);
    expect(text(sent)).toBe('SSN 123-*** ok');
  });

  test('block: a match split across events ends the stream with an error event in place of the event', async () => {
    const block = parse({ denyWords: ['project falcon'] });
    const { sent, ended } = await stream(block, [
      { event: undefined, data: delta('About Project ') },
      { event: undefined, data: delta('Falcon: it') },
      { event: undefined, data: delta(' launches') },
    ]);
    expect(ended).toBe(true);
    expect(sent).toHaveLength(2);
    expect(sent[1].event).toBeUndefined();
    expect(JSON.parse(sent[1].data)).toEqual({ error: { message: expect.stringContaining('rule denyWords[0]'), type: 'invalid_request_error', param: null, code: 'content_blocked' } });
  });

  test('Anthropic: text deltas are masked; a block is an `error` event', async () => {
    const ev = (t: string): StreamEvent => ({ event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } }) });
    const start: StreamEvent = { event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'msg_1', content: [] } }) };
    const mask = await stream(parse({ denyWords: ['falcon'], action: 'mask' }), [start, ev('a falcon'), ev(' flies')], { path: '/v1/messages' });
    expect(mask.sent.map((e) => e.data)).toEqual([start.data, ev('a ***').data, ev(' flies').data]);
    const block = await stream(parse({ denyWords: ['falcon'] }), [start, ev('a falcon')], { path: '/v1/messages' });
    expect(block.ended).toBe(true);
    expect(block.sent[1].event).toBe('error');
    expect(JSON.parse(block.sent[1].data)).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('rule denyWords[0]') } });
  });

  test('Responses: output_text deltas and the done event that repeats the text', async () => {
    const mask = parse({ denyWords: ['falcon'], action: 'mask' });
    const events: StreamEvent[] = [
      { event: 'response.output_text.delta', data: JSON.stringify({ type: 'response.output_text.delta', output_index: 0, content_index: 0, delta: 'fal' }) },
      { event: 'response.output_text.delta', data: JSON.stringify({ type: 'response.output_text.delta', output_index: 0, content_index: 0, delta: 'con!' }) },
      { event: 'response.output_text.done', data: JSON.stringify({ type: 'response.output_text.done', output_index: 0, content_index: 0, text: 'falcon!' }) },
    ];
    const { sent } = await stream(mask, events, { path: '/v1/responses' });
    expect(JSON.parse(sent[0].data).delta).toBe('fal');
    expect(JSON.parse(sent[1].data).delta).toBe('***!');
    expect(JSON.parse(sent[2].data).text).toBe('***!');
  });
});
