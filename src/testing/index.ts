import { Writable } from 'stream';
import { testSecrets } from './test-secrets';
import { pointAtUpstream } from './upstream';
import type { AiGateway } from '../constructs/gateway';
import { synthesizedGatewayConfig } from '../constructs/synthesized-config';
import { createLogger, DataPlane } from '../dataplane';
import type { GatewayConfig } from '../specs';
import { matchLoopback } from '../specs/loopback-routes';

export { synthesizedGatewayConfig };
export { UpstreamSimulator, type SimulatorOptions, type RecordedRequest, type Fault } from '../simulator';

export interface StartTestGatewayOptions {
  /**
   * Secret values by `secretName/key`, e.g. `{ 'consumer-keys/alice': 'test-key' }`. A secret the
   * config references and this does not give gets a dummy value, except a consumer's API key: give
   * one for every consumer of the gateway, here or in `consumers`. @default {}
   */
  readonly secrets?: Record<string, string>;
  /** Consumer API keys by consumer name, e.g. `{ alice: 'test-key' }`: the same as giving each consumer's `apiKey` secret. @default {} */
  readonly consumers?: Record<string, string>;
  /**
   * Point every backend, agent and HTTP-to-MCP API at this upstream (e.g. an `UpstreamSimulator`),
   * keeping each original URL's path (DashScope's `/compatible-mode/v1` stays). MCP proxies keep
   * their URLs. Applied before `transform`. @default none: the config's upstreams
   */
  readonly upstream?: { readonly url: string };
  /**
   * Count rate limits in this process, dropping the config's `redis` block: that Redis is the
   * cluster's, which a test cannot reach (the gateway would wait 3 s for it at start, then apply
   * each route's `onRedisUnavailable`). Applied before `transform`, which may set a `redis` of its own. @default true
   */
  readonly localLimits?: boolean;
  /** Rewrite the config before serving, e.g. to point backends somewhere. @default none */
  readonly transform?: (config: GatewayConfig) => GatewayConfig;
  /**
   * Let host-matched routes answer on any host (`http://127.0.0.1:PORT` included), so that `url`
   * works as an SDK base URL: Node's fetch (the openai SDK, the AI SDK, LangChain) cannot set a
   * Host header. Routes that would then take each other's requests keep their host (see
   * `matchLoopback` in src/specs/loopback-routes.ts); `notes` names them. Only in this test
   * gateway: in the cluster, host matching stays exact. @default true
   */
  readonly matchAnyHost?: boolean;
  /** Collect the JSON log lines instead of printing them. @default true */
  readonly quiet?: boolean;
}

export interface TestGateway {
  /** `http://127.0.0.1:PORT`, no trailing slash: `${url}/v1` is an OpenAI SDK `baseURL`, `url` an Anthropic SDK `baseURL`. */
  readonly url: string;
  /**
   * `https://127.0.0.1:PORT` when a Domain of the (Dedicated) gateway has TLS, its certificate and key
   * PEMs given in `secrets` by `secretName/key`; HTTP/2 and HTTP/1.1 by ALPN on that port. A client
   * that sends no SNI (an IP address) gets the first TLS Domain's certificate. Else undefined.
   */
  readonly tlsUrl: string | undefined;
  /** The admin listener (`/healthz`, `/readyz`, `/metrics`), `http://127.0.0.1:PORT`. */
  readonly adminUrl: string;
  readonly plane: DataPlane;
  /** The config served, after `upstream`, `localLimits`, `transform` and `matchAnyHost`. */
  readonly config: GatewayConfig;
  /** Log lines, parsed, when `quiet`. */
  readonly logs: Record<string, unknown>[];
  /** Routes that kept their host under `matchAnyHost` (send `Host: <host>` to reach them), e.g. `route 'a' needs Host a.example.com: …`. */
  readonly notes: readonly string[];
  /** Stops the gateway. Safe to call more than once (from `finally` and `afterAll` both). */
  close(): Promise<void>;
  /** `await using gw = await startTestGateway(…)` closes it at the end of the block (TypeScript 5.2+, lib `esnext.disposable`). */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts an in-process data plane on a gateway's synthesized config (or a config), on free loopback
 * ports. Synthesizes the gateway's stack with validations on: a rule violation throws here.
 * Close it when the test ends, in `finally` or `afterAll`, or jest waits on its open sockets.
 */
export async function startTestGateway(
  source: AiGateway | { config: GatewayConfig; hash: string },
  options: StartTestGatewayOptions = {},
): Promise<TestGateway> {
  const decoded = 'config' in source && 'hash' in source ? source : synthesizedGatewayConfig(source);
  let config = structuredClone(decoded.config);
  if (options.upstream) config = pointAtUpstream(config, options.upstream.url);
  if (options.localLimits ?? true) config = withoutRedis(config);
  if (options.transform) config = options.transform(config);
  const notes: string[] = [];
  if (options.matchAnyHost ?? true) {
    const loopback = matchLoopback(config);
    config = loopback.config;
    for (const k of loopback.kept) notes.push(`route '${k.route}' needs Host ${k.host}: ${k.reason}`);
  }
  const secrets = testSecrets(config, options.secrets ?? {}, options.consumers ?? {});
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
    tlsPort: 0,
    adminPort: 0,
    host: '127.0.0.1',
    logger: options.quiet === false ? undefined : createLogger(sink),
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= plane.close());
  return { url: plane.url, tlsUrl: plane.tlsUrl, adminUrl: plane.adminUrl, plane, config, logs, notes, close, [Symbol.asyncDispose]: close };
}

function withoutRedis(config: GatewayConfig): GatewayConfig {
  const { redis: _redis, ...local } = config;
  return local;
}
