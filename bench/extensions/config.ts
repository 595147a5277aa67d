/**
 * The extensions bench's gateway configs, one per scenario, built from the constructs as a user would declare
 * them: one model route with `gpt-4o` on an OpenAI backend (the bundled simulator), one consumer granted all, and
 * the scenario's extensions (a custom one is bundled at synth from its module, as for any user).
 */
import type { Scenario } from './scenarios';
import { Backend } from '../../src';
import { CONSUMER_KEY_REF, UPSTREAM_KEY_REF } from '../dataplane/configs';
import { type BenchGatewayConfig, benchGatewayConfig } from '../shared/gateway-config';

export const MODEL = 'gpt-4o';

/** `upstream`: the simulator's base URL (`http://127.0.0.1:PORT`); the backend's API root is its `/v1`. */
export function buildExtensionsBenchConfig(upstream: string, scenario: Scenario): BenchGatewayConfig {
  return benchGatewayConfig(
    {},
    (gateway) => {
      const backend = new Backend({ provider: 'openai', baseUrl: `${upstream}/v1`, backendName: 'sim-openai', apiKey: UPSTREAM_KEY_REF });
      gateway.addModelRoute('chat', { models: [{ name: MODEL, targets: [{ backend }] }], policies: { keyAuth: scenario.builtInKeyAuth } });
      gateway.addConsumer('bench', { apiKey: CONSUMER_KEY_REF, grants: 'all' });
      for (const [id, options] of Object.entries(scenario.extensions)) gateway.addExtension(id, options);
    },
    'no rate limits configured, and no extension here keeps anything in ctx.kv',
  );
}
