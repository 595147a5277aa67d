import { type ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { connect } from 'net';
import { tmpdir } from 'os';
import { dirname, join, resolve } from 'path';
import { promisify } from 'util';
/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { ChatOpenAI } from '@langchain/openai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
/* eslint-enable import/no-unresolved */
import { generateText } from 'ai';
import OpenAI from 'openai';
import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici';
import {
  agentCurlCommand,
  agentModelCurlCommand,
  apiBasePath,
  curlCommand,
  describeGateway,
  formatGateway,
  type GatewayEndpoint,
  inspectorCommand,
  messagesCurlCommand,
  requestHost,
  responsesCurlCommand,
  sampleModel,
  shellQuote,
} from '../../src/cli/dev-print';
import { onPath } from '../../src/cli/dev-processes';
import { rewriteForLocal, secretRefsIn, simulated } from '../../src/cli/dev-rewrite';
import { nodeFlags } from '../../src/cli/dev-services';
import { type GatewayConfig, parseGatewayConfig } from '../../src/specs';
import { eventually } from '../support/eventually';

const root = resolve(__dirname, '..', '..');

// ---------------------------------------------------------------- the rewrite, as a pure function

const TIMEOUTS = { connectMs: 1000, firstByteMs: 1000, totalMs: 1000 };
const POLICIES = { keyAuth: { enabled: true }, rateLimits: [], onRedisUnavailable: 'failOpen' as const };

/** A config that touches every field the rewrite changes. */
function fixture(): GatewayConfig {
  const parsed = parseGatewayConfig({
    apiVersion: 'aigw.dev/v1',
    kind: 'GatewayConfig',
    metadata: { name: 'prod', fleet: 'ai', constructPath: 'stack/ai/prod', edition: 'dedicated', spec: 'aigw.small.x1', region: 'eu' },
    listeners: { port: 8080, tlsPort: 8443, adminPort: 9901 },
    limits: { maxClientConnections: 10, maxQps: 10, bandwidthMbps: 10, maxBodyBytes: 1000, headersTimeoutMs: 1000, idleTimeoutMs: 1000 },
    domains: [{ host: 'ai.example.com', tls: { certificate: { secretName: 'tls', key: 'tls.crt' }, privateKey: { secretName: 'tls', key: 'tls.key' } } }],
    backends: [
      {
        name: 'qwen',
        provider: 'dashscope',
        baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
        apiKey: { secretName: 'llm-keys', key: 'dashscope' },
        headers: {},
        timeouts: TIMEOUTS,
        retries: { attempts: 0, onStatus: [], backoffBaseMs: 0 },
      },
      {
        name: 'vllm',
        provider: 'vllm',
        baseUrl: 'http://vllm.ml.svc:8000/v1/',
        service: 'vllm-svc',
        headers: {},
        timeouts: TIMEOUTS,
        retries: { attempts: 0, onStatus: [], backoffBaseMs: 0 },
      },
    ],
    services: [{ name: 'vllm-svc', kind: 'kubernetes', serviceName: 'vllm', namespace: 'ml', port: 8000, source: 'remote' }],
    serviceSources: [{ name: 'remote', kind: 'kubeconfig', kubeconfig: { secretName: 'kube', key: 'config' } }],
    modelRoutes: [
      {
        name: 'chat',
        match: { host: '*.example.com', pathPrefix: '/team' },
        models: [{ name: 'qwen-*', aliases: [], targets: [{ backend: 'qwen', model: 'qwen-*', weight: 1 }], fallbacks: [] }],
        policies: { ...POLICIES, rateLimits: [{ name: 'rpm', kind: 'requests', limit: 5, window: 'minute', scope: 'consumer' }] },
      },
    ],
    agentRoutes: [
      {
        name: 'agent',
        kind: 'dify',
        match: { host: '*', pathPrefix: '/agent' },
        upstream: { baseUrl: 'https://dify.example.com/v1', apiKey: { secretName: 'agents', key: 'dify' } },
        timeouts: TIMEOUTS,
        policies: POLICIES,
      },
    ],
    consumers: [
      { name: 'team-a', apiKey: { secretName: 'consumer-keys', key: 'team-a' }, grants: { all: false, routes: ['chat'], mcpServers: [] } },
      { name: 'team-a-bis', apiKey: { secretName: 'consumer-keys', key: 'team-a' }, grants: { all: false, routes: [], mcpServers: [] } },
      { name: 'admin', apiKey: { secretName: 'consumer-keys', key: 'admin' }, grants: { all: true, routes: [], mcpServers: [] } },
    ],
    mcpServers: [
      { name: 'proxied', kind: 'proxy', path: '/mcp/proxied', upstream: { url: 'https://mcp.example.com/mcp', transport: 'streamable-http', headers: {} }, allowTools: [] },
      { name: 'legacy', kind: 'proxy', path: '/tools/legacy/', upstream: { url: 'https://old.example.com/sse', transport: 'sse', headers: {} }, allowTools: [] },
      {
        name: 'weather',
        kind: 'http-to-mcp',
        path: '/mcp/weather',
        upstream: { baseUrl: 'https://weather.example.com', auth: { header: 'authorization', prefix: 'Bearer ', secret: { secretName: 'upstream-tokens', key: 'weather' } } },
        tools: [
          {
            name: 'forecast',
            description: 'Forecast',
            inputSchema: { type: 'object' },
            request: { method: 'GET', path: '/forecast', query: {}, headers: {} },
            response: { format: 'json' },
          },
        ],
      },
    ],
    mcp: { sessionKey: { secretName: 'aigw-mcp', key: 'session-key' } },
    extensions: [],
    acceleration: { tls: { enabled: true, fallback: 'fail' }, compression: { enabled: false, fallback: 'software' } },
    observability: { tier: 'full', customLabels: {} },
    redis: { address: 'redis.ai.svc:6379', keyPrefix: 'aigw:prod:', user: 'prod', password: { secretName: 'redis-acl', key: 'prod' } },
  });
  if (!parsed.ok) throw new Error(parsed.issues.join('\n'));
  return parsed.config;
}

const SIM = 'http://127.0.0.1:40000';
const DEMO = 'http://127.0.0.1:40100';
const PORTS = { port: 41000, tlsPort: 41001, adminPort: 41002 };
function keys(): () => string {
  let n = 0;
  return () => `aigw-dev-${String(++n).padStart(24, '0')}`;
}
const SESSION_KEY = 'f'.repeat(64);
/** The rewrite's options, deterministic. */
function options() {
  return { simulatorUrl: SIM, mcpDemoUrl: DEMO, ports: PORTS, newApiKey: keys(), newSessionKey: () => SESSION_KEY };
}

describe('rewriteForLocal', () => {
  test('points every upstream at the simulator, keeping the original path', () => {
    const { config } = rewriteForLocal(fixture(), options());
    expect(config.backends.map((b) => b.baseUrl)).toEqual([`${SIM}/compatible-mode/v1`, `${SIM}/v1`]);
    expect(config.agentRoutes[0].upstream.baseUrl).toBe(`${SIM}/v1`);
    const [proxied, legacy, weather] = config.mcpServers;
    // MCP proxies: the demo MCP server, which speaks Streamable HTTP only.
    expect(proxied.kind === 'proxy' && proxied.upstream.url).toBe(`${DEMO}/mcp`);
    expect(legacy.kind === 'proxy' && [legacy.upstream.url, legacy.upstream.transport]).toEqual([`${DEMO}/sse`, 'streamable-http']);
    expect(weather.kind === 'http-to-mcp' && weather.upstream.baseUrl).toBe(SIM);
    // Service discovery would bypass the simulator.
    expect(config.services).toEqual([]);
    expect(config.serviceSources).toEqual([]);
    expect(config.backends[1].service).toBeUndefined();
  });

  test('uses the given ports, plain HTTP and no accelerator', () => {
    const { config } = rewriteForLocal(fixture(), options());
    expect(config.listeners).toEqual(PORTS);
    expect(config.domains).toEqual([{ host: 'ai.example.com' }]);
    expect(config.acceleration.tls.enabled).toBe(false);
  });

  test('generates a key per consumer Secret key and a dummy for every other SecretRef', () => {
    const { config, env, consumerKeys } = rewriteForLocal(fixture(), options());
    expect(consumerKeys.get('team-a')).toBe('aigw-dev-000000000000000000000001');
    // Two consumers on one Secret key share it, as in the cluster.
    expect(consumerKeys.get('team-a-bis')).toBe(consumerKeys.get('team-a'));
    expect(consumerKeys.get('admin')).toBe('aigw-dev-000000000000000000000002');
    expect(env.AIGW_SECRET_CONSUMER_KEYS_TEAM_A).toBe(consumerKeys.get('team-a'));
    expect(env.AIGW_SECRET_LLM_KEYS_DASHSCOPE).toMatch(/^dev-dummy-/);
    expect(env.AIGW_SECRET_AGENTS_DIFY).toMatch(/^dev-dummy-/);
    expect(env.AIGW_SECRET_UPSTREAM_TOKENS_WEATHER).toMatch(/^dev-dummy-/);
    // The MCP session key: a fresh one of 32 bytes or more, not a dummy.
    expect(config.mcp).toEqual({ sessionKey: { secretName: 'aigw-mcp', key: 'session-key' } });
    expect(env.AIGW_SECRET_AIGW_MCP_SESSION_KEY).toBe(SESSION_KEY);
    // Without a local Redis, its password stays a reference and gets a value too.
    expect(config.redis?.password).toEqual({ secretName: 'redis-acl', key: 'prod' });
    expect(env.AIGW_SECRET_REDIS_ACL_PROD).toBeDefined();
    // Every reference left in the config has a value.
    for (const ref of secretRefsIn(config)) expect(env[`AIGW_SECRET_${ref.secretName}_${ref.key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_')]).toBeTruthy();
  });

  test('points Redis at the local server as the default user', () => {
    const { config } = rewriteForLocal(fixture(), { ...options(), redisAddress: '127.0.0.1:6390' });
    expect(config.redis).toEqual({ address: '127.0.0.1:6390', keyPrefix: 'aigw:prod:' });
  });

  test('leaves the input alone and returns a valid config', () => {
    const original = fixture();
    const before = JSON.stringify(original);
    const { config } = rewriteForLocal(original, options());
    expect(JSON.stringify(original)).toBe(before);
    expect(parseGatewayConfig(config).ok).toBe(true);
  });

  test('simulated() keeps path and query, drops a bare slash', () => {
    expect(simulated(SIM, 'https://api.openai.com/v1')).toBe(`${SIM}/v1`);
    expect(simulated(`${SIM}/`, 'https://x.example.com/')).toBe(SIM);
    expect(simulated(SIM, 'https://x.example.com/a/b?x=1')).toBe(`${SIM}/a/b?x=1`);
  });
});

// ---------------------------------------------------------------- what it prints

describe('dev printing', () => {
  test('hosts, models and base paths a client can use', () => {
    expect(requestHost('*')).toBeNull();
    expect(requestHost('*.example.com')).toBe('x.example.com');
    expect(requestHost('ai.example.com')).toBe('ai.example.com');
    const entry = (name: string, aliases: string[] = []) => ({ name, aliases, targets: [], fallbacks: [] });
    expect(sampleModel({ models: [entry('qwen-*'), entry('gpt-4o')] })).toBe('gpt-4o');
    expect(sampleModel({ models: [entry('qwen-*')] })).toBe('qwen-dev');
    expect(sampleModel({ models: [entry('gpt-4o*')] })).toBe('gpt-4o-dev');
    expect(sampleModel({ models: [entry('*', ['default'])] })).toBe('default');
    expect(apiBasePath('/')).toBe('/v1');
    expect(apiBasePath('/v1')).toBe('/v1');
    expect(apiBasePath('/team/')).toBe('/team/v1');
  });

  test('describes a gateway with an all-routes consumer and a runnable curl', () => {
    const local = rewriteForLocal(fixture(), options());
    const { endpoint, consumer } = describeGateway(local.config, local.consumerKeys, { baseUrl: 'http://127.0.0.1:1', adminUrl: 'http://127.0.0.1:2' });
    expect(consumer).toBe('admin');
    expect(endpoint).toEqual({
      name: 'prod',
      edition: 'dedicated',
      baseUrl: 'http://127.0.0.1:1',
      adminUrl: 'http://127.0.0.1:2',
      apiKey: local.consumerKeys.get('admin'),
      // Locally the route answers on 127.0.0.1 too (no other route would collide): no Host header needed.
      host: null,
      model: 'qwen-dev',
      pathPrefix: '/team',
      mcpServers: [
        { name: 'proxied', url: 'http://127.0.0.1:1/mcp/proxied', sseUrl: 'http://127.0.0.1:1/mcp/proxied/sse' },
        { name: 'legacy', url: 'http://127.0.0.1:1/tools/legacy/', sseUrl: 'http://127.0.0.1:1/tools/legacy/sse' },
        { name: 'weather', url: 'http://127.0.0.1:1/mcp/weather', sseUrl: 'http://127.0.0.1:1/mcp/weather/sse' },
      ],
      agents: [{ name: 'agent', kind: 'dify', url: 'http://127.0.0.1:1/agent', asModel: null, host: null, appType: 'chat' }],
    });
    expect(curlCommand(endpoint)).toBe(
      `curl -s http://127.0.0.1:1/team/v1/chat/completions -H 'authorization: Bearer ${endpoint.apiKey}' -H 'content-type: application/json' ` +
        '-d \'{"model":"qwen-dev","messages":[{"role":"user","content":"Hello from aigw dev"}]}\'',
    );
    expect(shellQuote('it\'s')).toBe('\'it\'\\\'\'s\'');
    expect(inspectorCommand(endpoint.mcpServers[0], endpoint.apiKey)).toBe(
      `npx @modelcontextprotocol/inspector --cli http://127.0.0.1:1/mcp/proxied --transport http --header 'Authorization: Bearer ${endpoint.apiKey}' --method tools/list`,
    );
    expect(inspectorCommand(endpoint.mcpServers[0], null)).toBe('npx @modelcontextprotocol/inspector --cli http://127.0.0.1:1/mcp/proxied --transport http --method tools/list');
    const human = formatGateway(endpoint, consumer);
    expect(human).toContain('  MCP server weather\n    URL      http://127.0.0.1:1/mcp/weather  (Streamable HTTP; legacy SSE: http://127.0.0.1:1/mcp/weather/sse)\n');
    expect(human).toContain(`    inspect  ${inspectorCommand(endpoint.mcpServers[2], endpoint.apiKey)}\n`);
  });

  test('without an all-routes consumer, the key shown is the one that reaches the most of what is printed', () => {
    const config = fixture();
    const byName = (name: string) => config.consumers.find((c) => c.name === name)!;
    config.consumers = [
      { ...byName('team-a'), grants: { all: false, routes: ['chat'], mcpServers: [] } },
      { ...byName('admin'), name: 'tools', grants: { all: false, routes: ['chat'], mcpServers: ['proxied'], mcpTools: { weather: ['forecast'] } } },
    ];
    const built = rewriteForLocal(config, options());
    const { consumer, endpoint } = describeGateway(built.config, built.consumerKeys, { baseUrl: 'http://127.0.0.1:1', adminUrl: 'http://127.0.0.1:2' });
    expect(consumer).toBe('tools');
    expect(endpoint.apiKey).toBe(built.consumerKeys.get('tools'));
  });

  test('agents: each one\'s native URL and a ready native call; the agent exposed as a model, called on the first model route', () => {
    const config = fixture();
    const [dify] = config.agentRoutes;
    config.agentRoutes = [
      { ...dify, match: { host: 'ai.example.com', pathPrefix: '/agents/support/' }, appType: 'chat', asModel: 'support-bot' },
      { ...dify, name: 'studio', kind: 'model-studio', appId: 'app-1', match: { host: '*', pathPrefix: '/studio' }, upstream: { baseUrl: 'https://dashscope.aliyuncs.com/api/v1' } },
      { ...dify, name: 'flow', appType: 'workflow', match: { host: '*.example.com', pathPrefix: '/flow' } },
      { ...dify, name: 'bespoke', kind: 'custom', match: { host: '*', pathPrefix: '/bespoke' } },
    ];
    // Without an all-routes consumer, the key shown reaches the model route and the agents.
    const byName = (name: string) => config.consumers.find((c) => c.name === name)!;
    config.consumers = [byName('team-a'), { ...byName('admin'), name: 'helpdesk', grants: { all: false, routes: ['chat', 'agent'], mcpServers: [] } }];
    const built = rewriteForLocal(config, options());
    // Locally every route here answers on 127.0.0.1 (none would collide): no Host header anywhere.
    expect(describeGateway(built.config, built.consumerKeys, { baseUrl: 'http://127.0.0.1:1', adminUrl: 'http://127.0.0.1:2' }).endpoint.agents.map((a) => a.host)).toEqual([null, null, null, null]);
    // Where a route keeps its host (two routes would collide on 127.0.0.1), the printed calls send it: described from the hosts as configured.
    const { consumer, endpoint } = describeGateway(config, built.consumerKeys, { baseUrl: 'http://127.0.0.1:1', adminUrl: 'http://127.0.0.1:2' });
    expect(consumer).toBe('helpdesk');
    const key = built.consumerKeys.get('helpdesk')!;
    expect(endpoint.agents).toEqual([
      { name: 'agent', kind: 'dify', url: 'http://127.0.0.1:1/agents/support', asModel: 'support-bot', host: 'ai.example.com', appType: 'chat' },
      { name: 'studio', kind: 'model-studio', url: 'http://127.0.0.1:1/studio', asModel: null, host: null, appType: null },
      { name: 'flow', kind: 'dify', url: 'http://127.0.0.1:1/flow', asModel: null, host: 'x.example.com', appType: 'workflow' },
      { name: 'bespoke', kind: 'custom', url: 'http://127.0.0.1:1/bespoke', asModel: null, host: null, appType: null },
    ]);
    const auth = `-H 'authorization: Bearer ${key}' -H 'content-type: application/json'`;
    expect(agentModelCurlCommand(endpoint)).toBe(
      `curl -s http://127.0.0.1:1/team/v1/chat/completions ${auth} -H 'host: x.example.com' -d '{"model":"support-bot","messages":[{"role":"user","content":"Hello from aigw dev"}]}'`,
    );
    const [support, studio, flow, bespoke] = endpoint.agents;
    expect(agentCurlCommand(support, key)).toBe(
      `curl -s http://127.0.0.1:1/agents/support/chat-messages ${auth} -H 'host: ai.example.com' -d '{"inputs":{},"query":"Hello from aigw dev","response_mode":"blocking"}'`,
    );
    expect(agentCurlCommand(studio, key)).toBe(`curl -s http://127.0.0.1:1/studio/completion ${auth} -d '{"input":{"prompt":"Hello from aigw dev"}}'`);
    expect(agentCurlCommand(flow, key)).toBe(
      `curl -s http://127.0.0.1:1/flow/workflows/run ${auth} -H 'host: x.example.com' -d '{"inputs":{"query":"Hello from aigw dev"},"response_mode":"blocking"}'`,
    );
    expect(agentCurlCommand(bespoke, key)).toBeUndefined();
    const human = formatGateway(endpoint, consumer);
    expect(human).toContain(`  try an agent as a model:\n    ${agentModelCurlCommand(endpoint)!}\n`);
    expect(human).toContain(`  agent agent (dify chat app, as model support-bot)\n    Dify API: http://127.0.0.1:1/agents/support  (host ai.example.com)\n    try:  ${agentCurlCommand(support, key)!}\n`);
    expect(human).toContain(`  agent studio (model-studio)\n    Model Studio API: http://127.0.0.1:1/studio\n    try:  ${agentCurlCommand(studio, key)!}\n`);
    expect(human).toContain('  agent bespoke (custom)\n    agent API: http://127.0.0.1:1/bespoke\n  MCP server');

    // Without a model route, the agent answers as a model beneath its own prefix.
    const bare = { ...endpoint, model: null, pathPrefix: null, host: null };
    expect(agentModelCurlCommand(bare)).toBe(
      `curl -s http://127.0.0.1:1/agents/support/v1/chat/completions ${auth} -H 'host: ai.example.com' -d '{"model":"support-bot","messages":[{"role":"user","content":"Hello from aigw dev"}]}'`,
    );
    expect(agentModelCurlCommand({ ...endpoint, agents: endpoint.agents.slice(1) })).toBeUndefined();
  });

  test('children get the loader flags but not the inspector', () => {
    expect(nodeFlags(['-r', 'ts-node/register/transpile-only', '--inspect=9229', '--inspect-brk'])).toEqual(['-r', 'ts-node/register/transpile-only']);
  });
});

// ---------------------------------------------------------------- aigw dev, end to end

interface DevRun {
  readonly proc: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: Promise<number | null>;
}

/** Runs the CLI from source (lib may be stale; the example app itself needs lib, built in beforeAll). */
function runDev(args: string[]): DevRun {
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/aigw.ts', 'dev', ...args], {
    cwd: root,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, stdout: () => stdout, stderr: () => stderr, exit };
}

/**
 * Stops an `aigw dev` still running, as a user would (Ctrl-C: it stops its gateways and redis-server), and only
 * if that does not end it, SIGKILL: killed outright, its children (started detached) would outlive it.
 */
async function stopDev(run: DevRun): Promise<void> {
  if (run.proc.exitCode !== null || run.proc.signalCode !== null) return;
  run.proc.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([run.exit.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 30_000)))]);
  clearTimeout(timer);
  if (!stopped) run.proc.kill('SIGKILL');
}

