/**
 * The WAF bench's gateway configs, one per scenario, built from the constructs as a user would declare them: one
 * model route with `gpt-4o` on an OpenAI backend (the bundled simulator), the built-in key auth, one consumer
 * granted all, and the scenario's `waf` on the gateway.
 */
import { MODEL } from './requests';
import type { Scenario } from './scenarios';
import { Backend } from '../../src';
import { CONSUMER_KEY_REF, UPSTREAM_KEY_REF } from '../dataplane/configs';
import { type BenchGatewayConfig, benchGatewayConfig } from '../shared/gateway-config';

/** The model route's name (the WAF's `route` metric label). */
export const ROUTE = 'chat';

/** `upstream`: the simulator's base URL (`http://127.0.0.1:PORT`); the backend's API root is its `/v1`. */
export function buildWafBenchConfig(upstream: string, scenario: Scenario): BenchGatewayConfig {
  return benchGatewayConfig(
    scenario.waf ? { waf: scenario.waf } : {},
    (gateway) => {
      const backend = new Backend({ provider: 'openai', baseUrl: `${upstream}/v1`, backendName: 'sim-openai', apiKey: UPSTREAM_KEY_REF });
      gateway.addModelRoute(ROUTE, { models: [{ name: MODEL, targets: [{ backend }] }], policies: { keyAuth: true } });
      gateway.addConsumer('bench', { apiKey: CONSUMER_KEY_REF, grants: 'all' });
    },
    'no rate limits configured',
  );
}
