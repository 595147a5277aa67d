/**
 * Synth benchmark (issue #2). NOT a test: it measures and reports, it never fails on timing.
 *
 *   npx projen bench:synth
 *   (= node --expose-gc -r ts-node/register/transpile-only bench/synth-bench.ts)
 *
 * With no argument it runs every case, each in a fresh child process (so peak RSS is per case),
 * prints a markdown table and rewrites the "## Synth (issue #2)" section of BENCHMARKS.md
 * (between the synth-bench markers). With `--case <name>` it runs one case in this process and
 * prints its result as JSON (this is what the children do; also handy under `node --cpu-prof`).
 * SYNTH_BENCH_RUNS=n runs each case n times (default 3): the table shows the median run by total
 * time, the min-max range, and the highest peak RSS of the runs.
 * SYNTH_BENCH_KEEP=1 keeps each case's temp dir (cdktf.out) for inspection.
 *
 * Cases:
 *   baseline  - load the library, cdktf and the provider, synth nothing (the fixed cost of a child)
 *   large     - one aigw.large.x4 Dedicated gateway filled to every Large quota
 *   routes10  - one aigw.large.x4 gateway with 10 model routes, otherwise minimal
 *   routes10k - the same with 10,000 model routes
 *   fleet100  - a fleet of 100 gateways (the region max): 50 Serverless + 50 aigw.small.x1
 *   naive10k  - contrast: one ConfigMapV1 per route for 10,000 routes, plain stack
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { cpus, loadavg, tmpdir } from 'os';
import { join, resolve } from 'path';
import { App, TerraformStack } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import {
  AiGateway,
  AiGatewayFleet,
  Backend,
  type GrantableRoute,
  LOCK_FILE_CONTEXT_KEY,
  type Quota,
  QUOTA_COUNTERS,
  QUOTAS,
} from '../src';

// ---------------------------------------------------------------- goals (reported, never enforced)

const GOAL_LARGE_SECONDS = 10;
const GOAL_LARGE_RSS_MIB = 1024;

const REPO_ROOT = resolve(__dirname, '..');
const BENCHMARKS_MD = join(REPO_ROOT, 'BENCHMARKS.md');
const MARK_START = '<!-- synth-bench:start -->';
const MARK_END = '<!-- synth-bench:end -->';
const RESULT_PREFIX = '@@synth-bench-result@@ ';
const CHILD_TIMEOUT_MS = 15 * 60 * 1000;
const RUNS = Math.max(1, Number.parseInt(process.env.SYNTH_BENCH_RUNS ?? '3', 10) || 3);
const STACK_NAME = 'bench';

// ---------------------------------------------------------------- results

interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  /** Seconds spent declaring the App (constructs, children). */
  readonly constructSeconds?: number;
  /** Seconds spent in `app.synth()` (rules, config, rendering, JSON). */
  readonly synthSeconds?: number;
  /** Terraform resources in cdktf.out/stacks/<name>/cdk.tf.json. */
  readonly resources?: number;
  /** Resources by Terraform type. */
  readonly resourcesByType?: Record<string, number>;
  /** Size of the stack's cdk.tf.json. */
  readonly outputBytes?: number;
  /** process.resourceUsage().maxRSS at the end of the child, KiB. */
  readonly maxRssKiB: number;
  /** Quota usage of the gateway (large case): count and limit per quota. */
  readonly quotas?: Record<string, { count: number; limit: number | null }>;
  readonly notes?: string;
  /** Wall time of the whole child process as seen by the parent (node + ts-node startup included). */
  processSeconds?: number;
  /** Set by the parent when aggregating runs: min and max of construct + synth, and the runs' count. */
  totalRange?: [number, number];
  runs?: number;
}

interface Workload {
  /** Declares everything under `app`; returns a note for the table and, optionally, the gateway whose quotas to report. */
  build(app: App, tmp: string): { notes: string; gateway?: AiGateway };
}

// ---------------------------------------------------------------- workloads

function newApp(outdir: string): App {
  // The lock file goes to the temp dir too: the bench never writes into the repo (besides BENCHMARKS.md).
  return new App({ outdir, context: { [LOCK_FILE_CONTEXT_KEY]: join(outdir, '..', 'aigw.lock.json') } });
}

