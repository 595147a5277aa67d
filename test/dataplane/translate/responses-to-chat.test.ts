import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import type { ResponseCreateParams } from 'openai/resources/responses/responses';
import { translationError } from './frames';
import { RESPONSES_REQUEST_FIELDS, responsesEchoOf, responsesRequestToChat } from '../../../src/dataplane/translate/responses-to-chat';

const SERVED = 'deepseek-chat';
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const PDF = 'data:application/pdf;base64,JVBERi0xLjQK';
const KEEPS = 'Send the whole conversation in `input`, or use a model on an OpenAI or Azure OpenAI backend, which keeps responses.';

/** The 400 a body gets: its param and message. */
function refusal(body: unknown): { param: string; message: string; source: string } {
  const e = translationError(() => responsesRequestToChat(body, SERVED));
  return { param: e.param, message: e.message, source: e.source };
}

describe('responsesRequestToChat', () => {
  test('a string input is one user message; the served model goes out', () => {
    const body: ResponseCreateParams = { model: 'gpt-5', input: 'Hello' };
    const out = responsesRequestToChat(body, SERVED);
    expect(out).toEqual({ model: SERVED, messages: [{ role: 'user', content: 'Hello' }] });
    // A valid chat request as the official SDK types it.
    const typed: ChatCompletionCreateParams = out;
    expect(typed.model).toBe(SERVED);
  });

  test('instructions are the first system message; developer messages are system messages', () => {
    const body: ResponseCreateParams = {
      model: 'gpt-5',
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Answer in French.' },
        { role: 'system', content: [{ type: 'input_text', text: 'Part one. ' }, { type: 'input_text', text: 'Part two.' }] },
        { role: 'user', content: 'Hi' },
      ],
    };
    expect(responsesRequestToChat(body, SERVED).messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'Answer in French.' },
      { role: 'system', content: 'Part one. Part two.' },
      { role: 'user', content: 'Hi' },
    ]);
  });

  test('multi-item input with images (detail kept), a file, and an earlier assistant turn', () => {
    const body: ResponseCreateParams = {
      model: 'gpt-5',
      input: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is in these?' },
            { type: 'input_image', image_url: 'https://example.com/cat.jpg', detail: 'high' },
            { type: 'input_image', image_url: PNG, detail: 'original' },
            { type: 'input_file', file_data: PDF, filename: 'report.pdf' },
          ],
        },
        { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'A cat and a dot.', annotations: [] }] },
        { role: 'user', content: [{ type: 'input_text', text: 'Thanks' }] },
      ],
    };
    expect(responsesRequestToChat(body, SERVED).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
          { type: 'image_url', image_url: { url: PNG } },
          { type: 'file', file: { file_data: PDF, filename: 'report.pdf' } },
        ],
      },
      { role: 'assistant', content: 'A cat and a dot.' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  test('function_call round trip: calls merge into the assistant turn, outputs are tool messages, reasoning is left out', () => {
    const body: ResponseCreateParams = {
      model: 'gpt-5',
      input: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Two lookups.' }] },
        { role: 'assistant', content: 'Looking both up.' },
        { type: 'function_call', id: 'fc_1', call_id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'call_rome', name: 'get_weather', arguments: '{"city":"Rome"}', status: 'completed' },
        { type: 'function_call_output', call_id: 'call_paris', output: '18°C' },
        {
          type: 'function_call_output',
          call_id: 'call_rome',
          output: [{ type: 'input_text', text: '24°C' }, { type: 'input_text', text: 'sunny' }, { type: 'input_image', image_url: PNG, detail: 'low' }],
        },
        { type: 'function_call', call_id: 'call_3', name: 'get_time', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_3', output: '12:00' },
      ],
    };
    expect(responsesRequestToChat(body, SERVED).messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Looking both up.',
        tool_calls: [
          { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_paris', content: '18°C' },
      { role: 'tool', tool_call_id: 'call_rome', content: '24°C\nsunny' },
      // The image a function returned follows its tool messages: tool messages carry text only.
      { role: 'user', content: [{ type: 'image_url', image_url: { url: PNG, detail: 'low' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_3', content: '12:00' },
    ]);
  });

  test('assistant text after function calls joins their message, so that the tool messages follow it', () => {
    const body: ResponseCreateParams = {
      model: 'gpt-5',
      input: [
        { role: 'user', content: 'Time?' },
        { type: 'function_call', call_id: 'call_1', name: 'get_time', arguments: '{}' },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Checking the clock.', annotations: [] }], type: 'message', id: 'msg_2', status: 'completed' },
        { type: 'function_call_output', call_id: 'call_1', output: '12:00' },
        { role: 'assistant', content: 'It is noon.' },
      ],
    };
    expect(responsesRequestToChat(body, SERVED).messages).toEqual([
      { role: 'user', content: 'Time?' },
      { role: 'assistant', content: 'Checking the clock.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '12:00' },
      { role: 'assistant', content: 'It is noon.' },
    ]);
  });

  test('function tools (strict kept), tool_choice, parallel_tool_calls', () => {
    const params = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const body: ResponseCreateParams = {
      model: 'gpt-5',
      input: 'Weather?',
      tools: [
        { type: 'function', name: 'get_weather', description: 'Current weather', parameters: params, strict: true },
        { type: 'function', name: 'noop', parameters: null, strict: null },
      ],
      tool_choice: { type: 'function', name: 'get_weather' },
      parallel_tool_calls: false,
    };
    const out = responsesRequestToChat(body, SERVED);
    expect(out).toEqual({
      model: SERVED,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: params, strict: true } },
        { type: 'function', function: { name: 'noop' } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    });
    for (const choice of ['auto', 'none', 'required'] as const) {
      expect(responsesRequestToChat({ ...body, tool_choice: choice }, SERVED).tool_choice).toBe(choice);
    }
    // Without tools, no tool_choice: a chat backend rejects one alone.
    expect(responsesRequestToChat({ model: 'm', input: 'x', tool_choice: 'required' }, SERVED)).toEqual({ model: SERVED, messages: [{ role: 'user', content: 'x' }] });
  });

  test('text.format: json_schema and json_object become response_format; text and verbosity send nothing', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const body: ResponseCreateParams = {
      model: 'gpt-5',
      input: 'x',
      text: { format: { type: 'json_schema', name: 'answer', schema, strict: true, description: 'The answer' }, verbosity: 'low' },
    };
    expect(responsesRequestToChat(body, SERVED).response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema, strict: true, description: 'The answer' } });
    const typed: ChatCompletionCreateParams = responsesRequestToChat(body, SERVED);
    expect(typed.response_format?.type).toBe('json_schema');
    expect(responsesRequestToChat({ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'a', schema } } }, SERVED).response_format)
      .toEqual({ type: 'json_schema', json_schema: { name: 'a', schema } });
    expect(responsesRequestToChat({ model: 'm', input: 'x', text: { format: { type: 'json_object' } } }, SERVED).response_format).toEqual({ type: 'json_object' });
    expect(responsesRequestToChat({ model: 'm', input: 'x', text: { format: { type: 'text' }, verbosity: 'high' } }, SERVED)).toEqual({
      model: SERVED,
      messages: [{ role: 'user', content: 'x' }],
    });
  });

  test('reasoning effort: low/medium/high as they are, minimal is low, xhigh is high, none sends nothing; summary dropped', () => {
    const effort = (e: unknown) => responsesRequestToChat({ model: 'm', input: 'x', reasoning: { effort: e, summary: 'auto' } }, SERVED).reasoning_effort;
    expect(effort('low')).toBe('low');
    expect(effort('medium')).toBe('medium');
    expect(effort('high')).toBe('high');
    expect(effort('minimal')).toBe('low');
    expect(effort('xhigh')).toBe('high');
    expect(effort('none')).toBeUndefined();
    expect(effort(null)).toBeUndefined();
    expect(refusal({ model: 'm', input: 'x', reasoning: { effort: 'max' } })).toEqual({
      param: 'reasoning.effort',
      message: 'reasoning.effort is "max". Use \'none\', \'minimal\', \'low\', \'medium\', \'high\' or \'xhigh\'.',
      source: 'request',
    });
  });

  test('sampling, limits, user and streaming', () => {
    const body: ResponseCreateParams = {
      model: 'gpt-5',
      input: 'x',
      max_output_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      top_logprobs: 0,
      user: 'u-1',
      stream: true,
      // Dropped: nothing a chat backend can honour.
      store: false,
      include: ['reasoning.encrypted_content'],
      metadata: { k: 'v' },
      truncation: 'auto',
      service_tier: 'flex',
      prompt_cache_key: 'pk',
      stream_options: { include_obfuscation: false },
      unknown_field: 1,
    } as ResponseCreateParams;
    expect(responsesRequestToChat(body, SERVED)).toEqual({
      model: SERVED,
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(responsesRequestToChat({ model: 'm', input: 'x', safety_identifier: 'hash-1', stream: false }, SERVED)).toEqual({
      model: SERVED,
      messages: [{ role: 'user', content: 'x' }],
      user: 'hash-1',
      stream: false,
    });
    expect(refusal({ model: 'm', input: 'x', max_output_tokens: 0 }).param).toBe('max_output_tokens');
    // Log probabilities are not carried back yet, and a tool-call budget cannot be held: refused, not dropped.
    expect(refusal({ model: 'm', input: 'x', top_logprobs: 3 }).param).toBe('top_logprobs');
    expect(refusal({ model: 'm', input: 'x', top_logprobs: -3 }).message).toBe('top_logprobs is -3. Send a whole number from 0 to 20.');
    expect(refusal({ model: 'm', input: 'x', include: ['message.output_text.logprobs'] }).param).toBe('include');
    expect(refusal({ model: 'm', input: 'x', max_tool_calls: 2 }).param).toBe('max_tool_calls');
  });

  test('what needs stored responses is refused with a 400 naming the field and the way out', () => {
    expect(refusal({ model: 'm', input: 'x', previous_response_id: 'resp_1' })).toEqual({
      param: 'previous_response_id',
      message: `previous_response_id is set, but this model's backend serves chat completions and keeps no responses. ${KEEPS}`,
      source: 'request',
    });
    expect(refusal({ model: 'm', input: 'x', conversation: 'conv_1' })).toEqual({
      param: 'conversation',
      message: `conversation is set, but this model's backend serves chat completions and keeps no conversations. ${KEEPS}`,
      source: 'request',
    });
    expect(refusal({ model: 'm', input: 'x', store: true })).toEqual({
      param: 'store',
      message: `store is true, but this model's backend serves chat completions and keeps no responses. Send store: false. ${KEEPS}`,
      source: 'request',
    });
    expect(refusal({ model: 'm', input: 'x', background: true })).toEqual({
      param: 'background',
      message:
        "background is true, but this model's backend serves chat completions and cannot run a response in the background. " +
        'Send background: false (stream, if the wait is long), or use a model on an OpenAI or Azure OpenAI backend.',
      source: 'request',
    });
    expect(refusal({ model: 'm', input: 'x', prompt: { id: 'pmpt_1' } })).toEqual({
      param: 'prompt',
      message: "prompt names a stored prompt template, which this model's backend does not have. Send the prompt's text as instructions and input, or use a model on an OpenAI or Azure OpenAI backend.",
      source: 'request',
    });
    expect(refusal({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] })).toEqual({
      param: 'input[0].type',
      message: `input[0].type is 'item_reference', which names an item of a stored response, and this model's backend keeps none. Send the item itself. ${KEEPS}`,
      source: 'request',
    });
    // Explicitly null or false: nothing to refuse.
    expect(() => responsesRequestToChat({ model: 'm', input: 'x', previous_response_id: null, conversation: null, store: false, background: false, prompt: null }, SERVED)).not.toThrow();
  });

  test('built-in tools are refused, naming the tool', () => {
    for (const type of ['web_search', 'web_search_preview', 'file_search', 'code_interpreter', 'computer_use_preview', 'image_generation', 'mcp', 'local_shell', 'custom']) {
      const tools = [{ type: 'function', name: 'f' }, { type: 'function', name: 'g' }, { type }];
      expect(refusal({ model: 'm', input: 'x', tools })).toEqual({
        param: 'tools[2].type',
        message: `tools[2].type '${type}' is a built-in tool this backend cannot run. Remove it, or use a model on an OpenAI or Azure OpenAI backend.`,
        source: 'request',
      });
    }
    const tools = [{ type: 'function', name: 'f' }];
    expect(refusal({ model: 'm', input: 'x', tools, tool_choice: { type: 'web_search_preview' } }).param).toBe('tool_choice.type');
    expect(refusal({ model: 'm', input: 'x', tools, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } })).toEqual({
      param: 'tool_choice.type',
      message:
        "tool_choice.type is 'allowed_tools', which this model's chat completions backend has no equivalent for. Send only the allowed tools in tools, or use a model on an OpenAI or Azure OpenAI backend.",
      source: 'request',
    });
    expect(refusal({ model: 'm', input: 'x', tools: [{ name: 'f' }] })).toEqual({
      param: 'tools[0].type',
      message: "tools[0].type is missing. Send {type: 'function', name, parameters}.",
      source: 'request',
    });
  });

  test('uploaded files and file URLs are refused; other items name their type', () => {
    const user = (part: unknown) => ({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'x' }, part] }] });
    expect(refusal(user({ type: 'input_image', file_id: 'file-1', detail: 'auto' }))).toEqual({
      param: 'input[0].content[1].file_id',
      message:
        "input[0].content[1].file_id names an uploaded file, and this model's backend has no files API. Send the image as image_url (a URL or a data: URL), or use a model on an OpenAI or Azure OpenAI backend.",
      source: 'request',
    });
    expect(refusal(user({ type: 'input_file', file_id: 'file-1' })).param).toBe('input[0].content[1].file_id');
    expect(refusal(user({ type: 'input_file', file_url: 'https://example.com/a.pdf' }))).toEqual({
      param: 'input[0].content[1].file_url',
      message:
        "input[0].content[1].file_url is a file this model's backend cannot fetch. Send the file inline as file_data (a data: URL), or use a model on an OpenAI or Azure OpenAI backend.",
      source: 'request',
    });
    expect(refusal({ model: 'm', input: [{ role: 'user', content: 'x' }, { type: 'web_search_call', id: 'ws_1', status: 'completed' }] })).toEqual({
      param: 'input[1].type',
      message:
        "input[1].type is \"web_search_call\", an item this model's chat completions backend has no equivalent for. Send message, function_call and function_call_output items, or use a model on an OpenAI or Azure OpenAI backend.",
      source: 'request',
    });
    expect(refusal({ model: 'm', input: [{ role: 'tool', content: 'x' }] }).param).toBe('input[0].role');
    expect(refusal({ model: 'm', input: [{ role: 'system', content: [{ type: 'input_image', image_url: PNG }] }] }).param).toBe('input[0].content[0].type');
    expect(refusal({ model: 'm', input: [{ type: 'function_call_output', output: 'x' }] }).param).toBe('input[0].call_id');
  });

  test('a body without a conversation is a 400', () => {
    expect(refusal({ model: 'm' })).toEqual({
      param: 'input',
      message: "input is missing. Send the conversation as a string or an array of items, e.g. [{role: 'user', content: 'Hello'}].",
      source: 'request',
    });
    expect(refusal({ model: 'm', instructions: 'Be brief.', input: [] }).param).toBe('input');
    expect(refusal({ model: 'm', input: 5 }).param).toBe('input');
    expect(refusal('not an object').param).toBe('body');
  });

  test('the known fields are listed once each', () => {
    const all = [...RESPONSES_REQUEST_FIELDS.translated, ...RESPONSES_REQUEST_FIELDS.refused, ...RESPONSES_REQUEST_FIELDS.dropped];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining(['input', 'previous_response_id', 'include']));
  });
});

