import { configError, HookRun } from './harness';
import { findMarketplaceExtension } from '../../../src/extensions/marketplace';
import { firstViolation, schemaProblems } from '../../../src/extensions/marketplace/json-schema-guard/schema';
import type { JsonObject } from '../../../src/extensions/types';

const guard = findMarketplaceExtension('json-schema-guard')!;

const PERSON: JsonObject = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'person',
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer' },
    role: { enum: ['admin', 'user'] },
    tags: { type: 'array', items: { type: 'string' } },
    address: { type: ['object', 'null'], properties: { city: { type: 'string' } }, required: ['city'] },
  },
  required: ['name', 'age'],
  additionalProperties: false,
};

const chat = (content: string | null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
});

describe('the JSON Schema subset', () => {
  test.each([
    [{ name: 'Ada', age: 36 }, undefined],
    [{ name: 'Ada', age: 36, role: 'admin', tags: ['x'], address: null }, undefined],
    [{ name: 'Ada', age: 36.5 }, '$.age: expected integer, found number'],
    [{ name: 'Ada' }, "$: required property 'age' is missing"],
    [{ name: 'Ada', age: 1, role: 'root' }, '$.role: is not one of the allowed values ("admin", "user")'],
    [{ name: 'Ada', age: 1, tags: ['a', 2] }, '$.tags[1]: expected string, found number'],
    [{ name: 'Ada', age: 1, address: {} }, "$.address: required property 'city' is missing"],
    [{ 'name': 'Ada', 'age': 1, 'e-mail': 'x' }, "$: property 'e-mail' is not allowed (the schema's properties: name, age, role, tags, address)"],
    [[1], '$: expected object, found array'],
  ])('%j → %s', (value, violation) => {
    expect(firstViolation(value, PERSON)).toBe(violation);
  });

  test('additionalProperties as a schema, nested paths with odd names, booleans as schemas', () => {
    const schema = { type: 'object', additionalProperties: { type: 'object', properties: { 'x y': { type: 'number' } } } };
    expect(firstViolation({ a: { 'x y': 'no' } }, schema)).toBe('$.a["x y"]: expected number, found string');
    expect(firstViolation({ a: 1 }, { properties: { a: false } })).toBe('$.a: no value is allowed here');
    expect(firstViolation({ a: 1 }, true)).toBeUndefined();
  });

  test('a schema with keywords the guard does not check is refused, so that none is believed enforced', () => {
    expect(schemaProblems({ type: 'object', properties: { age: { type: 'integer', minimum: 0 } }, oneOf: [] })).toEqual([
      "schema at $: 'oneOf' is not checked by json-schema-guard (it checks type, properties, required, items, enum, additionalProperties); remove it",
      "schema at $.age: 'minimum' is not checked by json-schema-guard (it checks type, properties, required, items, enum, additionalProperties); remove it",
    ]);
    expect(schemaProblems({ type: 'text', required: 'name', enum: [], items: 3 })).toEqual([
      'schema at $: type must be one of string, number, integer, boolean, object, array, null (or a list of them), found "text"',
      'schema at $: required must be a list of property names, found "name"',
      'schema at $[]: must be an object (or true / false), found number',
      'schema at $: enum must be a non-empty list of values, found []',
    ]);
  });
});

