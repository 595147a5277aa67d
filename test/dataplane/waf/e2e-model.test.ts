import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { CONSUMER_KEYS, UPSTREAM_KEY } from '../harness';
import { type CorpusAttack, type CorpusBenign, attackRequest, loadAttacks, loadBenign } from './support/corpus-requests';
import { type ModelWafGateway, startModelWafGateway } from './support/model-gateway';
import { sendRaw } from './support/raw-send';
import { BLOCK_ALL, echoForms, expectWafRefusal, requestIdIn, wafLines } from './support/waf-gateway';

/**
 * The WAF through the real server, as the official SDKs meet it, on a gateway with the default rules in block mode:
 * every benign chat prompt of the corpus passes whatever SQL, shell, HTML or code it holds, and every attack of the
 * corpus is refused with exactly 403, in the endpoint's error shape, with a request id and the rule, never the payload.
 */

let g: ModelWafGateway;
beforeAll(async () => {
  // Route `guarded` turns prompt injection on (off by default): the corpus's prompt-injection attacks are sent there.
  g = await startModelWafGateway(BLOCK_ALL, { guarded: { rules: { promptInjection: true } } });
});
afterAll(() => g.close());
beforeEach(() => g.sim.reset());

const benign = loadBenign();
const attacks = loadAttacks();

/** The corpus entry's headers, as request options: the SDK sets content-type, and the key is alice's. */
function entryHeaders(entry: CorpusBenign): Record<string, string> {
  const { 'content-type': _type, 'authorization': _auth, 'api-key': _key, ...rest } = entry.request.headers ?? {};
  return rest;
}

/** Sends a benign corpus request through the SDK its path belongs to. */
async function sendThroughSdk(entry: CorpusBenign): Promise<void> {
  const body = entry.request.body as never;
  const options = { headers: entryHeaders(entry) };
  const openai = g.openai();
  switch (entry.request.path) {
    case '/v1/chat/completions':
      await openai.chat.completions.create(body, options);
      return;
    case '/v1/responses':
      await openai.responses.create(body, options);
      return;
    case '/v1/completions':
      await openai.completions.create(body, options);
      return;
    case '/v1/embeddings':
      await openai.embeddings.create(body, options);
      return;
    case '/v1/messages':
      // The corpus's claude-sonnet-4-5, renamed: the SDK prints a deprecation warning for it.
      await g.anthropic().messages.create({ ...(body as object), model: 'claude-sonnet-4-6' } as never, options);
      return;
    default:
      throw new Error(`benign ${entry.id}: no SDK call for ${entry.request.path}: add one to sendThroughSdk`);
  }
}

/** Whether a benign shape names a stored response or a dated model, which the simulator does not have. */
function refersToStoredState(entry: CorpusBenign): boolean {
  const body = entry.request.body as { previous_response_id?: unknown } | undefined;
  return /\/(responses|models)\/[^/]+/.test(entry.request.path) || body?.previous_response_id !== undefined;
}

describe('benign traffic passes', () => {
  test('every chat prompt of the corpus (chat, Responses, completions, embeddings, Anthropic messages) gets its answer through the official SDKs', async () => {
    const before = g.gw.logs.length;
    const prompts = benign.filter((e) => e.kind === 'chat-prompt');
    expect(prompts.length).toBeGreaterThanOrEqual(240);
    const refused: string[] = [];
    for (const entry of prompts) {
      try {
        await sendThroughSdk(entry);
      } catch (e) {
        refused.push(`${entry.id}: ${(e as Error).message}`);
      }
    }
    expect(refused).toEqual([]);
    expect(wafLines(g.gw, before)).toEqual([]);
    expect(g.sim.requests).toHaveLength(prompts.length);
  });

  test("the corpus's benign request shapes (SDK and browser User-Agents, x-stainless-*, X-Forwarded-For lists, api-version, cookies, referers) are served", async () => {
    const before = g.gw.logs.length;
    const shapes = benign.filter((e) => e.kind === 'request');
    expect(shapes.length).toBeGreaterThanOrEqual(70);
    const answers: string[] = [];
    for (const entry of shapes) {
      const r = entry.request;
      const answer = await sendRaw(g.gw.url, {
        method: r.method,
        rawPath: r.query ? `${r.path}?${r.query}` : r.path,
        headers: { ...entryHeaders(entry), ...(r.body !== undefined && { 'content-type': 'application/json' }), authorization: `Bearer ${CONSUMER_KEYS.alice}` },
        body: r.body,
      });
      // A shape naming state the simulator does not hold (a stored response, a dated model) gets its 4xx; any other, 200.
      const served = refersToStoredState(entry) ? answer.status === 400 || answer.status === 404 : answer.status === 200;
      if (!served || answer.body.includes('waf_blocked')) answers.push(`${entry.id}: ${answer.status} ${answer.body.slice(0, 200)}`);
    }
    expect(answers).toEqual([]);
    expect(wafLines(g.gw, before)).toEqual([]);
  });
});

/** The OpenAI SDK's error for a call that should be refused. */
async function openAiRefusal(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.PermissionDeniedError>> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
  return error as InstanceType<typeof OpenAI.PermissionDeniedError>;
}