function newStack(app: App): TerraformStack {
  const stack = new TerraformStack(app, STACK_NAME);
  new KubernetesProvider(stack, 'k8s', { configPath: '~/.kube/config' });
  return stack;
}

const pad = (n: number, width = 5): string => String(n).padStart(width, '0');

/** One aigw.large.x4 Dedicated gateway filled to every Large quota (see QUOTAS in src/specs/catalog.ts). */
const large: Workload = {
  build(app, tmp) {
    const stack = newStack(app);
    const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou' });
    const gw = fleet.addGateway('large', { edition: 'dedicated', spec: 'aigw.large.x4' });

    // A handful of shared Backends for every route (each Backend is one upstream pool).
    const backends = [
      Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } }),
      Backend.anthropic({ apiKey: { secretName: 'llm-keys', key: 'anthropic' } }),
      Backend.dashScope({ apiKey: { secretName: 'llm-keys', key: 'dashscope' } }),
      Backend.deepSeek({ apiKey: { secretName: 'llm-keys', key: 'deepseek' } }),
    ];

    // 1,000 Domains (distinct hostnames); routes use them as hosts.
    const DOMAINS = 1_000;
    const hosts: string[] = [];
    for (let i = 0; i < DOMAINS; i++) {
      const hostname = `api-${pad(i, 4)}.example.com`;
      hosts.push(hostname);
      gw.addDomain(`domain-${pad(i, 4)}`, { hostname });
    }

    // 5 ServiceSources: in-cluster + 4 remote clusters (kubeconfigs as keys of ONE Secret).
    gw.addServiceSource('in-cluster', { kind: 'in-cluster' });
    for (let i = 1; i <= 4; i++) gw.addServiceSource(`remote-${i}`, { kind: 'kubeconfig', kubeconfig: { secretName: 'kubeconfigs', key: `cluster-${i}` } });

    // 4,000 static UpstreamServices × 2 addresses = 8,000 service nodes.
    const SERVICES = 4_000;
    const services = [];
    for (let i = 0; i < SERVICES; i++) {
      const a = (i >> 8) & 0xff;
      const b = i & 0xff;
      services.push(gw.addUpstreamService(`svc-${pad(i, 4)}`, { kind: 'static', addresses: [`10.1.${a}.${b}:8080`, `10.2.${a}.${b}:8080`] }));
    }

    // 10,000 routes: 9,000 ModelRoutes + 1,000 AgentRoutes, each a distinct (host, path).
    const MODEL_ROUTES = 9_000;
    const AGENT_ROUTES = 1_000;
    const routes: GrantableRoute[] = [];
    for (let i = 0; i < MODEL_ROUTES; i++) {
      const backend = backends[i % backends.length];
      routes.push(
        gw.addModelRoute(`mr-${pad(i)}`, {
          host: hosts[i % DOMAINS],
          pathPrefix: `/v1/r${i}`,
          models: [
            { name: 'chat', aliases: [`chat-${i % 7}`], targets: [{ backend, model: 'gpt-4o', weight: 9 }, { backend: backends[(i + 1) % backends.length], weight: 1 }], fallbacks: ['chat-mini'] },
            { name: 'chat-mini', targets: [{ backend, model: 'gpt-4o-mini' }] },
          ],
          policies: i % 3 === 0 ? { rateLimits: [{ limit: 600, window: 'minute' }, { kind: 'tokens', limit: 100_000, window: 'hour' }] } : undefined,
        }),
      );
    }
    for (let i = 0; i < AGENT_ROUTES; i++) {
      const studio = i % 2 === 0;
      routes.push(
        gw.addAgentRoute(`ar-${pad(i, 4)}`, {
          kind: studio ? 'model-studio' : 'custom',
          host: hosts[i % DOMAINS],
          pathPrefix: `/agents/a${i}`,
          ...(studio ? { appId: `app-${i}` } : { service: services[i % SERVICES] }),
          apiKey: { secretName: 'agent-keys', key: `agent-${i}` },
        }),
      );
    }

    // 2,000 MCP servers: 1,000 proxies + 1,000 HTTP-to-MCP with 1-2 inline tools.
    const MCP = 2_000;
    for (let i = 0; i < MCP; i++) {
      if (i % 2 === 0) {
        gw.addMcpServer(`mcp-${pad(i, 4)}`, { kind: 'proxy', url: `https://mcp-${i}.tools.example.com/mcp`, allowTools: i % 4 === 0 ? ['search', 'fetch'] : undefined });
      } else {
        const tools = [
          {
            name: 'get_item',
            description: 'Fetch one item by id',
            inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
            request: { method: 'GET' as const, path: '/items/{{args.id}}' },
          },
          ...(i % 4 === 1
            ? [{ name: 'create_item', inputSchema: { type: 'object', properties: { item: { type: 'object' } } }, request: { method: 'POST' as const, path: '/items', bodyArg: 'item' } }]
            : []),
        ];
        gw.addMcpServer(`mcp-${pad(i, 4)}`, { kind: 'http-to-mcp', service: services[(i * 7) % SERVICES], tools });
      }
    }

    // Extensions: installed = enabled marketplace + custom (30), uploaded = distinct custom bundles (80).
    // The 4 marketplace extensions (enabled) + 80 custom modules (each bundled at synth) of which 26 enabled → installed 30,
    // uploaded 80. Plus 3 system ones (not counted).
    gw.addExtension('sys-cache', { name: 'ai-cache', source: 'system', config: { ttlSeconds: 60 } });
    gw.addExtension('sys-headers', { name: 'header-transform', source: 'system', config: { response: { set: { 'x-served-by': 'aigw' } } } });
    gw.addExtension('sys-prompt', { name: 'prompt-decorator', source: 'system', config: { prepend: [{ role: 'system', content: 'Be brief.' }] } });
    gw.addExtension('mkt-pii', { name: 'pii-redaction', source: 'marketplace', version: '1.0.0' });
    gw.addExtension('mkt-audit', { name: 'audit-log', source: 'marketplace' });
    gw.addExtension('mkt-hmac', { name: 'hmac-auth', source: 'marketplace', config: { secret: 's'.repeat(32) } });
    gw.addExtension('mkt-schema', { name: 'json-schema-guard', source: 'marketplace', config: { schema: { type: 'object' } } });
    for (let i = 0; i < 80; i++) {
      const modulePath = join(tmp, `custom-ext-${i}.js`);
      writeFileSync(modulePath, `module.exports = { name: 'custom-ext-${i}', onRequest() {} };\n`);
      gw.addExtension(`custom-${pad(i, 2)}`, { name: `custom-ext-${i}`, source: 'custom', modulePath, enabled: i < 26, phase: 'authz', priority: i });
    }

    // 10,000 consumer authorizations: 100 consumers × 100 route grants, keys in ONE Secret.
    const CONSUMERS = 100;
    const GRANTS = 100;
    for (let c = 0; c < CONSUMERS; c++) {
      gw.addConsumer(`consumer-${pad(c, 3)}`, { apiKey: { secretName: 'consumer-keys', key: `consumer-${c}` }, grants: { routes: routes.slice(c * GRANTS, (c + 1) * GRANTS) } });
    }
    return {
      gateway: gw as unknown as AiGateway,
      notes: `${MODEL_ROUTES} model + ${AGENT_ROUTES} agent routes, ${MCP} MCP, ${DOMAINS} domains, ${SERVICES} services/${SERVICES * 2} nodes, 5 sources, 30 installed / 80 uploaded ext., ${CONSUMERS * GRANTS} grants`,
    };
  },
};