describe('json-schema-guard', () => {
  test('an answer that matches passes unchanged', async () => {
    const answer = chat('{"name":"Ada","age":36}');
    const response = await new HookRun(guard, { schema: PERSON }).onResponse(answer);
    expect(response).toMatchObject({ status: 200, body: chat('{"name":"Ada","age":36}') });
  });

  test('a fenced JSON block, as models write, is read inside its fence', async () => {
    const response = await new HookRun(guard, { schema: PERSON }).onResponse(chat('```json\n{"name":"Ada","age":36}\n```'));
    expect(response.status).toBe(200);
  });

  test('a violation answers 502 output_schema_violation with its path (OpenAI shape), logs it and adds it to the access line', async () => {
    const run = new HookRun(guard, { schema: PERSON });
    const response = await run.onResponse(chat('{"name":"Ada","age":"36"}'));
    expect(response.status).toBe(502);
    expect(response.body).toEqual({
      error: {
        message:
          "The model's answer does not match the output schema of extension 'json-schema-guard': choices[0].message.content $.age: expected integer, found string. " +
          'The gateway does not retry: retry the request, or change the prompt or the schema.',
        type: 'api_error',
        param: null,
        code: 'output_schema_violation',
      },
    });
    expect(run.logs).toEqual([{ level: 'warn', message: 'model answer does not match the output schema', fields: { where: 'choices[0].message.content', violation: '$.age: expected integer, found string' } }]);
    expect(run.onLog()).toEqual({ violation: 'choices[0].message.content $.age: expected integer, found string' });
  });

  test('an answer that is not JSON is a violation at $, without echoing the answer', async () => {
    const response = await new HookRun(guard, { schema: PERSON }).onResponse(chat('Sure! Ada is 36.'));
    expect(response.status).toBe(502);
    expect(JSON.stringify(response.body)).toContain('choices[0].message.content $: the answer is not JSON.');
    expect(JSON.stringify(response.body)).not.toContain('Ada');
  });

  test('Anthropic Messages: the text blocks joined; the error in Anthropic\'s shape', async () => {
    const answer = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: '{"name":"Ada",' }, { type: 'text', text: '"age":36,"x":1}' }], stop_reason: 'end_turn' };
    const response = await new HookRun(guard, { schema: PERSON }, { path: '/v1/messages' }).onResponse(answer);
    expect(response.status).toBe(502);
    expect(response.body).toEqual({ type: 'error', error: { type: 'api_error', message: expect.stringContaining("content $: property 'x' is not allowed") } });
  });

  test('Responses: the output_text parts', async () => {
    const answer = { id: 'resp_1', object: 'response', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '{"name":"Ada","age":36}', annotations: [] }] }] };
    const ok = await new HookRun(guard, { schema: PERSON }, { path: '/v1/responses' }).onResponse(answer);
    expect(ok.status).toBe(200);
    const bad = { ...answer, output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '{"name":"Ada"}', annotations: [] }] }] };
    expect((await new HookRun(guard, { schema: PERSON }, { path: '/v1/responses' }).onResponse(bad)).body).toMatchObject({
      error: { code: 'output_schema_violation', message: expect.stringContaining("output_text $: required property 'age' is missing") },
    });
  });

  test('not checked: tool calls (no text), upstream errors, streamed answers', async () => {
    const toolCall = chat(null);
    expect((await new HookRun(guard, { schema: PERSON }).onResponse(toolCall)).status).toBe(200);
    const upstreamError = { error: { message: 'overloaded', type: 'api_error' } };
    expect(await new HookRun(guard, { schema: PERSON }).onResponse(upstreamError, 529)).toMatchObject({ status: 529, body: upstreamError });
    const events = [{ choices: [{ index: 0, delta: { content: 'not json' } }] }];
    expect(await new HookRun(guard, { schema: PERSON }).stream(events)).toEqual([JSON.stringify(events[0])]);
  });

  test('it never reads the request body, nor the body of a streamed answer or an upstream error', async () => {
    const request = { body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] } };
    const run = () => new HookRun(guard, { schema: PERSON }, structuredClone(request));
    expect(await run().bodyAccesses(undefined, 200, true)).toEqual({ request: 0, response: 0 });
    expect(await run().bodyAccesses(chat('not json'), 503)).toEqual({ request: 0, response: 0 });
    expect((await run().bodyAccesses(chat('{"name":"Ada","age":36}'))).request).toBe(0);
  });

  test('a config it does not accept is refused, naming what is wrong', () => {
    expect(configError(guard, {})).toMatch(/^schema: /);
    expect(configError(guard, { schema: [] })).toBe('schema: must be a JSON Schema object');
    expect(configError(guard, { schema: { type: 'object', pattern: 'x' } })).toBe(
      "schema: schema at $: 'pattern' is not checked by json-schema-guard (it checks type, properties, required, items, enum, additionalProperties); remove it",
    );
    expect(configError(guard, { schema: PERSON })).toBeUndefined();
  });
});
