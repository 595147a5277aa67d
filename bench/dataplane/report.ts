/**
 * The "## Data plane" section of BENCHMARKS.md, rendered from one run's results (nothing typed by hand).
 */
import type { ContenderKey, Results } from '../dataplane-bench';
import { END_OF_RUN_MS } from './loadgen';
import { renderCapacitySearch, renderCpu, renderLatencyAllocation, renderRuntimes } from './report-cpu';
import { POD_CAPACITY } from '../../src/specs';

export interface RenderOptions {
  readonly goals: { readonly p99OverheadMs: number; readonly ttftOverheadMs: number; readonly idleRssMB: number };
  readonly labels: Record<ContenderKey, string>;
  /** hey's workers and per-worker rate for a total rate. */
  readonly hey: (rate: number) => { workers: number; ratePerWorker: number };
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number | undefined): string => fmt(n, n !== undefined && Math.abs(n) < 10 ? 2 : 1);
const signed = (n: number): string => `${n >= 0 ? '+' : ''}${ms(n)}`;
/** "other load (cores) / CPU 0 busy". */
const noise = (x: { foreignCores: number; cpu0Busy?: number }): string => `${fmt(x.foreignCores, 2)} / ${x.cpu0Busy === undefined ? 'n/a' : `${fmt(x.cpu0Busy * 100)}%`}`;

/** The largest (max − min) / mean between route-count runs of the same config: what the measure cannot resolve. */
export function routeSpread(r: Results): number {
  let worst = 0;
  for (const routes of new Set(r.routeRuns.map((x) => x.routes))) {
    const rps = r.routeRuns.filter((x) => x.routes === routes).map((x) => x.result.rps);
    if (rps.length < 2) continue;
    const m = rps.reduce((a, b) => a + b, 0) / rps.length;
    worst = Math.max(worst, (Math.max(...rps) - Math.min(...rps)) / m);
  }
  return worst;
}

