import { Writable } from 'stream';
import type { AiGateway } from '../constructs/gateway';
import { synthesizedGatewayConfig } from '../constructs/synthesized-config';
import { createLogger, DataPlane, type SecretSource } from '../dataplane';
import type { GatewayConfig, SecretRef } from '../specs';

export { synthesizedGatewayConfig };
export { UpstreamSimulator, type SimulatorOptions, type RecordedRequest, type Fault } from '../simulator';

export interface StartTestGatewayOptions {
  /** Secret values by `secretName/key`, e.g. `{ 'consumer-keys/alice': 'test-key' }`. @default {} */
  readonly secrets?: Record<string, string>;
  /** Rewrite the config before serving, e.g. to point backends at a simulator. @default none */
  readonly transform?: (config: GatewayConfig) => GatewayConfig;
  /** Collect the JSON log lines instead of printing them. @default true */
  readonly quiet?: boolean;
}

export interface TestGateway {
  /** `http://127.0.0.1:PORT`: use `${url}/v1` as an OpenAI SDK `baseURL`. */
  readonly url: string;
  readonly adminUrl: string;
  readonly plane: DataPlane;
  /** Log lines, parsed, when `quiet`. */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Starts an in-process data plane on a gateway's synthesized config (or a config), on free loopback ports. */
export async function startTestGateway(
  source: AiGateway | { config: GatewayConfig; hash: string },
  options: StartTestGatewayOptions = {},
): Promise<TestGateway> {
  const decoded = 'config' in source && 'hash' in source ? source : synthesizedGatewayConfig(source);
  const config = options.transform ? options.transform(structuredClone(decoded.config)) : decoded.config;
  const values = options.secrets ?? {};
  const secrets: SecretSource = {
    read: (ref: SecretRef) => values[`${ref.secretName}/${ref.key}`],
    describe: (ref: SecretRef) => `secrets['${ref.secretName}/${ref.key}'] of startTestGateway`,
  };
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const plane = await DataPlane.start({
    config: { config, hash: decoded.hash },
    secrets,
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    logger: options.quiet === false ? undefined : createLogger(sink),
  });
  return { url: plane.url, adminUrl: plane.adminUrl, plane, logs, close: () => plane.close() };
}
