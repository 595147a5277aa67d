/**
 * The WAF engine alone on the bench's requests: the time `inspect` takes in this process, per request, with the
 * engine the gateway compiles from the scenario's config (src/dataplane/waf/compile.ts). On a shared machine a
 * paced round's CPU per request spreads by more than the WAF costs, so this steadier figure is reported beside the
 * process's: it is the inspection itself, without what the WAF costs around it (the stage, the metrics of a match,
 * a log line).
 */
import { performance } from 'perf_hooks';
import { bodyBytes, bodyFor, PATH, type RequestShape, SDK_HEADERS } from './requests';
import { median } from '../shared/cpu-differences';
import type { GatewayConfig } from '../../src/specs';
import { compileWafs } from '../../src/dataplane/waf/compile';
import type { WafEngine } from '../../src/dataplane/waf/engine';
import type { WafRequest } from '../../src/dataplane/waf/targets';

/** Requests timed per batch, and batches: the figure is the median batch's mean. */
const PER_BATCH = 200;
const BATCHES = 15;

export interface EngineTiming {
  /** µs per `inspect`, the median batch's mean. */
  readonly usPerRequest: number;
  /** The fastest and slowest batch's mean, µs. */
  readonly minUs: number;
  readonly maxUs: number;
  /** The rules the request matched. */
  readonly matched: string[];
}

/** The engine of the config's model route `route`, as the gateway compiles it; undefined when the config has no WAF. */
export function routeEngine(config: GatewayConfig, route: string): WafEngine | undefined {
  const problems: string[] = [];
  const waf = compileWafs(config.waf, problems).forRoute('model', route, undefined);
  if (problems.length > 0) throw new Error(`the WAF of route '${route}' does not compile: ${problems.join('; ')}`);
  return waf?.engine;
}

/** The request as the gateway's inspect stage sees it: the SDK's headers with what Node adds, the body parsed. */
function wafRequest(shape: RequestShape, authorization: string, n: number): WafRequest {
  return {
    method: 'POST',
    rawPath: PATH,
    headers: { ...SDK_HEADERS, 'authorization': authorization, 'host': '127.0.0.1:8080', 'content-length': String(bodyBytes(shape)), 'connection': 'keep-alive' },
    remoteAddress: '127.0.0.1',
    body: JSON.parse(bodyFor(shape, n)) as unknown,
    routeKind: 'model',
  };
}

export function timeEngine(engine: WafEngine, shape: RequestShape, authorization: string): EngineTiming {
  // As the load sends them: each request its own `user` and session (built before the timing: parsing is the gateway's, not the WAF's).
  const requests = Array.from({ length: PER_BATCH }, (_, n) => wafRequest(shape, authorization, n));
  const matched = engine.inspect(requests[0]!).matches.map((m) => m.rule);
  // Warm-up: the patterns' and the normalizers' code compiled by V8 before the timed batches.
  for (let i = 0; i < PER_BATCH * 2; i++) engine.inspect(requests[i % PER_BATCH]!);
  const means: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    // Fresh values each batch, as new end users and sessions arrive (the memo keeps what it has seen).
    const batch = Array.from({ length: PER_BATCH }, (_, n) => wafRequest(shape, authorization, (b + 3) * PER_BATCH + n));
    const t0 = performance.now();
    for (let i = 0; i < PER_BATCH; i++) engine.inspect(batch[i]!);
    means.push(((performance.now() - t0) * 1000) / PER_BATCH);
  }
  return { usPerRequest: median(means), minUs: Math.min(...means), maxUs: Math.max(...means), matched };
}

export const ENGINE_TIMING_METHOD = `the median of ${BATCHES} batches of ${PER_BATCH} \`inspect\` calls (after ${PER_BATCH * 2} unrecorded), each request with its own \`user\` and session as under load, in the bench's driver before any load`;
