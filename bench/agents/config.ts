/**
 * The agents bench's gateway config, built from the constructs as a user would declare it: one model
 * route (gpt-4o on the simulator, as every gateway serving models has) and one Dify chat app exposed
 * as the model `support-bot` (`asModel`), both to the bundled simulator, one consumer granted all.
 */
import { rmSync } from 'fs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { AiGatewayFleet, Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { secretEnvName } from '../../src/dataplane/secrets';
import type { GatewayConfig } from '../../src/specs';
import { CONSUMER_KEY_REF, UPSTREAM_KEY_REF } from '../dataplane/configs';

/** The model name the Dify app answers to on `/v1/chat/completions`. */
export const AGENT_MODEL = 'support-bot';
/** The Dify app's key (the gateway sends it upstream as a Bearer token; the direct side sends it itself). */
export const AGENT_KEY_REF = { secretName: 'agent-keys', key: 'dify' } as const;
export const AGENT_KEY_ENV = secretEnvName(AGENT_KEY_REF);
/** A bench-only value; a real one is the Dify app's API key in a Secret. */
export const AGENT_KEY = 'app-aigw-bench-dify-0123456789abcdef';
/** The Dify `user` the gateway sends for the bench consumer (userMapping's default): the direct side sends the same, so both answers have one size. */
export const DIFY_USER = 'aigw:consumer:bench';

export interface AgentsBenchConfig {
  readonly config: GatewayConfig;
  /** What was changed after synthesis, for the report. */
  readonly changes: string[];
}

/** `upstream`: the simulator's base URL (`http://127.0.0.1:PORT`). */
export function buildAgentsBenchConfig(upstream: string): AgentsBenchConfig {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'bench');
  new KubernetesProvider(stack, 'k8s', {});
  const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'bench' });
  const gateway = fleet.addGateway('gw', { edition: 'dedicated', spec: 'aigw.large.x4' });
  const backend = new Backend({ provider: 'openai', baseUrl: `${upstream}/v1`, backendName: 'sim', apiKey: UPSTREAM_KEY_REF });
  gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
  gateway.addAgentRoute('support', { kind: 'dify', pathPrefix: '/agents/support', baseUrl: `${upstream}/v1`, apiKey: AGENT_KEY_REF, asModel: AGENT_MODEL });
  gateway.addConsumer('bench', { apiKey: CONSUMER_KEY_REF, grants: 'all' });
  const synthesized = synthesizedGatewayConfig(gateway);
  // Testing.app() leaves a cdktf.outdir.* folder in the system temp dir: the bench removes it.
  rmSync(app.outdir, { recursive: true, force: true });
  const config = structuredClone(synthesized.config);
  const changes: string[] = [];
  // The spec's per-replica ceiling would measure the ceiling, not the process (as in the data-plane bench).
  changes.push(`limits.maxQps ${config.limits.maxQps} → 1000000`);
  config.limits = { ...config.limits, maxQps: 1_000_000 };
  // No route here has a rate limit, so nothing needs the Dedicated gateway's Redis.
  if (config.redis) changes.push('redis removed (no rate limits configured)');
  delete (config as { redis?: unknown }).redis;
  return { config, changes };
}
