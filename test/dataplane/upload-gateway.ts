import type { ChatCompletion } from 'openai/resources/chat/completions';
import { client, CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import { type TestGateway, UpstreamSimulator } from '../../src/testing';

export interface UploadGatewayOptions {
  /** The gateway's limits.bodyTimeoutMs. */
  readonly bodyTimeoutMs: number;
  /** The audio route's policies.maxBodyBytes; without it, the route has no policies of its own. */
  readonly maxBodyBytes?: number;
  /** The shared backend's timeouts.totalMs; without it, the backend's default. */
  readonly attemptMs?: number;
}

/**
 * The gateway of the upload-fault tests: one simulated backend serves alice's uploads (`/audio`,
 * model whisper) and bob's chat (`/chat`, gpt-4o), so a client's fault wrongly charged to the backend
 * (its circuit opened) shows in bob's next chat. Closing it closes the simulator too.
 */
export async function startUploadGateway(options: UploadGatewayOptions): Promise<TestGateway> {
  const sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  const backend = simulatedBackend(sim, { provider: 'openai', ...(options.attemptMs !== undefined && { timeouts: { totalMs: options.attemptMs } }) });
  const audio = gateway.addModelRoute('audio', {
    pathPrefix: '/audio',
    models: [{ name: 'whisper', targets: [{ backend }] }],
    ...(options.maxBodyBytes !== undefined && { policies: { maxBodyBytes: options.maxBodyBytes } }),
  });
  const chat = gateway.addModelRoute('chat', { pathPrefix: '/chat', models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [audio, chat] } });
  gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: { routes: [chat] } });
  const gw = await start(gateway, (c) => ({ ...c, limits: { ...c.limits, bodyTimeoutMs: options.bodyTimeoutMs } })).catch(async (e: unknown) => {
    await sim.close();
    throw e;
  });
  return {
    ...gw,
    close: async () => {
      await gw.close();
      await sim.close();
    },
  };
}

/** Bob's chat on the backend alice's uploads share. */
export function bobChats(gw: TestGateway): Promise<ChatCompletion> {
  return client(gw, CONSUMER_KEYS.bob, '/chat').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
}