describe('responsesEchoOf', () => {
  test('keeps what the Response echoes, in its shape', () => {
    const tools = [{ type: 'function', name: 'f', parameters: null, strict: true }];
    expect(
      responsesEchoOf({
        model: 'gpt-5',
        input: 'x',
        instructions: 'Be brief.',
        max_output_tokens: 100,
        parallel_tool_calls: false,
        temperature: 0.5,
        top_p: 1,
        tool_choice: 'required',
        tools,
        text: { format: { type: 'json_object' }, verbosity: 'low' },
        reasoning: { effort: 'high', summary: 'auto' },
        metadata: { k: 'v' },
        user: 'u',
        safety_identifier: 's',
        prompt_cache_key: 'p',
      }),
    ).toEqual({
      instructions: 'Be brief.',
      max_output_tokens: 100,
      parallel_tool_calls: false,
      temperature: 0.5,
      top_p: 1,
      tool_choice: 'required',
      tools,
      text: { format: { type: 'json_object' }, verbosity: 'low' },
      reasoning_effort: 'high',
      metadata: { k: 'v' },
      user: 'u',
      safety_identifier: 's',
      prompt_cache_key: 'p',
    });
  });

  test('never throws: malformed fields are left out', () => {
    expect(responsesEchoOf(null)).toEqual({});
    expect(responsesEchoOf([1])).toEqual({});
    expect(responsesEchoOf({ instructions: 5, tools: 'x', text: { format: 'x' }, reasoning: 'high', metadata: [] })).toEqual({ text: { format: { type: 'text' } } });
  });
});