/** One aigw.large.x4 gateway with `n` model routes and nothing else. */
function routesOnly(n: number): Workload {
  return {
    build(app) {
      const stack = newStack(app);
      const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou' });
      const gw = fleet.addGateway('large', { edition: 'dedicated', spec: 'aigw.large.x4' });
      const backend = Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });
      for (let i = 0; i < n; i++) {
        gw.addModelRoute(`mr-${pad(i)}`, { pathPrefix: `/v1/r${i}`, models: [{ name: 'chat', targets: [{ backend, model: 'gpt-4o' }] }] });
      }
      return { gateway: gw as unknown as AiGateway, notes: `${n} model routes, one Backend` };
    },
  };
}

/** A fleet of 100 gateways (the region max): 50 Serverless + 50 Dedicated aigw.small.x1, 5 routes each. */
const fleet100: Workload = {
  build(app) {
    const stack = newStack(app);
    const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou' });
    const backend = Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });
    const ROUTES = 5;
    for (let g = 0; g < 100; g++) {
      const serverless = g < 50;
      const gw = serverless
        ? fleet.addGateway(`sl-${pad(g, 3)}`, { edition: 'serverless' })
        : fleet.addGateway(`ded-${pad(g, 3)}`, { edition: 'dedicated', spec: 'aigw.small.x1' });
      // Serverless gateways share the fleet's endpoint, so each publishes its own host.
      const host = `gw-${pad(g, 3)}.example.com`;
      gw.addDomain('domain', { hostname: host });
      const routes: GrantableRoute[] = [];
      for (let r = 0; r < ROUTES; r++) {
        routes.push(gw.addModelRoute(`route-${r}`, { host, pathPrefix: `/v1/r${r}`, models: [{ name: 'chat', targets: [{ backend, model: 'gpt-4o' }] }] }));
      }
      gw.addConsumer('consumer', { apiKey: { secretName: 'consumer-keys', key: `gw-${g}` }, grants: { routes } });
    }
    return { notes: `1 fleet, 50 Serverless + 50 aigw.small.x1, ${ROUTES} routes + 1 domain + 1 consumer each` };
  },
};

