import OpenAI from 'openai';
import { agentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start, UPSTREAM_KEY } from './harness';
import { Backend } from '../../src';
import { REDACTED } from '../../src/dataplane/scrub';

/**
 * An OpenAI-compatible upstream that echoes the key it was sent (a debug field, a prompt that quoted
 * it): no form of it reaches the client, on a 200 JSON answer, an SSE stream split anywhere, or an error.
 */
const b64 = (s: string) => Buffer.from(s).toString('base64');
const ECHOES = [UPSTREAM_KEY, UPSTREAM_KEY.toUpperCase(), b64(`Bearer ${UPSTREAM_KEY}`), encodeURIComponent(UPSTREAM_KEY)];

function completion(content: string): string {
  return JSON.stringify({
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

function chunk(content: string): string {
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
}

test('model routes: echoes of the backend key are scrubbed from 200 bodies, SSE streams split at any offset, and error messages', async () => {
  const stream = ECHOES.map((e, i) => chunk(`${i} ${e}`)).join('') + 'data: [DONE]\n\n';
  const up = await agentUpstream((req, res) => {
    const body = JSON.parse(req.body) as { stream?: boolean; messages: { content: string }[] };
    const ask = body.messages[0].content;
    if (ask === 'error') return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `bad key ${UPSTREAM_KEY.toUpperCase()}` } }));
    if (!body.stream) return void res.writeHead(200, { 'content-type': 'application/json' }).end(completion(`echo ${ECHOES.join(' ')}`));
    const at = Number(ask);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(stream.slice(0, at));
    setImmediate(() => res.end(stream.slice(at)));
  });
  const gateway = gatewayStack();
  const backend = new Backend({ provider: 'openai-compatible', baseUrl: `${up.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const route = gateway.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const gw = await start(gateway);
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
  try {
    const whole = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    const content = whole.choices[0].message.content!;
    for (const echo of ECHOES) expect(content).not.toContain(echo);
    expect(content.split(REDACTED)).toHaveLength(ECHOES.length + 1);

    const around = (e: string) => {
      const i = stream.indexOf(e);
      return [i, i + 1, i + Math.floor(e.length / 2), i + e.length - 1];
    };
    for (const at of [...new Set([0, 5, ...ECHOES.flatMap(around), stream.length])]) {
      const s = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: String(at) }], stream: true });
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta.content ?? '';
      for (const echo of ECHOES) expect(text).not.toContain(echo);
      // Base64 of `Bearer <key>`: the characters that depend on the wrapper's bytes stay, the key's go.
      expect(text).toMatch(/^0 \[redacted\]1 \[redacted\]2 [A-Za-z0-9+/]*\[redacted\][A-Za-z0-9+/=]*3 \[redacted\]$/);
    }

    const failed = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'error' }] }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failed as Error).message).toContain(`bad key ${REDACTED}`);
    expect((failed as Error).message).not.toContain(UPSTREAM_KEY.toUpperCase());
  } finally {
    await gw.close();
    await up.close();
  }
});
