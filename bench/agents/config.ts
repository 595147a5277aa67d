/**
 * The agents bench's gateway config, built from the constructs as a user would declare it: one model
 * route (gpt-4o on the simulator, as every gateway serving models has) and one Dify chat app exposed
 * as the model `support-bot` (`asModel`), both to the bundled simulator, one consumer granted all.
 */
import { Backend } from '../../src';
import { secretEnvName } from '../../src/dataplane/secrets';
import { CONSUMER_KEY_REF, UPSTREAM_KEY_REF } from '../dataplane/configs';
import { type BenchGatewayConfig, benchGatewayConfig } from '../shared/gateway-config';

/** The model name the Dify app answers to on `/v1/chat/completions`. */
export const AGENT_MODEL = 'support-bot';
/** The Dify app's key (the gateway sends it upstream as a Bearer token; the direct side sends it itself). */
export const AGENT_KEY_REF = { secretName: 'agent-keys', key: 'dify' } as const;
export const AGENT_KEY_ENV = secretEnvName(AGENT_KEY_REF);
/** A bench-only value; a real one is the Dify app's API key in a Secret. */
export const AGENT_KEY = 'app-aigw-bench-dify-0123456789abcdef';
/** The Dify `user` the gateway sends for the bench consumer (userMapping's default): the direct side sends the same, so both answers have one size. */
export const DIFY_USER = 'aigw:consumer:bench';

/** `upstream`: the simulator's base URL (`http://127.0.0.1:PORT`). */
export function buildAgentsBenchConfig(upstream: string): BenchGatewayConfig {
  return benchGatewayConfig(
    {},
    (gateway) => {
      const backend = new Backend({ provider: 'openai', baseUrl: `${upstream}/v1`, backendName: 'sim', apiKey: UPSTREAM_KEY_REF });
      gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
      gateway.addAgentRoute('support', { kind: 'dify', pathPrefix: '/agents/support', baseUrl: `${upstream}/v1`, apiKey: AGENT_KEY_REF, asModel: AGENT_MODEL });
      gateway.addConsumer('bench', { apiKey: CONSUMER_KEY_REF, grants: 'all' });
    },
    'no rate limits configured',
  );
}