/** Contrast: a naive design that emits one ConfigMapV1 per route. */
const naive10k: Workload = {
  build(app) {
    const stack = newStack(app);
    const N = 10_000;
    for (let i = 0; i < N; i++) {
      const route = {
        name: `mr-${pad(i)}`,
        match: { host: '*', pathPrefix: `/v1/r${i}` },
        models: [{ name: 'chat', targets: [{ backend: 'openai-1', model: 'gpt-4o', weight: 1 }] }],
        policies: { keyAuth: { enabled: true }, rateLimits: [], onRedisUnavailable: 'failOpen' },
      };
      new ConfigMapV1(stack, `route-${pad(i)}`, {
        metadata: { name: `aigw-route-${pad(i)}`, namespace: 'aigw', labels: { 'app.kubernetes.io/name': 'aigw' } },
        data: { 'route.json': JSON.stringify(route) },
      });
    }
    return { notes: `${N} ConfigMapV1, one per route, no library` };
  },
};

const baseline: Workload = {
  build() {
    return { notes: 'node + ts-node + library + cdktf + provider loaded, nothing synthesized' };
  },
};

const CASES: Record<string, { label: string; workload: Workload; synth: boolean }> = {
  baseline: { label: 'Baseline (child process, imports only)', workload: baseline, synth: false },
  large: { label: '**Full Large workload** (1 × aigw.large.x4, every quota full)', workload: large, synth: true },
  routes10: { label: 'Minimal large.x4 gateway, 10 routes', workload: routesOnly(10), synth: true },
  routes10k: { label: 'Minimal large.x4 gateway, 10,000 routes', workload: routesOnly(10_000), synth: true },
  fleet100: { label: 'Fleet of 100 gateways (region max)', workload: fleet100, synth: true },
  naive10k: { label: 'Naive contrast: 1 ConfigMap per route, 10,000 routes', workload: naive10k, synth: true },
};

// ---------------------------------------------------------------- child: run one case

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function countResources(outdir: string): { total: number; byType: Record<string, number>; bytes: number } {
  // cdktf 0.21 writes stacks/<name>/cdk.tf.json; take the path from the manifest rather than guess it.
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { synthesizedStackPath: string }> };
  const file = join(outdir, manifest.stacks[STACK_NAME].synthesizedStackPath);
  const bytes = statSync(file).size;
  const json = JSON.parse(readFileSync(file, 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
  const byType: Record<string, number> = {};
  let total = 0;
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    byType[type] = Object.keys(byName).length;
    total += byType[type];
  }
  return { total, byType, bytes };
}

