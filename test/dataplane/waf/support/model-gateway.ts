import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { BLOCK_ALL, type RouteWafs, withWaf } from './waf-gateway';
import { Backend } from '../../../../src';
import type { GatewayConfig, WafConfig } from '../../../../src/specs';
import { type TestGateway, UpstreamSimulator } from '../../../../src/testing';
import { CONSUMER_KEYS, gatewayStack, start } from '../../harness';

/**
 * A Dedicated gateway with model routes on one simulator, every model the WAF corpus names served: `gpt-4o`
 * (chat, Responses), `gpt-3.5-turbo-instruct` (completions) and `text-embedding-3-small` on an OpenAI backend,
 * `claude-sonnet-4-5` and `claude-sonnet-4-6` on an Anthropic one. Route `chat` has no prefix; route `guarded` (prefix `/guarded`) serves the
 * same models, for per-route overrides. Alice and bob may use both.
 */
export interface ModelWafGateway {
  readonly gw: TestGateway;
  readonly sim: UpstreamSimulator;
  /** An OpenAI SDK client on alice's key, at `prefix` ('' or '/guarded'). */
  openai(prefix?: string): OpenAI;
  anthropic(prefix?: string): Anthropic;
  close(): Promise<void>;
}

export async function startModelWafGateway(
  waf: WafConfig = BLOCK_ALL,
  routes: RouteWafs = {},
  more: (c: GatewayConfig) => GatewayConfig = (c) => c,
): Promise<ModelWafGateway> {
  const sim = await UpstreamSimulator.start({ name: 'waf' });
  const gateway = gatewayStack();
  const key = { secretName: 'llm-keys', key: 'openai' };
  // A breaker that opens after two upstream failures: the attacker tests show that WAF 403s never count against it.
  const openai = new Backend({ provider: 'openai', baseUrl: `${sim.url}/v1`, apiKey: key, circuitBreaker: { failureThreshold: 2 } });
  const claude = new Backend({ provider: 'anthropic', baseUrl: `${sim.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'anthropic' } });
  const models = [
    { name: 'gpt-4o', targets: [{ backend: openai }] },
    { name: 'gpt-3.5-turbo-instruct', targets: [{ backend: openai }] },
    { name: 'text-embedding-3-small', targets: [{ backend: openai }] },
    { name: 'claude-sonnet-4-5', targets: [{ backend: claude }] },
    // What the SDK tests ask for: the Anthropic SDK prints a deprecation warning for claude-sonnet-4-5.
    { name: 'claude-sonnet-4-6', targets: [{ backend: claude }] },
    // Multipart uploads (audio transcriptions).
    { name: 'whisper-1', targets: [{ backend: openai }] },
  ];
  const chat = gateway.addModelRoute('chat', { models });
  const guarded = gateway.addModelRoute('guarded', { pathPrefix: '/guarded', models });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat, guarded] } });
  gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: { routes: [chat, guarded] } });
  const addWaf = withWaf(waf, routes);
  // Without the synthesized Redis, which nothing here listens on (the start would wait 3 s for it).
  const local = ({ redis: _redis, ...c }: GatewayConfig): GatewayConfig => c;
  const gw = await start(gateway, (c) => more(addWaf(local(c)))).catch(async (e: unknown) => {
    // A config the data plane refuses (the tests of load errors): the simulator must not outlive the test.
    await sim.close();
    throw e;
  });
  return {
    gw,
    sim,
    openai: (prefix = '') => new OpenAI({ baseURL: `${gw.url}${prefix}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 }),
    anthropic: (prefix = '') => new Anthropic({ baseURL: `${gw.url}${prefix}`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 }),
    close: async () => {
      await gw.close();
      await sim.close();
    },
  };
}

/** The config without route `chat` (the one without a prefix): every path outside `/guarded` is then unrouted. */
export function onlyGuarded(c: GatewayConfig): GatewayConfig {
  return {
    ...c,
    modelRoutes: c.modelRoutes.filter((r) => r.name !== 'chat'),
    consumers: c.consumers.map((k) => ({ ...k, grants: { ...k.grants, routes: k.grants.routes.filter((r) => r !== 'chat') } })),
  };
}