/** Checks an OpenAI-shaped WAF refusal as the SDK surfaces it; returns the rules it names. */
function expectOpenAiShape(error: InstanceType<typeof OpenAI.PermissionDeniedError>, payload: string): void {
  expect(error.status).toBe(403);
  expect(error.error).toEqual({ message: expect.any(String), type: 'permission_error', code: 'waf_blocked', param: null });
  const message = (error.error as { message: string }).message;
  expect(error.requestID).toBe(requestIdIn(message));
  expect(JSON.stringify(error.error)).not.toContain(payload);
  expect(JSON.stringify([...error.headers.entries()])).not.toContain(payload);
}

describe('attacks are refused, in the shape of the endpoint, with the OpenAI SDK', () => {
  const SQLI = "' UNION SELECT password FROM users--";
  const XSS = '<img src=x onerror=alert(document.cookie)>';
  const CMDI = '; cat /etc/passwd';

  test('chat: SQL injection in `user`', async () => {
    const error = await openAiRefusal(g.openai().chat.completions.create({ model: 'gpt-4o', user: SQLI, messages: [{ role: 'user', content: 'hi' }] }));
    expectOpenAiShape(error, SQLI);
    expect((error.error as { message: string }).message).toMatch(/rules? sqli-\d+/);
    expect(g.sim.requests).toHaveLength(0);
  });

  test('Responses: XSS in `metadata`', async () => {
    const error = await openAiRefusal(g.openai().responses.create({ model: 'gpt-4o', input: 'hello', metadata: { note: XSS } }));
    expectOpenAiShape(error, XSS);
    expect((error.error as { message: string }).message).toMatch(/xss-\d+/);
    expect(g.sim.requests).toHaveLength(0);
  });

  test('embeddings: command injection in `user`', async () => {
    const error = await openAiRefusal(g.openai().embeddings.create({ model: 'text-embedding-3-small', input: 'a document', user: CMDI }));
    expectOpenAiShape(error, CMDI);
    expect((error.error as { message: string }).message).toMatch(/(cmdi|traversal)-\d+/);
    expect(g.sim.requests).toHaveLength(0);
  });

  test('chat: SQL injection in a query parameter, and XSS in the User-Agent, set through the SDK', async () => {
    const inQuery = await openAiRefusal(g.openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { query: { tag: SQLI } }));
    expectOpenAiShape(inQuery, SQLI);
    const inAgent = await openAiRefusal(g.openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'user-agent': XSS } }));
    expectOpenAiShape(inAgent, XSS);
    expect(g.sim.requests).toHaveLength(0);
  });

  test('the same message text that is an attack in `user` is an answered prompt in `messages`', async () => {
    const res = await g.openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `Why is ${SQLI} dangerous? And ${XSS}? And ${CMDI}?` }] });
    expect(res.choices[0].message.content).toBeTruthy();
    expect(g.sim.requests).toHaveLength(1);
  });
});

describe('attacks are refused with the Anthropic SDK, in Anthropic\'s error shape', () => {
  test('SQL injection in metadata.user_id: PermissionDeniedError, Anthropic-shaped, request id as the header, no payload', async () => {
    const payload = "1' OR '1'='1' --";
    const error = await g
      .anthropic()
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 32, metadata: { user_id: payload }, messages: [{ role: 'user', content: 'hello' }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const denied = error as InstanceType<typeof Anthropic.PermissionDeniedError>;
    expect(denied.status).toBe(403);
    expect(denied.error).toEqual({ type: 'error', error: { type: 'permission_error', message: expect.stringMatching(/rules? sqli-\d+/) } });
    const message = (denied.error as { error: { message: string } }).error.message;
    expect(denied.headers.get('x-request-id')).toBe(requestIdIn(message));
    expect(JSON.stringify(denied.error)).not.toContain(payload);
    expect(g.sim.requests).toHaveLength(0);
  });
});

/** Where a corpus attack is sent: prompt injections to the route that turns that family on. */
function attackSpec(entry: CorpusAttack) {
  const r = attackRequest(entry);
  const prefix = entry.family === 'prompt-injection' ? '/guarded' : '';
  return { method: r.method, rawPath: `${prefix}${r.rawPath}`, headers: { ...(r.headers as Record<string, string>), authorization: `Bearer ${CONSUMER_KEYS.alice}` }, body: r.body };
}

describe('every attack of the corpus, over HTTP as written (raw requests for path forms)', () => {
  test('exactly 403, the request id in the body and the header, the payload nowhere, no upstream call; the rules named are of its family', async () => {
    expect(attacks.length).toBeGreaterThanOrEqual(300);
    const wrong: string[] = [];
    const otherFamily: string[] = [];
    for (const entry of attacks) {
      const answer = await sendRaw(g.gw.url, attackSpec(entry));
      if (answer.status !== 403) {
        wrong.push(`${entry.id} (${entry.at}): ${answer.status} ${answer.body.slice(0, 160)}`);
        continue;
      }
      const { rules } = expectWafRefusal(answer, [...echoForms(entry.payload), CONSUMER_KEYS.alice, UPSTREAM_KEY]);
      if (!rules.some((rule) => rule.startsWith(`${entry.family}-`))) otherFamily.push(`${entry.id} (${entry.at}): rules ${rules.join(', ')}`);
    }
    expect(wrong).toEqual([]);
    // A payload may be caught first by another family's rule (a traversal with a NUL byte is a protocol anomaly):
    // refused all the same, but nearly every one is caught by its own family (2 of 388 were not when written).
    expect(otherFamily.length).toBeLessThanOrEqual(Math.floor(attacks.length * 0.02));
    expect(g.sim.requests).toHaveLength(0);
  });
});