function runCase(name: string): CaseResult {
  const spec = CASES[name];
  if (!spec) throw new Error(`unknown case '${name}'; one of ${Object.keys(CASES).join(', ')}`);
  const tmp = mkdtempSync(join(tmpdir(), `synth-bench-${name}-`));
  const outdir = join(tmp, 'cdktf.out');
  try {
    gc();
    const t0 = performance.now();
    const app = newApp(outdir);
    const { notes, gateway } = spec.workload.build(app, tmp);
    const t1 = performance.now();
    let quotas: CaseResult['quotas'];
    if (gateway) {
      const tier = gateway.spec ? ('large' as const) : ('serverless' as const);
      quotas = Object.fromEntries(
        (Object.keys(QUOTAS) as Quota[]).map((q) => [q, { count: QUOTA_COUNTERS[q](gateway), limit: QUOTAS[q].limits[tier] }]),
      );
    }
    if (!spec.synth) return { name, ok: true, constructSeconds: (t1 - t0) / 1000, synthSeconds: 0, maxRssKiB: process.resourceUsage().maxRSS, notes };
    const t2 = performance.now();
    try {
      app.synth();
    } catch (e) {
      return { name, ok: false, error: (e as Error).stack ?? String(e), constructSeconds: (t1 - t0) / 1000, synthSeconds: (performance.now() - t2) / 1000, maxRssKiB: process.resourceUsage().maxRSS, notes };
    }
    const t3 = performance.now();
    const { total, byType, bytes } = countResources(outdir);
    return {
      name,
      ok: true,
      constructSeconds: (t1 - t0) / 1000,
      synthSeconds: (t3 - t2) / 1000,
      resources: total,
      resourcesByType: byType,
      outputBytes: bytes,
      maxRssKiB: process.resourceUsage().maxRSS,
      quotas,
      notes,
    };
  } finally {
    if (process.env.SYNTH_BENCH_KEEP) process.stderr.write(`synth-bench: kept ${outdir}\n`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- parent: spawn, tabulate, write BENCHMARKS.md

function spawnCase(name: string): CaseResult {
  // Same node flags as this process (--expose-gc, -r ts-node/register/transpile-only), minus profiling flags.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--cpu-prof') && !a.startsWith('--heap-prof'));
  if (!execArgv.some((a) => a.includes('ts-node'))) execArgv.push('-r', 'ts-node/register/transpile-only');
  if (!execArgv.includes('--expose-gc')) execArgv.unshift('--expose-gc');
  const started = performance.now();
  const child = spawnSync(process.execPath, [...execArgv, __filename, '--case', name], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: CHILD_TIMEOUT_MS,
  });
  const processSeconds = (performance.now() - started) / 1000;
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) {
    const why = child.error ? String(child.error) : `exit ${child.status ?? child.signal}`;
    return { name, ok: false, error: `${why}\n${(child.stderr ?? '').slice(-4000)}`, maxRssKiB: 0, processSeconds };
  }
  const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as CaseResult;
  result.processSeconds = processSeconds;
  return result;
}

const totalOf = (r: CaseResult): number => (r.constructSeconds ?? 0) + (r.synthSeconds ?? 0);

/** The median run by total time, with the range of totals and the highest peak RSS of all runs. */
function aggregate(runs: CaseResult[]): CaseResult {
  const failed = runs.find((r) => !r.ok);
  if (failed) return { ...failed, runs: runs.length };
  const sorted = [...runs].sort((a, b) => totalOf(a) - totalOf(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    ...median,
    maxRssKiB: Math.max(...runs.map((r) => r.maxRssKiB)),
    totalRange: [totalOf(sorted[0]), totalOf(sorted[sorted.length - 1])],
    runs: runs.length,
  };
}

const fmtS = (s: number | undefined): string => (s === undefined ? '-' : s.toFixed(2));
const fmtMiB = (kib: number): string => (kib ? (kib / 1024).toFixed(0) : '-');
const fmtInt = (n: number | undefined): string => (n === undefined ? '-' : n.toLocaleString('en-US'));

function resultsTable(results: CaseResult[]): string {
  const rows = [
    '| Case | Terraform resources | Construct (s) | `app.synth()` (s) | Total (s) | Total min-max (s) | Child process wall (s) | Peak RSS (MiB) | cdk.tf.json (MiB) | Workload |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of results) {
    const label = CASES[r.name].label;
    if (!r.ok) {
      rows.push(`| ${label} | FAILED | ${fmtS(r.constructSeconds)} | ${fmtS(r.synthSeconds)} | - | - | ${fmtS(r.processSeconds)} | ${fmtMiB(r.maxRssKiB)} | - | ${firstLine(r.error)} |`);
      continue;
    }
    const mib = r.outputBytes === undefined ? '-' : (r.outputBytes / 1024 / 1024).toFixed(1);
    const range = r.totalRange ? `${fmtS(r.totalRange[0])}-${fmtS(r.totalRange[1])}` : '-';
    rows.push(`| ${label} | ${fmtInt(r.resources)} | ${fmtS(r.constructSeconds)} | ${fmtS(r.synthSeconds)} | ${fmtS(totalOf(r))} | ${range} | ${fmtS(r.processSeconds)} | ${fmtMiB(r.maxRssKiB)} | ${mib} | ${r.notes ?? ''} |`);
  }
  return rows.join('\n');
}

function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n').find((l) => l.trim() !== '')?.replace(/\|/g, '\\|').slice(0, 200) ?? '';
}

function quotaTable(r: CaseResult | undefined): string {
  if (!r?.quotas) return '';
  const rows = ['| Quota | Count | Large limit |', '|---|---:|---:|'];
  for (const [q, { count, limit }] of Object.entries(r.quotas)) rows.push(`| ${QUOTAS[q as Quota].noun} | ${fmtInt(count)} | ${limit === null ? 'n/a' : fmtInt(limit)} |`);
  return rows.join('\n');
}

function byTypeLine(r: CaseResult | undefined): string {
  if (!r?.resourcesByType) return '';
  return Object.entries(r.resourcesByType).map(([t, n]) => `${t} ${n}`).join(', ');
}

function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  let nproc = String(cpus().length);
  const n = spawnSync('nproc', { encoding: 'utf8' });
  if (n.status === 0) nproc = n.stdout.trim();
  return `nproc ${nproc}, CPU "${model}", node ${process.version}, ${process.platform}/${process.arch}`;
}

