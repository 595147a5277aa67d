import Anthropic from '@anthropic-ai/sdk';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import OpenAI from 'openai';
import { type AiGateway, AiGatewayFleet, Backend } from '../../../src';
import { startTestGateway, type TestGateway, type UpstreamSimulator } from '../../../src/testing';
import { eventually } from '../../support/eventually';

/**
 * The end-to-end extension tests' gateway: built with the constructs, run by `startTestGateway` on the simulator,
 * called with the official SDKs. One model route `chat` holds a model on each backend API a client may meet:
 * `gpt-4o` on OpenAI (chat and Responses native), `claude-sonnet-4` on Anthropic (Messages native, chat
 * translated) and `deepseek-chat` on DeepSeek (chat only: Responses translated).
 */
export const KEY = 'sk-e2e-alice';
export const ROUTE = 'chat';

export interface E2eGateway {
  readonly gw: TestGateway;
  readonly openai: OpenAI;
  readonly anthropic: Anthropic;
  close(): Promise<void>;
}

export interface E2eOptions {
  /** Headers every SDK call sends (an X-Forwarded-For a proxy would add). @default none */
  readonly defaultHeaders?: Record<string, string>;
  /** The SDKs' fetch (one that signs each request). @default the global fetch */
  readonly fetch?: typeof fetch;
}

/** A Dedicated gateway (marketplace and custom extensions need one) with the route and consumer alice; `declare` adds its extensions. */
export function dedicatedGateway(declare: (g: AiGateway<'dedicated'>) => void): AiGateway<'dedicated'> {
  const stack = new TerraformStack(Testing.app(), 'e2e');
  new KubernetesProvider(stack, 'k8s', {});
  const gateway = new AiGatewayFleet(stack, 'fleet', { region: 'test' }).addGateway('gw', { edition: 'dedicated', spec: 'aigw.small.x1' });
  const key = (name: string) => ({ secretName: 'llm-keys', key: name });
  const route = gateway.addModelRoute(ROUTE, {
    models: [
      { name: 'gpt-4o', targets: [{ backend: Backend.openAi({ apiKey: key('openai') }) }] },
      { name: 'claude-sonnet-4', targets: [{ backend: Backend.anthropic({ apiKey: key('anthropic') }) }] },
      { name: 'deepseek-chat', targets: [{ backend: Backend.deepSeek({ apiKey: key('deepseek') }) }] },
    ],
  });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  declare(gateway);
  return gateway;
}

/** Starts the gateway on the simulator (no Redis: extensions' KV in memory) and the two SDK clients for alice. */
export async function startE2e(sim: UpstreamSimulator, declare: (g: AiGateway<'dedicated'>) => void, options: E2eOptions = {}): Promise<E2eGateway> {
  const gw = await startTestGateway(dedicatedGateway(declare), { upstream: sim, consumers: { alice: KEY } });
  return { gw, ...clients(gw, options), close: () => gw.close() };
}

/** OpenAI and Anthropic SDK clients of a gateway, for alice, without retries (a retry would hide what the gateway answered). */
export function clients(gw: Pick<TestGateway, 'url'>, options: E2eOptions = {}): { openai: OpenAI; anthropic: Anthropic } {
  const common = { apiKey: KEY, maxRetries: 0, defaultHeaders: options.defaultHeaders, ...(options.fetch && { fetch: options.fetch }) };
  return { openai: new OpenAI({ baseURL: `${gw.url}/v1`, ...common }), anthropic: new Anthropic({ baseURL: gw.url, ...common }) };
}

export const ask = (content: string, model = 'gpt-4o') => ({ model, messages: [{ role: 'user' as const, content }] });
export const askClaude = (content: string) => ({ model: 'claude-sonnet-4', max_tokens: 256, messages: [{ role: 'user' as const, content }] });

/** The text of a streamed chat completion, read with the SDK. */
export async function chatStreamText(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

/** The text of a streamed Anthropic message, read with the SDK. */
export async function messageStreamText(stream: AsyncIterable<Anthropic.Messages.RawMessageStreamEvent>): Promise<string> {
  let text = '';
  for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  return text;
}

/** The text of an Anthropic message. */
export function messageText(message: Anthropic.Messages.Message): string {
  return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

/**
 * Runs `call`, then waits for the access line of the request it made: written once the request ended (onStreamEnd
 * and onLog included), which can be just after the client read the answer's last byte. Returns the line.
 */
export async function untilLogged(gw: TestGateway, call: () => Promise<unknown>): Promise<AccessLine> {
  const lines = () => gw.logs.filter((l) => l.msg === 'access') as AccessLine[];
  const before = lines().length;
  await call();
  await eventually(() => lines().length > before, 15_000, { describe: () => 'no access line was written' });
  return lines()[before];
}

export type AccessLine = Record<string, unknown> & { ext?: Record<string, Record<string, unknown>> };

/** Runs `call`, then the fields `extension` added to its access line (under `ext.<extension>`). */
export async function accessFields(gw: TestGateway, extension: string, call: () => Promise<unknown>): Promise<Record<string, unknown> | undefined> {
  return (await untilLogged(gw, call)).ext?.[extension];
}

/** What the SDK threw, for matching on its status and error body. */
export async function thrown(call: Promise<unknown>): Promise<{ status?: number; error?: unknown; message: string }> {
  try {
    await call;
  } catch (e) {
    return e as { status?: number; error?: unknown; message: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