export function renderSection(r: Results, o: RenderOptions): string {
  const s = r.settings;
  const L: string[] = [];
  const label = (k: ContenderKey) => o.labels[k];
  L.push('## Data plane (issue #6)', '');
  L.push(`- Date: ${r.startedAt} (run took ${fmt(r.durationS)} s)`);
  L.push(
    `- Machine: nproc ${r.machine.nproc}, CPU "${r.machine.cpuModel}", ${r.machine.memoryGiB} GiB, ${r.machine.kernel}, open-file limit ${r.machine.nofileLimit}; load average at start ${r.machine.loadAverageStart}, at end ${r.machine.loadAverageEnd ?? 'n/a'}`,
  );
  L.push(
    `- Versions: node ${r.versions.node}, nginx ${r.versions.nginx}, wrk ${r.versions.wrk}, hey ${r.versions.hey}, redis ${r.versions.redis}, @portkey-ai/gateway ${r.versions.portkey} (with @hono/node-server ${r.versions.honoNodeServer}), aigw ${r.versions.aigw} at ${r.versions.gitHead} (${r.versions.gitDirty}; build ${r.versions.build ?? 'n/a'}: sha256 of the compiled .js the run used), undici ${r.versions.undici}`,
  );
  L.push('- Command: `npm run bench` (= `bash bench/run.sh`: installs nginx-light, wrk, hey, redis-server and `bench/peers` if missing, runs `npx tsc -p tsconfig.json`, then `taskset -c 0 node -r ts-node/register/transpile-only bench/dataplane-bench.ts`, and stops every process it started). Settings come from `BENCH_*` variables (see the head of `bench/dataplane-bench.ts`); raw figures in `bench/out/dataplane/results.json`.');
  L.push(
    '- Pinning: each contender runs alone on CPU 1 (`taskset -c 1`); the load generators (wrk, hey, the TTFT and idle-connection clients), the one simulator process (the project\'s `UpstreamSimulator` from lib/, started by `bench/dataplane/simulator.ts`, which only empties the simulator\'s request record every second so its heap does not grow by ~1.5 KB per request over the run) and Redis share CPU 0. All traffic is on 127.0.0.1. Contenders write their stdout (aigw: its JSON access log, a line per request; Portkey: its console) straight to a file, as a container runtime would collect it. Every contender is started fresh for each run and warmed up with ' +
      `${fmt(s.warmup)} requests that all complete (\`hey -n\`).`,
  );
  L.push(
    '- "Other load / CPU 0 busy": CPU used during the run by processes that are not this bench, in cores (the machine is shared; before each run the bench waits up to ' +
      `${s.quietWaitS} s, 45 s in all, for it to drop below 0.5 core, and measures a run again when other load exceeded 0.5 core during it, keeping the quieter one: ${r.retried.length} of ${s.noiseRetries} allowed repeats were used), and how busy CPU 0 (load generators + simulator) was. Runs with high other load, or with CPU 0 near 100% (the load side, not the contender, is then the limit), deserve care.`,
  );
  L.push('');

  // ---------------------------------------------------------------- contenders
  L.push('### Contenders', '');
  L.push('| Contender | Command | Checked before the runs |', '|---|---|---|');
  for (const k of ['direct', 'nginx', 'portkey', 'aigw', 'aigw-local'] as const) {
    const v = r.verification[k];
    L.push(`| ${label(k)} | \`${(r.commands[k] ?? 'n/a').replace(/\|/g, '\\|')}\` | ${v ? `${v.ok ? 'OK' : '**FAILED**'}: ${v.detail}` : 'n/a'} |`);
  }
  L.push('');
  L.push(`- Simulator: \`${r.commands.simulator}\`; Redis: \`${r.commands.redis}\`.`);
  L.push(
    '- aigw and the simulator run from `bench/out/dataplane/build/lib`, a copy of `lib/` taken right after the compile: the repo is edited and compiled by others while the bench runs, and every run must use the same code.',
  );
  L.push(
    "- nginx: `nginx.conf` written to a temp dir: 1 worker, `upstream { keepalive 128; }`, `proxy_http_version 1.1`, `proxy_set_header Connection \"\"`, `proxy_buffering off` (so SSE frames are not held back), no access log.",
  );
  L.push("- Portkey: each request carries `x-portkey-provider: openai` and `x-portkey-custom-host: <simulator>/v1` (Portkey's own headers); the reply text proves it came from the simulator. Portkey listens on all interfaces (its start script has no host flag); the bench only sends to 127.0.0.1.");
  const cfg = r.configs.primary;
  if (cfg) {
    L.push(
      `- aigw: config built from the constructs (\`AiGatewayFleet.addGateway\`, Dedicated \`${cfg.spec}\`: the only family whose quota admits ${fmt(s.routes)} routes), synthesized (\`synthesizedGatewayConfig\`) and written as kubelet lays out the config volume (\`..data\` symlink). ` +
        `${cfg.routes} model routes \`/r0\`…\`/r${cfg.routes - 1}\` to one OpenAI backend (the simulator, with an API key: the gateway sends it and scrubs its echoes from every answer), each with key auth and a request limit (${fmt(1_000_000_000)} per minute per consumer: on and checked on every request, never reached); one consumer granted all routes, its key given as \`AIGW_SECRET_CONSUMER_KEYS_BENCH\`.`,
    );
    L.push(
      `- Changed after synthesis: ${cfg.changes.join('; ')}. Why: every spec caps one replica's QPS at its share of the spec (Serverless ${fmt(POD_CAPACITY.qps)}; every Dedicated spec ${fmt(Math.max(...r.sizing.filter((x) => x.replicasAtMeasured).map((x) => x.perReplicaQps)))} or less, see the sizing table), so an unchanged config would measure that ceiling, not the process; the ceiling's token bucket stays in the request path. Redis is the synthesized limit store (a cluster Service); here a local \`redis-server\` on CPU 0. The "in-process store" variant drops \`redis\` from the config (the limiter then counts in memory).`,
    );
  }
  L.push('');

  // ---------------------------------------------------------------- throughput
  L.push(`### Throughput (wrk, ${s.connections} connections, ${s.durationS} s, one thread)`, '');
  L.push(
    '| Contender | Non-streaming req/s | p50 / p99 (ms) | Errors | Contender CPU (cores) | RSS (MiB) | Other load / CPU 0 busy | Streaming (10 chunks) req/s | p50 / p99 (ms) | Errors | Contender CPU | RSS (MiB) | Other load / CPU 0 busy |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const k of ['direct', 'nginx', 'portkey', 'aigw', 'aigw-local'] as const) {
    const c = r.throughput.chat.find((x) => x.contender === k);
    const t = r.throughput.stream.find((x) => x.contender === k);
    const cell = (row: typeof c) =>
      row
        ? [
          `**${fmt(row.result.rps)}**`,
          `${ms(row.result.latencyMs.p50)} / ${ms(row.result.latencyMs.p99)}`,
          fmt(row.result.statusErrors + row.result.socketErrors),
          fmt(row.result.contenderCores, 2),
          fmt(row.rssMiB),
          noise(row),
        ]
        : ['n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
    L.push(`| ${label(k)} | ${[...cell(c), ...cell(t)].join(' | ')} |`);
  }
  L.push('');
  L.push('- Direct is the simulator itself, which shares CPU 0 with wrk: it bounds every proxy, so an nginx figure close to Direct means the upstream side, not nginx, is the limit. Contender CPU of Direct is the simulator\'s.');
  const afters = [...r.throughput.chat, ...r.throughput.stream].filter((x) => x.after && x.after !== 'HTTP 200');
  if (afters.length > 0) {
    L.push(
      `- Observed: right after a wrk run ends (wrk closes its connections with requests in flight), the next request to aigw got ${[...new Set(afters.map((a) => a.after))].join(', ')} (${afters.map((a) => `${a.contender}/${r.throughput.chat.includes(a) ? 'chat' : 'stream'}`).join(', ')}). It should be HTTP 200: a client that disconnects mid-request must not count as a backend failure (\`forwardModelRequest\` in src/dataplane/model-proxy.ts checks \`ctx.cancellation\` before charging the circuit breaker); anything else here is a regression to look into. The bench restarts aigw before every run either way.`,
    );
  }
  L.push('');

  // ---------------------------------------------------------------- latency
  const hl = o.hey(s.rate);
  L.push(`### Fixed-rate latency, non-streaming (hey, ${fmt(s.rate)} req/s = ${hl.workers} workers × ${fmt(hl.ratePerWorker)} req/s, ${s.latencyS} s)`, '');
  L.push(
    '| Contender | hey: achieved req/s | p50 (ms) | p90 (ms) | p99 (ms) | Slowest (ms) | Errors | p99 overhead vs Direct (ms) | Other load / CPU 0 busy | Open-loop: achieved req/s | Skipped | p50 (ms) | p99 (ms) | p99.9 (ms) | Errors | p99 overhead vs Direct (ms) | Other load / CPU 0 busy |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const directLat = r.latency.find((x) => x.contender === 'direct');
  for (const row of r.latency) {
    const x = row.result;
    const ol = row.openLoop;
    const d = directLat?.openLoop;
    L.push(
      `| ${label(row.contender)} | ${fmt(x.rps)} | ${ms(x.latencyMs.p50)} | ${ms(x.latencyMs.p90)} | **${ms(x.latencyMs.p99)}** | ${ms(x.latencyMs.max)} | ${fmt(x.errors)}${x.errorDetail ? ` (${x.errorDetail})` : ''} | ${row.contender === 'direct' || !directLat ? '-' : `**${signed(x.latencyMs.p99 - directLat.result.latencyMs.p99)}**`} | ${noise(row)} | ` +
        (ol
          ? `${fmt(ol.achievedRps)} | ${fmt(ol.skipped)} | ${ms(ol.totalMs.p50)} | **${ms(ol.totalMs.p99)}** | ${ms(ol.totalMs.p999)} | ${fmt(ol.errors)}${ol.errorDetail ? ` (${ol.errorDetail})` : ''} | ${row.contender === 'direct' || !d ? '-' : `**${signed(ol.totalMs.p99 - d.totalMs.p99)}**`} | ${noise(ol)} |`
          : 'n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |'),
    );
  }
  L.push(
    '',
    `- hey (the goal's measure) reports latencies to 0.1 ms. Its \`-q\` rate is per worker and closed-loop (a contender slower than the rate gets fewer requests: see Achieved), and its workers start together with one ticker each, so requests leave in bursts of \`-c\`: with ${hl.workers} workers (\`BENCH_HEY_WORKERS\`) the arrivals stay close to a fixed rate; with e.g. 50 × 30 req/s every contender would see bursts of 50 and queueing would dominate every p99.`,
    `- Open-loop cross-check (a separate run on a fresh contender): \`bench/dataplane/rate-client.ts\` sends each request on schedule (every 1/${fmt(s.rate)} s) whether or not earlier ones have returned, and times each to its last byte; "Skipped" counts requests not sent because ${fmt(1000)} were already open.`,
    '',
  );
  L.push(...renderLatencyAllocation(r));

  // ---------------------------------------------------------------- ttft
  L.push(`### Streaming time to first token (bench open-loop client, ${fmt(s.ttftRate)} streams/s open-loop, ${s.ttftS} s after 1 s not recorded)`, '');
  L.push(
    '| Contender | Achieved streams/s | Skipped | TTFT p50 (ms) | p90 | p99 | p99.9 | Stream end p99 (ms) | Errors | TTFT p99 overhead vs Direct (ms) | Other load / CPU 0 busy |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const directTtft = r.ttft.find((x) => x.contender === 'direct')?.result;
  for (const row of r.ttft) {
    const x = row.result;
    L.push(
      `| ${label(row.contender)} | ${fmt(x.achievedRps)} | ${fmt(x.skipped)} | ${ms(x.firstMs.p50)} | ${ms(x.firstMs.p90)} | **${ms(x.firstMs.p99)}** | ${ms(x.firstMs.p999)} | ${ms(x.totalMs.p99)} | ${fmt(x.errors)}${x.errorDetail ? ` (${x.errorDetail})` : ''} | ${row.contender === 'direct' || !directTtft ? '-' : `**${signed(x.firstMs.p99 - directTtft.firstMs.p99)}**`} | ${noise(row)} |`,
    );
  }
  L.push(
    '',
    '- TTFT: from dispatch to the first SSE `data:` frame (the role chunk), measured by `bench/dataplane/rate-client.ts` (open loop; undici Pool with a dispatch handler, 64 connections, a request every 1/rate s, at most 1,000 open; a request due while 1,000 are open is skipped and counted). Identical for every contender.',
    `- Rate: ${fmt(s.ttftRate)} streams/s (\`BENCH_TTFT_RATE\`). The client shares CPU 0 with the simulator; at 1,500 streams/s the two nearly saturate it and the Direct baseline's own tail then dominates the p99, which a 1 ms budget cannot be read against. \`BENCH_TTFT_RATE=1500 BENCH_ONLY=ttft npm run bench\` shows it.`,
    '',
  );

  // ---------------------------------------------------------------- cpu per request, runtimes
  L.push(...renderCpu(r, o.labels));
  L.push(...renderRuntimes(r));

  // ---------------------------------------------------------------- routes
  L.push(`### Route count (aigw, wrk as above, requests spread evenly over every route)`, '');
  L.push('| Routes | Round | req/s | p99 (ms) | Errors | Other load / CPU 0 busy |', '|---:|---:|---:|---:|---:|---:|');
  for (const run of r.routeRuns) {
    L.push(`| ${fmt(run.routes)} | ${run.round} | ${fmt(run.result.rps)} | ${ms(run.result.latencyMs.p99)} | ${fmt(run.result.statusErrors + run.result.socketErrors)} | ${noise(run)} |`);
  }
  L.push(
    '',
    `- Runs of the same config differed by up to ${fmt(routeSpread(r) * 100, 1)}% (max − min over their mean): a difference between the two configs smaller than that is within this bench's noise; more rounds (\`BENCH_ROUTE_ROUNDS\`) narrow it.`,
    `- Route \`r<i>\` has path prefix \`/r<i>\` on any host; wrk cycles through \`/r0/v1/chat/completions\` … \`/r<N-1>/…\`, so both configs see the same request mix per route${s.routePrepassS ? `; each measured run follows an unrecorded ${s.routePrepassS} s pass over all its routes, so both are measured in steady state (a route's first request creates its metric series)` : ''}. Rounds alternate the order (10 first, then ${fmt(s.routes)} first). Config size: ${fmt(r.configs['routes-large']?.bytes)} bytes of shards for ${fmt(s.routes)} routes.`,
    '',
  );

  // ---------------------------------------------------------------- reload
  if (r.reload) {
    const rl = r.reload;
    L.push(`### Reload of a ${fmt(rl.routes)}-route config under load`, '');
    L.push(
      `- Load: wrk, ${s.connections} connections, ${s.reloadS} s, spread over all ${fmt(rl.routes)} routes: ${fmt(rl.load.rps)} req/s, ${fmt(rl.load.requests)} requests, **${fmt(rl.load.statusErrors)} non-2xx, ${fmt(rl.load.socketErrors)} socket errors/timeouts**; latency p99 ${ms(rl.load.latencyMs.p99)} ms, slowest ${ms(rl.load.latencyMs.max)} ms. Other load / CPU 0 busy: ${noise(rl)}.`,
    );
    L.push(
      `- ${s.reloadSwaps} swaps of \`..data\` (as kubelet does: a new timestamped folder, then one rename), alternating between the config and a variant with every route's limit changed (${fmt(rl.configBytes)} bytes of shards each). Picked up by aigw's own watcher (\`aigw serve\` watches \`--config\`).`,
    );
    L.push(
      '',
      '| # | Logged at | New hash | swapMs (log line `config reloaded`) | Longest event-loop stall across the swap (ms) | Same load, no swap (ms) | blockedMs (log line) | Detected after (ms) |',
      '|---:|---|---|---:|---:|---:|---:|---:|',
    );
    rl.swaps.forEach((sw, i) => {
      const st = rl.stalls?.[i];
      L.push(`| ${i + 1} | ${sw.at} | \`${sw.hash}…\` | **${ms(sw.swapMs)}** | ${st ? `**${ms(st.stallMs)}**` : 'n/a'} | ${ms(st?.baselineMs)} | ${st?.blockedMs === undefined ? 'not logged' : ms(st.blockedMs)} | ${fmt(sw.detectedAfterMs)} |`);
    });
    const { count, sum, le } = rl.metricsSwapSeconds;
    L.push(
      '',
      `- \`/metrics\`: \`aigw_config_swap_duration_seconds\` count ${count}, sum ${fmt(sum, 3)} s (mean ${count ? ms((sum / count) * 1000) : 'n/a'} ms); buckets ${Object.entries(le).map(([k, v]) => `le ${k}: ${v}`).join(', ')}.`,
    );
    if (rl.rejected.length) L.push(`- Rejected reloads: ${rl.rejected.join('; ')}`);
    const failed = Object.entries(rl.failedAccess);
    const atEnd = Object.entries(rl.endOfRunAccess ?? {});
    L.push(
      `- Non-200 lines in aigw's access log while the load ran: ${failed.length ? failed.map(([k, v]) => `**${v}× ${k}**`).join(', ') : '**none**'}. ` +
        `In the last ${END_OF_RUN_MS} ms, as wrk closed its connections with requests in flight: ${atEnd.length ? atEnd.map(([k, v]) => `${v}× ${k}`).join(', ') : 'none'} (answers to clients already gone are logged with the status they were sent with; a client that leaves does not count against the backend's circuit breaker).`,
    );
    L.push('- swapMs covers read + decode + validate + compile + swap, and runs on the event loop: requests wait behind it (see the slowest latency).');
    if (rl.idleStalls?.length) {
      const s = rl.idleStalls;
      L.push(
        `- With no load (${s.length} more swaps after wrk ended, alternating as before): longest event-loop stall **${s.map((x) => ms(x.stallMs)).join(', ')} ms** (the stretch before each, no swap: ${s.map((x) => ms(x.baselineMs)).join(', ')} ms); blockedMs ${s.map((x) => (x.blockedMs === undefined ? 'not logged' : ms(x.blockedMs))).join(', ')}.` +
          (rl.metricsScrapeStallMs === undefined ? '' : ` One \`/metrics\` scrape before them (the load left series for ${fmt(rl.routes)} routes): longest stall ${ms(rl.metricsScrapeStallMs)} ms.`),
      );
    }
    if (rl.stalls?.length) {
      L.push(
        "- Longest event-loop stall: the allocation probe in aigw (`perf_hooks.monitorEventLoopDelay`, 1 ms resolution) signalled just before the swap and just after its `config reloaded` line (polled every 20 ms), its maximum delay in between; \"Same load, no swap\" is the same measure over the stretch before the swap (wrk saturates aigw, so the loop is never idle). blockedMs: the gateway's own figure, when its log line has it.",
      );
    }
    L.push('');
  }

  // ---------------------------------------------------------------- idle
  if (r.idle) {
    const i = r.idle;
    L.push(`### Idle keep-alive connections held by one aigw process`, '');
    L.push(
      `- ${fmt(i.held)} connections held (target ${fmt(i.target)}; ${i.clients} client processes on CPU 0, each connection served one non-streaming chat request, then stayed open and idle); failed to open: ${fmt(i.failed)}; closed by the server while held: ${fmt(i.closedEarly)}; responses ${Object.entries(i.statuses).map(([k, v]) => `${fmt(v)}× ${k}`).join(', ')}${Object.keys(i.errors).length ? `; errors ${JSON.stringify(i.errors)}` : ''}; opened in ${fmt(i.openedS, 1)} s.`,
    );
    L.push(
      i.rssSettledMiB === undefined
        ? `- aigw RSS (VmRSS): ${fmt(i.rssBeforeMiB, 1)} MiB after warm-up → **${fmt(i.rssHeldMiB, 1)} MiB (${fmt((i.rssHeldMiB * 2 ** 20) / 1e6)} MB)** holding them (peak VmHWM ${fmt(i.peakMiB, 1)} MiB); ${fmt(i.perConnectionKiB, 2)} KiB per connection; \`aigw_client_connections\` gauge ${fmt(i.gauge)}; ${fmt(i.fdsHeld)} open file descriptors.`
        : `- aigw RSS (VmRSS): ${fmt(i.rssBeforeMiB, 1)} MiB after warm-up (and its heap trim) → ${fmt(i.rssHeldMiB, 1)} MiB 2 s after the last connection opened → **${fmt(i.rssSettledMiB, 1)} MiB (${fmt((i.rssSettledMiB * 2 ** 20) / 1e6)} MB)** settled, ${fmt(i.settleS ?? 0, 1)} s later (${i.trimmed ? 'aigw trimmed its heap once quiet: `aigw_heap_trims_total` rose' : 'no heap trim seen within 75 s'}; peak VmHWM ${fmt(i.peakMiB, 1)} MiB); ${fmt(i.perConnectionKiB, 2)} KiB per connection, settled; \`aigw_client_connections\` gauge ${fmt(i.gauge)}; ${fmt(i.fdsHeld)} open file descriptors.`,
    );
    if (i.limitNote) L.push(`- Limit: ${i.limitNote}: **${fmt(i.rssAt20kMiB, 1)} MiB (${fmt((i.rssAt20kMiB * 2 ** 20) / 1e6)} MB) at 20,000**.`);
    L.push(`- Goal: 20,000 within ${o.goals.idleRssMB} MB (10^6 bytes).`, '');
  }

  // ---------------------------------------------------------------- capacity
  L.push('### Per-pod capacity (`POD_CAPACITY` in src/specs/sizing.ts) as measured', '');
  L.push('| Quantity | POD_CAPACITY | Measured: one aigw process, one core (key auth + limit) | Margin |', '|---|---:|---:|---:|');
  const chat = r.throughput.chat.find((x) => x.contender === 'aigw')?.result.rps;
  const stream = r.throughput.stream.find((x) => x.contender === 'aigw')?.result.rps;
  const margin = (measured: number | undefined, constant: number) => (measured === undefined ? 'n/a' : `${measured >= constant ? '+' : ''}${fmt(((measured - constant) / constant) * 100)}%`);
  L.push(`| QPS, non-streaming chat (wrk max) | ${fmt(POD_CAPACITY.qps)} | ${fmt(chat)} | **${margin(chat, POD_CAPACITY.qps)}** |`);
  L.push(`| QPS, streaming chat, 10 chunks (wrk max) | ${fmt(POD_CAPACITY.qps)} | ${fmt(stream)} | **${margin(stream, POD_CAPACITY.qps)}** |`);
  if (r.idle) {
    L.push(
      `| Client connections (idle keep-alive) | ${fmt(POD_CAPACITY.clientConnections)} | ${fmt(r.idle.held)}${r.idle.held < POD_CAPACITY.clientConnections ? ` (file limit ${fmt(r.idle.nofile)}; RSS-wise ${fmt(r.idle.rssAt20kMiB)} MiB at 20,000)` : ''} | **${margin(r.idle.held, POD_CAPACITY.clientConnections)}** |`,
    );
  }
  L.push('');
  if (r.capacity) {
    const c = r.capacity;
    L.push(
      `- At exactly POD_CAPACITY.qps with the Serverless config as synthesized (per-replica ceiling \`limits.maxQps\` = ${fmt(c.maxQps)}, not raised), open-loop client, non-streaming, ${s.capacityS} s: ${fmt(c.result.achievedRps)} req/s achieved, ${fmt(c.result.ok)} OK, ${fmt(c.result.skipped)} skipped, ${fmt(c.result.errors)} errors${c.result.errorDetail ? ` (${c.result.errorDetail})` : ''}, p50 ${ms(c.result.totalMs.p50)} ms, p99 ${ms(c.result.totalMs.p99)} ms, p99.9 ${ms(c.result.totalMs.p999)} ms. Other load / CPU 0 busy: ${noise(c)}.`,
    );
  }
  L.push('');
  L.push(...renderCapacitySearch(r));

  // ---------------------------------------------------------------- sizing
  const dedicated = r.sizing.filter((x) => x.replicasAtMeasured);
  L.push('### Sizing table (`sizeGateway`, every spec)', '');
  L.push(
    '| Spec | QPS | Client connections | Replicas | Per-replica QPS | Per-replica connections | Replicas if a pod carried the measured non-streaming / streaming QPS |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of r.sizing) {
    L.push(
      `| ${row.spec} | ${typeof row.qps === 'number' ? fmt(row.qps) : row.qps} | ${typeof row.clientConnections === 'number' ? fmt(row.clientConnections) : row.clientConnections} | ${row.replicas} | ${fmt(row.perReplicaQps)} | ${fmt(row.perReplicaConnections)} | ${row.replicasAtMeasured ? `${row.replicasAtMeasured.chat} / ${row.replicasAtMeasured.stream}` : '-'} |`,
    );
  }
  L.push(
    '',
    `- Dedicated replicas = max(2, ⌈QPS / ${fmt(POD_CAPACITY.qps)}⌉, ⌈connections / ${fmt(POD_CAPACITY.clientConnections)}⌉). Per-replica QPS asked of a Dedicated pod: ${fmt(Math.min(...dedicated.map((x) => x.perReplicaQps)))}–${fmt(Math.max(...dedicated.map((x) => x.perReplicaQps)))}; of a Serverless pod: ${fmt(POD_CAPACITY.qps)}. The last column keeps the connection term and puts the measured QPS of one process in place of POD_CAPACITY.qps.`,
    '',
  );

  // ---------------------------------------------------------------- goals
  L.push('### Goals (issue #6; reported as measured, not enforced)', '');
  L.push('| Goal | Target | Measured | Ratio | Result |', '|---|---|---|---:|---|');
  for (const g of r.goals) L.push(`| ${g.name} | ${g.target} | ${g.measured} | ${g.ratio} | **${g.pass ? 'PASS' : 'MISS'}** |`);
  L.push('');
  // What "10x Portkey" asks of this rig, next to what the rig itself delivers.
  for (const kind of ['chat', 'stream'] as const) {
    const rps = (k: string) => r.throughput[kind].find((x) => x.contender === k)?.result.rps;
    const [pk, ng, di] = [rps('portkey'), rps('nginx'), rps('direct')];
    if (pk === undefined || ng === undefined || di === undefined || 10 * pk <= ng) continue;
    const what = kind === 'chat' ? 'Non-streaming' : 'Streaming';
    L.push(
      10 * pk > di
        ? `- ${what}: 10× Portkey is ${fmt(10 * pk)} req/s, more than the simulator alone (Direct, ${fmt(di)}) serves with the load generator on its core; nginx reaches ${fmt(ng)} (${(ng / pk).toFixed(1)}× Portkey). No proxy can show that ratio on this rig.`
        : `- ${what}: 10× Portkey is ${fmt(10 * pk)} req/s, more than nginx (${fmt(ng)}, ${(ng / pk).toFixed(1)}× Portkey) reaches on this rig, where the load side (CPU 0) limits nginx's run; a proxy would have to outrun nginx to show that ratio here.`,
    );
  }
  L.push('');

  // ---------------------------------------------------------------- profiles
  if (r.profiles.length > 0) {
    L.push('### CPU profiles of aigw (`node --cpu-prof`, samples inside the measured load only; taken because goals missed, `BENCH_PROFILE`)', '');
    for (const p of r.profiles) {
      const sm = p.summary;
      L.push(`#### ${p.load}`, '');
      L.push(`- \`${sm.file}\` (open it in Chrome DevTools); ${fmt(sm.sampledMs)} ms sampled, idle ${fmt(sm.idlePercent, 1)}%, GC ${fmt(sm.gcPercent, 1)}% of busy time.`);
      L.push(`- Busy time by area: ${sm.byArea.map((a) => `${a.area} ${fmt(a.percent, 1)}%`).join('; ')}.`, '');
      L.push(
        '| Self % of busy | Self ms | Function | Location | Hottest line | Total % | Reached from (nearest src/ frame, share of self time) | Most common callers (share) |',
        '|---:|---:|---|---|---|---:|---|---|',
      );
      for (const h of sm.top) {
        L.push(
          `| ${fmt(h.selfPercent, 1)} | ${fmt(h.selfMs)} | \`${h.function}\` | ${h.location} | ${h.hotLine ?? '-'} | ${fmt(h.totalPercent, 1)} | ${h.calledFrom?.length ? h.calledFrom.join('; ') : '-'} | ${h.via ?? '-'} |`,
        );
      }
      if (p.busy) {
        const b = p.busy;
        L.push(
          '',
          `Busy periods (consecutive samples without idle: stretches where the event loop never rested and requests queued)${p.rate ? `; the open-loop run: ${fmt(p.rate.achievedRps)} req/s, p50 ${ms(p.rate.totalMs.p50)} ms, p99 ${ms(p.rate.totalMs.p99)} ms, max ${ms(p.rate.totalMs.max)} ms` : ''}: ${fmt(b.count)} periods, busy ${fmt(b.busyShare * 100)}% of the time, median ${ms(b.p50Ms)} ms, p99 ${ms(b.p99Ms)} ms, ${fmt(b.over10Ms)} longer than 10 ms. The longest:`,
          '',
          '| Length (ms) | At (s into the run) | Samples | Where its samples were (leaf ← nearest src/ frame) |',
          '|---:|---:|---:|---|',
        );
        for (const l of b.longest) L.push(`| ${ms(l.ms)} | ${fmt(l.atS, 2)} | ${l.samples} | ${l.top.join('; ')} |`);
      }
      L.push('', 'This repo\'s functions by inclusive time (self + callees):', '');
      L.push('| Total % of busy | Function | Location |', '|---:|---|---|');
      for (const f of p.inclusive) L.push(`| ${fmt(f.totalPercent, 1)} | \`${f.function}\` | ${f.location} |`);
      L.push('');
    }
  }

  // ---------------------------------------------------------------- errors / notes
  if (r.errors.length > 0) {
    L.push('### Sections that failed in this run', '');
    for (const e of r.errors) L.push(`- ${e.replace(/\n/g, ' ')}`);
    L.push('');
  }
  for (const n of r.notes) L.push(`- ${n}`);
  return `${L.join('\n').trimEnd()}\n`;
}
