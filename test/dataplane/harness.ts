import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import OpenAI from 'openai';
import { type AiGateway, AiGatewayFleet, Backend, type BackendProps, type ModelProps } from '../../src';
import type { GatewayConfig } from '../../src/specs';
import { startTestGateway, type TestGateway, UpstreamSimulator } from '../../src/testing';

/** A fleet with one gateway, for data-plane tests that start from real constructs. */
export function gatewayStack(props: Parameters<AiGatewayFleet['addGateway']>[1] = { edition: 'dedicated', spec: 'aigw.small.x1' }): AiGateway {
  const stack = new TerraformStack(Testing.app(), 'dp');
  new KubernetesProvider(stack, 'k8s', {});
  return new AiGatewayFleet(stack, 'fleet', { region: 'test' }).addGateway('gw', props) as AiGateway;
}

/** A backend whose base URL is a running simulator. */
export function simulatedBackend(sim: UpstreamSimulator, props: Omit<BackendProps, 'baseUrl'> & { basePath?: string }): Backend {
  const { basePath = '/v1', ...rest } = props;
  return new Backend({ ...rest, baseUrl: `${sim.url}${basePath}` });
}

/**
 * One model per backend API a client may meet, all on the simulator, each with the upstream key `start` supplies:
 * `gpt-4o` on OpenAI (the Responses API native), `deepseek-chat` on DeepSeek (chat completions only) and
 * `claude-sonnet-4` on Anthropic.
 */
export function modelsOnEveryApi(sim: UpstreamSimulator): { gpt4o: ModelProps; deepseek: ModelProps; claude: ModelProps } {
  const baseUrl = `${sim.url}/v1`;
  const key = (name: string) => ({ secretName: 'llm-keys', key: name });
  return {
    gpt4o: { name: 'gpt-4o', targets: [{ backend: Backend.openAi({ baseUrl, apiKey: key('openai') }) }] },
    deepseek: { name: 'deepseek-chat', targets: [{ backend: Backend.deepSeek({ baseUrl, apiKey: key('deepseek') }) }] },
    claude: { name: 'claude-sonnet-4', targets: [{ backend: Backend.anthropic({ baseUrl, apiKey: key('anthropic') }) }] },
  };
}

export const CONSUMER_KEYS = { alice: 'sk-alice-test-key', bob: 'sk-bob-test-key' } as const;
export const UPSTREAM_KEY = 'sk-upstream-secret-0123456789';

/** Starts a test gateway with the harness's keys (consumers alice and bob, every upstream's), and `secrets` besides (a TLS Domain's PEMs). */
export async function start(
  gateway: AiGateway,
  transform?: (c: GatewayConfig) => GatewayConfig,
  secrets: Record<string, string> = {},
): Promise<TestGateway> {
  return startTestGateway(gateway, {
    transform,
    // The synthesized Redis address stays (a test points it at its redis-server, or sees the outage policy).
    localLimits: false,
    secrets: {
      'consumer-keys/alice': CONSUMER_KEYS.alice,
      'consumer-keys/bob': CONSUMER_KEYS.bob,
      'llm-keys/openai': UPSTREAM_KEY,
      'llm-keys/azure': UPSTREAM_KEY,
      'llm-keys/dashscope': UPSTREAM_KEY,
      'llm-keys/deepseek': UPSTREAM_KEY,
      'llm-keys/anthropic': UPSTREAM_KEY,
      ...secrets,
    },
  });
}

export function client(gw: TestGateway, apiKey: string = CONSUMER_KEYS.alice, prefix = ''): OpenAI {
  return new OpenAI({ baseURL: `${gw.url}${prefix}/v1`, apiKey, maxRetries: 0 });
}
