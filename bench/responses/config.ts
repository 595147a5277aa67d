/**
 * The Responses bench's gateway config, built from the constructs as a user would declare it: one model
 * route with a model on each kind of backend the Responses API meets, all on the bundled simulator, and
 * one consumer granted all:
 *   - `gpt-4o` on an OpenAI backend: Responses native (passed through), and chat native (the yardstick);
 *   - `deepseek-chat` on a DeepSeek backend (OpenAI-compatible, chat completions only): Responses translated onto chat;
 *   - `claude-sonnet-4-5` on an Anthropic backend: Responses translated onto Messages.
 */
import { Backend } from '../../src';
import { CONSUMER_KEY_REF, UPSTREAM_KEY_REF } from '../dataplane/configs';
import { type BenchGatewayConfig, benchGatewayConfig } from '../shared/gateway-config';

export const OPENAI_MODEL = 'gpt-4o';
export const CHAT_BACKEND_MODEL = 'deepseek-chat';
export const ANTHROPIC_MODEL = 'claude-sonnet-4-5';

/** `upstream`: the simulator's base URL (`http://127.0.0.1:PORT`); every backend's API root is its `/v1`. */
export function buildResponsesBenchConfig(upstream: string): BenchGatewayConfig {
  return benchGatewayConfig(
    {},
    (gateway) => {
      const backend = (provider: 'openai' | 'deepseek' | 'anthropic') => new Backend({ provider, baseUrl: `${upstream}/v1`, backendName: `sim-${provider}`, apiKey: UPSTREAM_KEY_REF });
      gateway.addModelRoute('chat', {
        models: [
          { name: OPENAI_MODEL, targets: [{ backend: backend('openai') }] },
          { name: CHAT_BACKEND_MODEL, targets: [{ backend: backend('deepseek') }] },
          { name: ANTHROPIC_MODEL, targets: [{ backend: backend('anthropic') }] },
        ],
      });
      gateway.addConsumer('bench', { apiKey: CONSUMER_KEY_REF, grants: 'all' });
    },
    'no rate limits configured',
  );
}