function goalLine(large: CaseResult | undefined): string[] {
  if (!large?.ok) return [`- Full Large workload total ≤ ${GOAL_LARGE_SECONDS} s: **FAIL** (did not synthesize)`, `- Full Large workload peak RSS ≤ ${GOAL_LARGE_RSS_MIB} MiB: **FAIL** (did not synthesize)`];
  const total = totalOf(large);
  const worst = large.totalRange?.[1] ?? total;
  const rss = large.maxRssKiB / 1024;
  const pf = (ok: boolean): string => (ok ? '**PASS**' : '**FAIL**');
  return [
    `- Full Large workload, construct + \`app.synth()\` ≤ ${GOAL_LARGE_SECONDS} s: ${pf(worst <= GOAL_LARGE_SECONDS)} (median ${total.toFixed(2)} s, slowest of ${large.runs ?? 1} runs ${worst.toFixed(2)} s; whole child process incl. node/ts-node start-up ${fmtS(large.processSeconds)} s)`,
    `- Full Large workload peak RSS ≤ ${GOAL_LARGE_RSS_MIB} MiB (1 GiB): ${pf(rss <= GOAL_LARGE_RSS_MIB)} (${rss.toFixed(0)} MiB, highest maxRSS of the ${large.runs ?? 1} child processes)`,
  ];
}