/** The JSON lines, once `count` of them have arrived. */
async function endpoints(run: DevRun, count: number, timeoutMs = 90_000): Promise<GatewayEndpoint[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = run.stdout().split('\n').filter(Boolean);
    if (lines.length >= count) return lines.map((l) => JSON.parse(l) as GatewayEndpoint);
    if (run.proc.exitCode !== null || Date.now() > deadline) throw new Error(`aigw dev gave no ${count} endpoints (exit ${run.proc.exitCode}):\n${run.stdout()}\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The official SDK with a Host header: fetch drops `host` from request headers (a forbidden
 * header), so an undici dispatcher puts it back below fetch.
 */
function openai(e: GatewayEndpoint): OpenAI {
  const withHost: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
    const headers: Record<string, string> = {};
    const raw = opts.headers as Record<string, string> | string[] | undefined;
    if (Array.isArray(raw)) for (let i = 0; i < raw.length; i += 2) headers[raw[i]] = raw[i + 1];
    else Object.assign(headers, raw);
    return dispatch({ ...opts, headers: e.host ? { ...headers, host: e.host } : headers }, handler);
  };
  return new OpenAI({
    baseURL: `${e.baseUrl}${apiBasePath(e.pathPrefix!)}`,
    apiKey: e.apiKey!,
    maxRetries: 0,
    fetch: undiciFetch as unknown as typeof fetch,
    fetchOptions: { dispatcher: new Agent().compose(withHost) } as Record<string, unknown>,
  });
}

function refuses(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((r) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      r(false);
    });
    socket.once('error', () => r(true));
  });
}

/** Running processes as /proc shows them (Linux): pid, parent pid and argv. */
function processes(): { pid: number; ppid: number; argv: string[] }[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return [{ pid: Number(entry), ppid, argv }];
    } catch {
      return []; // Gone meanwhile.
    }
  });
}

/** The pid of the `aigw serve` listening on `port`. */
function servePid(port: string): number | undefined {
  return processes().find(({ argv }) => argv.includes('serve') && argv[argv.indexOf('--port') + 1] === port)?.pid;
}

describe('aigw dev', () => {
  beforeAll(() => {
    // The example app imports 'cdktf-ai-gateway', which resolves to this package's lib/.
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'pipe' });
  }, 300_000);

  test('serves the example fleet on the simulator until SIGINT', async () => {
    const run = runDev(['--json']);
    try {
      const gws = await endpoints(run, 2);
      expect(gws.map((g) => [g.name, g.edition]).sort()).toEqual([['lab', 'serverless'], ['prod', 'dedicated']]);
      for (const g of gws) {
        expect(Object.keys(g).sort()).toEqual(['adminUrl', 'agents', 'apiKey', 'baseUrl', 'edition', 'host', 'mcpServers', 'model', 'name', 'pathPrefix']);
        expect(g.apiKey).toMatch(/^aigw-dev-[0-9a-f]{24}$/);
        const res = await openai(g).chat.completions.create({ model: g.model!, messages: [{ role: 'user', content: `hello ${g.name}` }] });
        expect(res.choices[0].message.content).toMatch(new RegExp(`^\\[sim:[^\\]]+\\] ${g.model}: hello ${g.name}$`));
      }
      const lab = gws.find((g) => g.name === 'lab')!;
      expect(lab).toMatchObject({ host: null, model: 'qwen-dev' });

      // Streaming through the gateway, too.
      const prod = gws.find((g) => g.name === 'prod')!;
      const stream = await openai(prod).chat.completions.create({ model: prod.model!, stream: true, messages: [{ role: 'user', content: 'stream' }] });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toContain('stream');

      // The printed curl command, run as printed.
      const { stdout } = await promisify(execFile)('sh', ['-c', curlCommand(prod)!]);
      expect((JSON.parse(stdout) as OpenAI.ChatCompletion).choices[0].message.content).toContain('Hello from aigw dev');

      // What it started: a redis-server (the example rate-limits) and one `aigw serve` per gateway, with their configs in a temp dir.
      const children = processes().filter((p) => p.ppid === run.proc.pid);
      expect(children.filter((c) => c.argv.includes('serve'))).toHaveLength(2);
      // redis-server rewrites its title: argv[0] becomes "/usr/bin/redis-server 127.0.0.1:PORT".
      expect(children.some((c) => c.argv[0].includes('redis-server'))).toBe(onPath('redis-server') !== undefined);
      const serveArgv = children.find((c) => c.argv.includes('serve'))!.argv;
      const sessionDir = dirname(dirname(serveArgv[serveArgv.indexOf('--config') + 1]));
      expect(existsSync(sessionDir)).toBe(true);

      run.proc.kill('SIGINT');
      expect(await run.exit).toBe(0);
      for (const c of children) expect(existsSync(`/proc/${c.pid}`)).toBe(false);
      expect(existsSync(sessionDir)).toBe(false);
      // Nothing but the JSON lines on stdout, and every listener gone.
      expect(run.stdout().trim().split('\n')).toHaveLength(2);
      for (const g of gws) {
        expect(await refuses(g.baseUrl)).toBe(true);
        expect(await refuses(g.adminUrl)).toBe(true);
      }
    } finally {
      await stopDev(run);
    }
  }, 180_000);

  /**
   * What a newcomer does after `npm start -- --json`: the printed `baseUrl` and `apiKey`, pasted into the SDKs with
   * nothing else (no Host header: Node's fetch cannot send one): `baseUrl + /v1` as the OpenAI `baseURL`
   * (chat, Responses, the AI SDK's default provider, LangChain), `baseUrl` as the Anthropic base URL; and the
   * printed curls of each API, run as printed.
   */
  test('every gateway: the printed baseUrl and apiKey work unmodified in the SDKs, and the printed curls as printed', async () => {
    const run = runDev(['--json']);
    try {
      const gws = await endpoints(run, 2);
      for (const g of gws) {
        const model = g.model!;
        const sdk = new OpenAI({ baseURL: `${g.baseUrl}/v1`, apiKey: g.apiKey!, maxRetries: 0 });
        const chat = await sdk.chat.completions.create({ model, messages: [{ role: 'user', content: `chat ${g.name}` }] });
        expect(chat.choices[0].message.content).toContain(`chat ${g.name}`);
        const response = await sdk.responses.create({ model, input: `responses ${g.name}` });
        expect(response.output_text).toContain(`responses ${g.name}`);
        const anthropic = new Anthropic({ baseURL: g.baseUrl, apiKey: g.apiKey!, maxRetries: 0 });
        const message = await anthropic.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: `messages ${g.name}` }] });
        expect(message.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toContain(`messages ${g.name}`);
        const ai = await generateText({ model: createOpenAI({ baseURL: `${g.baseUrl}/v1`, apiKey: g.apiKey! })(model), prompt: `ai sdk ${g.name}`, maxRetries: 0 });
        expect(ai.text).toContain(`ai sdk ${g.name}`);
        const lc = await new ChatOpenAI({ model, apiKey: g.apiKey!, configuration: { baseURL: `${g.baseUrl}/v1` }, maxRetries: 0 }).invoke(`langchain ${g.name}`);
        expect(lc.text).toContain(`langchain ${g.name}`);
        const sh = async (command: string) => JSON.parse((await promisify(execFile)('sh', ['-c', command])).stdout) as Record<string, unknown>;
        expect(JSON.stringify(await sh(curlCommand(g)!))).toContain('Hello from aigw dev');
        expect(await sh(responsesCurlCommand(g)!)).toMatchObject({ object: 'response', status: 'completed' });
        expect(await sh(messagesCurlCommand(g)!)).toMatchObject({ type: 'message', role: 'assistant' });
      }
      // The gateways' access logs are kept, on stderr (written in batches, within LOG_BATCH.flushIntervalMs): stdout holds only the JSON lines.
      await eventually(() => /\[prod\] .*"path":"\/v1\/responses"/.test(run.stderr()));
      expect(run.stderr()).toMatch(/\[prod\] .*"path":"\/v1\/responses"/);
      expect(run.stdout().trim().split('\n')).toHaveLength(2);
    } finally {
      run.proc.kill('SIGINT');
      await run.exit;
    }
  }, 180_000);

  /**
   * The example's Dify agent, on the bundled Dify simulator: the printed native call and the printed call of
   * the agent as a model (`support-bot` on the chat route), run as printed, and the official SDK on the latter.
   * The Dify `user` is the gateway's, per consumer: the simulator's answer shows it.
   */
  test('agents: the printed native call and the agent-as-model call work as printed', async () => {
    const run = runDev(['--json']);
    try {
      const gws = await endpoints(run, 2);
      expect(gws.find((g) => g.name === 'lab')!.agents).toEqual([]);
      const prod = gws.find((g) => g.name === 'prod')!;
      expect(prod.agents).toEqual([
        { name: 'support', kind: 'dify', url: `${prod.baseUrl}/agents/support`, asModel: 'support-bot', host: null, appType: 'chat' },
      ]);
      const sh = async (command: string) => JSON.parse((await promisify(execFile)('sh', ['-c', command])).stdout) as Record<string, unknown>;

      const native = await sh(agentCurlCommand(prod.agents[0], prod.apiKey)!);
      expect(native).toMatchObject({ event: 'message', mode: 'chat', answer: expect.stringMatching(/^Dify heard "Hello from aigw dev" \(turn 1 of conversation, user aigw:consumer:/) });
      expect(native.answer).not.toContain(prod.apiKey!);

      const asModel = (await sh(agentModelCurlCommand(prod)!)) as unknown as OpenAI.ChatCompletion;
      expect(asModel.choices[0].message.content).toMatch(/^Dify heard "Hello from aigw dev" \(turn 1 of conversation, user aigw:consumer:/);
      const listed = await openai(prod).models.list();
      expect(listed.data.map((m) => m.id)).toContain('support-bot');
      const stream = await openai(prod).chat.completions.create({ model: 'support-bot', stream: true, messages: [{ role: 'user', content: 'stream to the agent' }] });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toMatch(/^Dify heard "stream to the agent" \(turn 1 of conversation/);
    } finally {
      run.proc.kill('SIGINT');
      await run.exit;
    }
  }, 180_000);

  /**
   * MCP end to end: the official SDK client on the printed `url` (Streamable HTTP) and `sseUrl`
   * (legacy HTTP+SSE) with the printed `apiKey`, listing and calling the example's HTTP-to-MCP tools,
   * which the simulator answers with its REST echo. This needs the data plane's MCP front (#12,
   * src/dataplane/mcp): until it serves MCP paths, the gateway answers 404 and this test fails.
   */
  test('MCP: the printed url and apiKey work with the official SDK client', async () => {
    const run = runDev(['--json']);
    const clients: Client[] = [];
    try {
      const gws = await endpoints(run, 2);
      expect(gws.find((g) => g.name === 'lab')!.mcpServers).toEqual([]);
      const prod = gws.find((g) => g.name === 'prod')!;
      expect(prod.mcpServers).toEqual([{ name: 'weather', url: `${prod.baseUrl}/mcp/weather`, sseUrl: `${prod.baseUrl}/mcp/weather/sse` }]);
      const [weather] = prod.mcpServers;
      const requestInit = { headers: { Authorization: `Bearer ${prod.apiKey}` } };
      const transports = [
        new StreamableHTTPClientTransport(new URL(weather.url), { requestInit }),
        new SSEClientTransport(new URL(weather.sseUrl), { requestInit }),
      ];
      for (const transport of transports) {
        const client = new Client({ name: 'aigw-dev-test', version: '1.0.0' });
        clients.push(client);
        await client.connect(transport);
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual(['getForecast', 'subscribeAlerts']);
        type TextResult = { content: { type: string; text: string }[]; isError?: boolean };
        const result = (await client.callTool({ name: 'getForecast', arguments: { city: 'paris', days: 3 } })) as TextResult;
        expect(result.isError).toBeFalsy();
        // The simulator's echo of the REST call the gateway made: the declared path and query, no credentials.
        const echo = JSON.parse(result.content[0].text) as { method: string; path: string; query: object; headers: object };
        expect(echo).toMatchObject({ method: 'GET', path: '/v1/forecast/paris', query: { days: '3' } });
        expect(echo.headers).not.toHaveProperty('authorization');
      }
    } finally {
      await Promise.allSettled(clients.map((c) => c.close()));
      run.proc.kill('SIGINT');
      await run.exit;
    }
  }, 180_000);

  /**
   * An MCP proxy in `aigw dev`: its upstream is the bundled demo MCP server, reached through the
   * gateway (allowTools filtering what it lists) with a session key `aigw dev` generated. Like the
   * test above, this needs the data plane's MCP front (#12).
   */
  test('MCP: a proxy reaches the bundled demo MCP server', async () => {
    const app = mkdtempSync(join(tmpdir(), 'aigw-dev-mcp-app-'));
    const lib = (m: string) => JSON.stringify(join(root, m));
    writeFileSync(join(app, 'cdktf.json'), JSON.stringify({ app: 'node main.js' }));
    writeFileSync(
      join(app, 'main.js'),
      [
        `const { App, TerraformStack } = require(${lib('node_modules/cdktf')});`,
        `const { KubernetesProvider } = require(${lib('node_modules/@cdktf/provider-kubernetes/lib/provider')});`,
        `const { AiGatewayFleet } = require(${lib('lib')});`,
        'const app = new App();',
        "const stack = new TerraformStack(app, 'mcp');",
        "new KubernetesProvider(stack, 'k8s', {});",
        "const gw = new AiGatewayFleet(stack, 'ai', { region: 'cn-hangzhou' }).addGateway('tools', { edition: 'serverless', mcpSessionKey: { secretName: 'aigw-mcp', key: 'session-key' } });",
        "const search = gw.addMcpServer('search', { kind: 'proxy', url: 'https://mcp.example.com/v1/mcp', allowTools: ['echo', 'add'] });",
        "gw.addConsumer('agent', { apiKey: { secretName: 'consumer-keys', key: 'agent' }, grants: { mcpServers: [search] } });",
        'app.synth();',
        '',
      ].join('\n'),
    );
    const run = runDev(['--json', '--app', app]);
    const client = new Client({ name: 'aigw-dev-test', version: '1.0.0' });
    try {
      const [gw] = await endpoints(run, 1);
      expect(gw.mcpServers).toEqual([{ name: 'search', url: `${gw.baseUrl}/mcp/search`, sseUrl: `${gw.baseUrl}/mcp/search/sse` }]);
      await client.connect(new StreamableHTTPClientTransport(new URL(gw.mcpServers[0].url), { requestInit: { headers: { Authorization: `Bearer ${gw.apiKey}` } } }));
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo', 'add']);
      expect(await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } })).toEqual({ content: [{ type: 'text', text: '42' }], structuredContent: { sum: 42 } });
    } finally {
      await client.close().catch(() => undefined);
      run.proc.kill('SIGINT');
      await run.exit;
      rmSync(app, { recursive: true, force: true });
    }
  }, 180_000);

  test('stops everything with exit 1 when a gateway dies', async () => {
    const run = runDev(['--json']);
    try {
      const gws = await endpoints(run, 2);
      const [victim, survivor] = gws;
      const pid = servePid(new URL(victim.baseUrl).port);
      expect(pid).toBeDefined();
      process.kill(pid!, 'SIGKILL');
      expect(await run.exit).toBe(1);
      expect(run.stderr()).toContain(`gateway ${victim.name} exited unexpectedly (SIGKILL)`);
      expect(await refuses(survivor.baseUrl)).toBe(true);
    } finally {
      await stopDev(run);
    }
  }, 180_000);

  test('a failing app: its stderr and exit 1', async () => {
    const app = mkdtempSync(join(tmpdir(), 'aigw-dev-app-'));
    writeFileSync(join(app, 'cdktf.json'), JSON.stringify({ app: 'node -e "console.error(\'boom from the app\'); process.exit(3)"' }));
    try {
      const run = runDev(['--app', app]);
      expect(await run.exit).toBe(1);
      expect(run.stderr()).toContain('synth failed');
      expect(run.stderr()).toContain('boom from the app');
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  }, 60_000);

  test('a directory without cdktf.json: a clear message and exit 1', async () => {
    const run = runDev(['--app', tmpdir()]);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toContain('no cdktf.json');
  }, 60_000);
});
