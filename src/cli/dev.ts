import { randomBytes } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { UpstreamSimulator } from '../simulator';
import { parseFlags } from './args';
import { describeGateway, formatGateway, type GatewayEndpoint } from './dev-print';
import { DevError, freePorts, type ManagedProcess, onPath } from './dev-processes';
import { rewriteForLocal } from './dev-rewrite';
import { startRedis, startServe, writeConfigDir } from './dev-services';
import { readSynthesizedGateways, synthesizeApp, type SynthesizedGateway } from './dev-synth';
import { McpDemoServer } from '../simulator/mcp-demo';

export const DEV_USAGE = 'aigw dev [--app DIR] [--json]     (default app: examples/fleet)';

const DEFAULT_APP = 'examples/fleet';
/** Locally nobody waits for long streams: Ctrl-C should be quick. */
const DRAIN_TIMEOUT_MS = 5_000;

/** The `aigw` entry script, run again as `aigw serve` (lib/cli/aigw.js; src/cli/aigw.ts under ts-node). */
const AIGW_ENTRY = require.resolve('./aigw');

/**
 * `aigw dev`: synthesizes a cdktf app, rewrites each gateway's config for this machine (upstreams
 * on a bundled simulator and demo MCP server, session keys, free ports) and serves every gateway until Ctrl-C/SIGTERM.
 * Returns 0 after a signal, 1 when something fails or a gateway dies.
 */
export async function dev(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, { app: 'string', json: 'boolean' });
  const appDir = resolve(typeof flags.app === 'string' ? flags.app : DEFAULT_APP);
  const json = flags.json === true;
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) return;
    notice(`${signal}: stopping`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const session = new Session();
  try {
    return await run(session, appDir, json, stop.signal);
  } catch (e) {
    // A failure caused by the stop itself (a killed synth, an aborted wait) is not an error.
    if (stop.signal.aborted) return 0;
    if (e instanceof DevError) {
      notice(e.message);
      return 1;
    }
    throw e;
  } finally {
    await session.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function run(session: Session, appDir: string, json: boolean, signal: AbortSignal): Promise<number> {
  notice(`synthesizing ${appDir}`);
  const outdir = join(session.root, 'cdktf.out');
  await synthesizeApp(appDir, outdir, signal);
  const gateways = readSynthesizedGateways(outdir);
  if (gateways.length === 0) throw new DevError(`the app in ${appDir} synthesized no gateway`);

  // restEcho: HTTP-to-MCP tools call REST APIs the simulator does not know; it answers them with what it received.
  session.simulator = await UpstreamSimulator.start({ name: 'dev', restEcho: true });
  session.mcpDemo = await McpDemoServer.start();
  const redisAddress = await maybeStartRedis(session, gateways, signal);

  const ports = await freePorts(gateways.length * 3);
  const started = await Promise.allSettled(
    gateways.map(async ({ config }, i) => {
      const [port, tlsPort, adminPort] = ports.slice(i * 3, i * 3 + 3);
      const local = rewriteForLocal(config, {
        simulatorUrl: session.simulator!.url,
        mcpDemoUrl: session.mcpDemo!.url,
        ports: { port, tlsPort, adminPort },
        redisAddress,
        newApiKey,
        newSessionKey,
      });
      const configDir = join(session.root, 'gateways', `${i}-${config.metadata.name}`);
      writeConfigDir(configDir, local.config);
      const label = `gateway ${config.metadata.name}`;
      // Access logs to stderr in both modes: with --json, stdout carries only the gateways' JSON lines.
      const forward = (line: string) => process.stderr.write(`[${config.metadata.name}] ${line}\n`);
      const launch = { entry: AIGW_ENTRY, configDir, port, adminPort, env: local.env, forward, drainTimeoutMs: DRAIN_TIMEOUT_MS };
      const proc = await startServe(label, launch, signal);
      session.processes.push(proc);
      return describeGateway(local.config, local.consumerKeys, { baseUrl: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}` });
    }),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const described = started.map((s) => (s as PromiseFulfilledResult<{ endpoint: GatewayEndpoint; consumer?: string }>).value);

  if (json) {
    for (const { endpoint } of described) process.stdout.write(`${JSON.stringify(endpoint)}\n`);
  } else {
    process.stdout.write(
      `\n${described.length} gateway(s) running; upstreams answered by the simulator at ${session.simulator.url} (MCP proxies: the demo MCP server at ${session.mcpDemo.url}). Ctrl-C stops everything.\n\n`,
    );
    for (const { endpoint, consumer } of described) process.stdout.write(`${formatGateway(endpoint, consumer)}\n`);
  }

  const died = await session.untilStopOrDeath(signal);
  if (!died) return 0;
  const { code, signal: killedBy } = await died.exited;
  notice(`${died.label} exited unexpectedly (${killedBy ?? `code ${code}`}); stopping everything${died.tail ? `. Its last output:\n${died.tail}` : ''}`);
  return 1;
}

/** Redis only when some route rate-limits; without redis-server the gateways run as if Redis were down. */
async function maybeStartRedis(session: Session, gateways: readonly SynthesizedGateway[], signal: AbortSignal): Promise<string | undefined> {
  const limited = gateways.some(({ config }) => [...config.modelRoutes, ...config.agentRoutes].some((r) => r.policies.rateLimits.length > 0));
  if (!limited) return undefined;
  const executable = onPath('redis-server');
  if (!executable) {
    notice('redis-server is not on PATH: rate limits behave as with Redis unreachable (their onRedisUnavailable policy)');
    return undefined;
  }
  const redis = await startRedis(executable, signal);
  session.redis = redis.process;
  return redis.address;
}

/** Everything one `aigw dev` run started, stopped in reverse order of need. */
class Session {
  public readonly root = mkdtempSync(join(tmpdir(), 'aigw-dev-'));
  public readonly processes: ManagedProcess[] = [];
  public simulator?: UpstreamSimulator;
  public mcpDemo?: McpDemoServer;
  public redis?: ManagedProcess;

  /** Resolves undefined on a stop signal, or with the first started process that exits by itself. */
  public untilStopOrDeath(signal: AbortSignal): Promise<ManagedProcess | undefined> {
    const watched = [...this.processes, ...(this.redis ? [this.redis] : [])];
    return new Promise((resolveStop) => {
      if (signal.aborted) return resolveStop(undefined);
      signal.addEventListener('abort', () => resolveStop(undefined), { once: true });
      for (const p of watched) void p.exited.then(() => resolveStop(p));
    });
  }

  public async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    await this.redis?.stop();
    await this.simulator?.close();
    await this.mcpDemo?.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

function newApiKey(): string {
  return `aigw-dev-${randomBytes(12).toString('hex')}`;
}

/** 32 random bytes, hex: at least 32 bytes however the data plane reads the value. */
function newSessionKey(): string {
  return randomBytes(32).toString('hex');
}

function notice(line: string): void {
  process.stderr.write(`aigw dev: ${line}\n`);
}