function section(results: CaseResult[], load: string): string {
  const get = (n: string): CaseResult | undefined => results.find((r) => r.name === n);
  const r10 = get('routes10');
  const r10k = get('routes10k');
  const large = get('large');
  const lines = [
    '## Synth (issue #2)',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${machine()}; load average at start ${load} (the machine may be shared: compare the min-max column)`,
    '- Command: `npx projen bench:synth` (= `node --expose-gc -r ts-node/register/transpile-only bench/synth-bench.ts`)',
    '- Each case runs in a fresh child process; peak RSS is that child\'s `process.resourceUsage().maxRSS` (includes node + ts-node + library load, see the baseline row). '
      + 'Synthesis is a real `App({ outdir })` + `TerraformStack` + `KubernetesProvider` with validations on; resources are counted in `cdktf.out/stacks/<stack>/cdk.tf.json` (the file cdktf 0.21 writes; path taken from `manifest.json`). '
      + `Runs per case: ${RUNS} (\`SYNTH_BENCH_RUNS\`); times are the median run, peak RSS the highest of the runs.`,
    '- One case alone (e.g. to profile): `node --cpu-prof -r ts-node/register/transpile-only bench/synth-bench.ts --case large` (cases: '
      + `${Object.keys(CASES).join(', ')}). Naming cases after the script (\`node --expose-gc -r ts-node/register/transpile-only bench/synth-bench.ts large fleet100\`) runs a subset without touching this file.`,
    '',
    resultsTable(results),
    '',
    '### Goals (reported, not enforced)',
    '',
    ...goalLine(large),
    '',
    '### Resource count vs routes',
    '',
    `- 10 routes: ${fmtInt(r10?.resources)} resources (${byTypeLine(r10)})`,
    `- 10,000 routes: ${fmtInt(r10k?.resources)} resources (${byTypeLine(r10k)})`,
    `- Difference: ${r10?.resources !== undefined && r10k?.resources !== undefined ? r10k.resources - r10.resources : '-'} (config shards grow with the config's gzipped size only).`,
    '- The bench\'s configs are synthetic and repetitive, so they gzip very well; a config with more entropy may need more shards (one more ConfigMap per 700 KiB of gzipped config).',
    `- Full Large workload: ${byTypeLine(large)}`,
    '',
  ];
  const q = quotaTable(large);
  if (q) lines.push('### Full Large workload: quota fill (QUOTA_COUNTERS)', '', q, '');
  return lines.join('\n');
}

function writeBenchmarksMd(body: string): void {
  const block = `${MARK_START}\n${body.trimEnd()}\n${MARK_END}`;
  let text = existsSync(BENCHMARKS_MD)
    ? readFileSync(BENCHMARKS_MD, 'utf8')
    : '# Benchmarks\n\nFigures in this file are written by the benchmark scripts in `bench/`; re-run the command of a section to refresh it.\n';
  const start = text.indexOf(MARK_START);
  const end = text.indexOf(MARK_END);
  if (start >= 0 && end > start) {
    text = text.slice(0, start) + block + text.slice(end + MARK_END.length);
  } else {
    text = `${text.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(BENCHMARKS_MD, text);
}

function main(): void {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--case');
  if (at >= 0) {
    const result = runCase(argv[at + 1]);
    if (!result.ok) process.stderr.write(`synth-bench: case '${result.name}' failed:\n${result.error}\n`);
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
    process.exitCode = result.ok ? 0 : 1;
    return;
  }
  const only = argv.length > 0 ? argv : Object.keys(CASES);
  const load = loadavg().map((l) => l.toFixed(2)).join(' / ');
  const results: CaseResult[] = [];
  for (const name of only) {
    const runs: CaseResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      process.stderr.write(`synth-bench: ${name} run ${i + 1}/${RUNS} ... `);
      const r = spawnCase(name);
      process.stderr.write(r.ok ? `${fmtS(totalOf(r))} s, ${fmtMiB(r.maxRssKiB)} MiB\n` : 'FAILED\n');
      runs.push(r);
      if (!r.ok) {
        process.stderr.write(`${r.error}\n`);
        break;
      }
    }
    results.push(aggregate(runs));
  }
  const body = section(results, load);
  process.stdout.write(`${body}\n`);
  if (argv.length === 0) {
    writeBenchmarksMd(body);
    process.stderr.write(`synth-bench: wrote ${BENCHMARKS_MD}\n`);
  } else {
    process.stderr.write('synth-bench: a subset of cases was run; BENCHMARKS.md left unchanged\n');
  }
}

main();
