/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and ranks functions by self time, mapping
 * positions in lib/*.js back to src/*.ts through the inline source maps tsc writes.
 */
import { existsSync, readFileSync } from 'fs';
import { SourceMap } from 'module';
import { dirname, relative, resolve } from 'path';
import { fileURLToPath } from 'url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  /** `name (file:line)`; file relative to the repo; src/*.ts when a source map resolves it. */
  readonly function: string;
  readonly location: string;
  /** The hottest line inside the function, from V8's position ticks (mapped like `location`). */
  readonly hotLine?: string;
  readonly selfMs: number;
  readonly selfPercent: number;
  readonly totalPercent?: number;
  /** For code outside this repo (native, node:*, node_modules): the nearest src/ frames up the stack, by share of this entry's self time (≥ 5%). */
  readonly calledFrom?: string[];
  /** The most common chain of callers (up to 4 frames), with its share of this entry's self time. */
  readonly via?: string;
}

export interface ProfileSummary {
  readonly file: string;
  readonly sampledMs: number;
  readonly idlePercent: number;
  readonly gcPercent: number;
  readonly top: Hotspot[];
  /** Self time by where the code lives: this repo's src, node internals, each node_modules package, V8 (GC, program). */
  readonly byArea: { area: string; percent: number }[];
}

const sourceMaps = new Map<string, SourceMap | null>();

/**
 * Where the profiled process's compiled code lives when it is not `<repo>/lib` (the bench runs a
 * snapshot of lib/): its files are mapped through their source maps and reported as the repo's src/.
 */
let buildRoot: string | undefined;
export function setBuildRoot(dir: string | undefined): void {
  buildRoot = dir;
}

/** Whether a script URL or path is this repo's compiled code (lib/, or the snapshot of it). */
function isRepoLib(urlOrFile: string, repoRoot: string): boolean {
  return urlOrFile.includes(`${repoRoot}/lib/`) || (buildRoot !== undefined && urlOrFile.includes(`${buildRoot}/lib/`));
}

function sourceMapOf(file: string): SourceMap | null {
  if (sourceMaps.has(file)) return sourceMaps.get(file)!;
  let map: SourceMap | null = null;
  try {
    const text = readFileSync(file, 'utf8');
    const m = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(text);
    if (m) map = new SourceMap(JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')));
  } catch {
    map = null;
  }
  sourceMaps.set(file, map);
  return map;
}

/** file:line (1-based) for a 0-based position in a script URL; lib/*.js mapped to src/*.ts when possible. */
function locate(url: string, line0: number, col0: number, repoRoot: string): string {
  if (!url) return '(native)';
  let file = url;
  if (url.startsWith('file://')) file = fileURLToPath(url);
  if (file.startsWith('/') && existsSync(file)) {
    const map = isRepoLib(file, repoRoot) ? sourceMapOf(file) : null;
    const entry = map?.findEntry(line0, Math.max(0, col0)) as { originalSource?: string; originalLine?: number } | undefined;
    if (entry && entry.originalSource && entry.originalLine !== undefined) {
      let source = entry.originalSource;
      if (source.startsWith('file://')) source = fileURLToPath(source);
      let abs = resolve(dirname(file), source);
      // The snapshot's sources resolve under it; they are the repo's.
      if (buildRoot !== undefined && abs.startsWith(`${buildRoot}/`)) abs = `${repoRoot}/${relative(buildRoot, abs)}`;
      return `${relative(repoRoot, abs)}:${entry.originalLine + 1}`;
    }
    return `${relative(repoRoot, file)}:${line0 + 1}`;
  }
  return `${file}:${line0 + 1}`;
}

function areaOf(frame: CallFrame, repoRoot: string): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8: garbage collector';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8: (program) native/unattributed';
    return `native: ${functionName || '(anonymous)'}`;
  }
  if (url.startsWith('node:')) return 'node internals (node:*)';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (nm) return `node_modules: ${nm[1]}`;
  if (isRepoLib(file, repoRoot) || file.startsWith(`${repoRoot}/src/`)) return 'this repo (lib/ → src/)';
  return file;
}

/** A window of the monotonic clock (µs, as `process.hrtime.bigint() / 1000n`): only samples inside count. */
export interface Window {
  readonly fromUs: number;
  readonly toUs: number;
}

/** The samples as (node, duration µs), restricted to `window` when given (V8 stamps samples with the monotonic clock). */
function samplesOf(profile: CpuProfile, window?: Window): { node: number; us: number }[] {
  const out: { node: number; us: number }[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    out.push({ node: profile.samples[i], us: dt });
  }
  return out;
}

/** Top functions by self time, plus a breakdown by area. */
export function summarizeProfile(path: string, repoRoot: string, top = 20, window?: Window): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let totalUs = 0;
  for (const { node, us } of samplesOf(profile, window)) {
    selfUs.set(node, (selfUs.get(node) ?? 0) + us);
    totalUs += us;
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The nearest ancestor frame in this repo's compiled code, per node (memoized).
  const inRepo = (f: CallFrame) => isRepoLib(f.url, repoRoot);
  const repoAncestor = new Map<number, number | null>();
  const nearestRepo = (id: number): number | null => {
    if (repoAncestor.has(id)) return repoAncestor.get(id)!;
    const p = parent.get(id);
    const found = p === undefined ? null : inRepo(byId.get(p)!.callFrame) ? p : nearestRepo(p);
    repoAncestor.set(id, found);
    return found;
  };
  const callers = new Map<string, Map<string, number>>();
  const chains = new Map<string, Map<string, number>>();
  const keyOf = (f: CallFrame) => `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
  const short = (f: CallFrame) => {
    const where = locate(f.url, f.lineNumber, f.columnNumber, repoRoot).replace(/^node_modules\//, '');
    return `${f.functionName || '(anonymous)'} (${where})`;
  };
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    const chain: string[] = [];
    for (let p = parent.get(id); p !== undefined && chain.length < 4; p = parent.get(p)) {
      const pf = byId.get(p)!.callFrame;
      if (pf.functionName === '(root)') break;
      chain.push(short(pf));
    }
    const cm = chains.get(keyOf(f)) ?? new Map<string, number>();
    const chainKey = chain.join(' ← ');
    cm.set(chainKey, (cm.get(chainKey) ?? 0) + us);
    chains.set(keyOf(f), cm);
    if (inRepo(f)) continue;
    const anc = nearestRepo(id);
    if (anc === null) continue;
    const af = byId.get(anc)!.callFrame;
    const caller = `\`${af.functionName || '(anonymous)'}\` ${locate(af.url, af.lineNumber, af.columnNumber, repoRoot)}`;
    const m = callers.get(keyOf(f)) ?? new Map<string, number>();
    m.set(caller, (m.get(caller) ?? 0) + us);
    callers.set(keyOf(f), m);
  }
  // Inclusive time: a node's self time plus its subtree's.
  const inclusive = new Map<number, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const key = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
      // Count a recursive function once per sample stack.
      if (!seen.has(key)) {
        seen.add(key);
        inclusive.set(cur, (inclusive.get(cur) ?? 0) + us);
      }
    }
  }
  interface Agg {
    frame: CallFrame;
    selfUs: number;
    totalUs: number;
    lines: Map<number, number>;
  }
  const aggs = new Map<string, Agg>();
  const areas = new Map<string, number>();
  let idleUs = 0;
  let gcUs = 0;
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const self = selfUs.get(n.id) ?? 0;
    if (f.functionName === '(idle)') idleUs += self;
    if (f.functionName === '(garbage collector)') gcUs += self;
    const area = areaOf(f, repoRoot);
    areas.set(area, (areas.get(area) ?? 0) + self);
    const key = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
    const agg = aggs.get(key) ?? { frame: f, selfUs: 0, totalUs: 0, lines: new Map<number, number>() };
    agg.selfUs += self;
    agg.totalUs += inclusive.get(n.id) ?? 0;
    for (const t of n.positionTicks ?? []) agg.lines.set(t.line, (agg.lines.get(t.line) ?? 0) + t.ticks);
    aggs.set(key, agg);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const ranked = [...aggs.values()].filter((a) => a.frame.functionName !== '(idle)').sort((a, b) => b.selfUs - a.selfUs).slice(0, top);
  return {
    file: relative(repoRoot, path),
    sampledMs: totalUs / 1000,
    idlePercent: (100 * idleUs) / Math.max(1, totalUs),
    gcPercent: (100 * gcUs) / busyUs,
    top: ranked.map((a) => {
      const hottest = [...a.lines].sort((x, y) => y[1] - x[1])[0];
      return {
        function: a.frame.functionName || '(anonymous)',
        location: locate(a.frame.url, a.frame.lineNumber, a.frame.columnNumber, repoRoot),
        hotLine: hottest && a.frame.url ? locate(a.frame.url, hottest[0] - 1, 0, repoRoot) : undefined,
        selfMs: a.selfUs / 1000,
        selfPercent: (100 * a.selfUs) / busyUs,
        totalPercent: (100 * a.totalUs) / busyUs,
        calledFrom: [...(callers.get(keyOf(a.frame)) ?? new Map<string, number>())]
          .filter(([, us]) => us >= 0.05 * a.selfUs)
          .sort((x, y) => y[1] - x[1])
          .slice(0, 3)
          .map(([caller, us]) => `${caller} ${Math.round((100 * us) / Math.max(1, a.selfUs))}%`),
        via: (() => {
          const best = [...(chains.get(keyOf(a.frame)) ?? new Map<string, number>())].sort((x, y) => y[1] - x[1])[0];
          return best && best[0] ? `${best[0]} (${Math.round((100 * best[1]) / Math.max(1, a.selfUs))}%)` : undefined;
        })(),
      };
    }),
    byArea: [...areas]
      .filter(([area]) => area !== 'idle')
      .map(([area, us]) => ({ area, percent: (100 * us) / busyUs }))
      .sort((a, b) => b.percent - a.percent)
      .slice(0, 12),
  };
}

/** Inclusive (self + callees) time of this repo's functions: where the request path spends its time. */
export function repoInclusive(path: string, repoRoot: string, top = 15, window?: Window): { function: string; location: string; totalPercent: number }[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const incl = new Map<string, { frame: CallFrame; us: number }>();
  let busy = 0;
  for (const { node, us: dt } of samplesOf(profile, window)) {
    const leaf = byId.get(node)!;
    if (leaf.callFrame.functionName === '(idle)') continue;
    busy += dt;
    const seen = new Set<string>();
    for (let cur: number | undefined = leaf.id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!isRepoLib(f.url, repoRoot)) continue;
      const key = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const e = incl.get(key) ?? { frame: f, us: 0 };
      e.us += dt;
      incl.set(key, e);
    }
  }
  return [...incl.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      function: e.frame.functionName || '(anonymous)',
      location: locate(e.frame.url, e.frame.lineNumber, e.frame.columnNumber, repoRoot),
      totalPercent: (100 * e.us) / Math.max(1, busy),
    }));
}

export interface BusyPeriods {
  /** Stretches of consecutive non-idle samples: the event loop never idle in between. */
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly over10Ms: number;
  /** Share of the window the process was busy. */
  readonly busyShare: number;
  readonly longest: { ms: number; atS: number; samples: number; top: string[] }[];
}

/**
 * Busy periods of the process inside `window`: under a fixed rate below capacity, a long one is a
 * stretch where requests queue (a stall, or a burst of work), which is what a p99 sees.
 */
export function busyPeriods(path: string, repoRoot: string, window: Window, top = 5): BusyPeriods {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const periods: { start: number; end: number; samples: number[] }[] = [];
  let current: { start: number; end: number; samples: number[] } | undefined;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < window.fromUs || t > window.toUs) continue;
    const idle = byId.get(profile.samples[i])!.callFrame.functionName === '(idle)';
    if (!idle) {
      current ??= { start: t - dt, end: t, samples: [] };
      current.end = t;
      current.samples.push(profile.samples[i]);
    } else if (current) {
      periods.push(current);
      current = undefined;
    }
  }
  if (current) periods.push(current);
  const lengths = periods.map((p) => (p.end - p.start) / 1000).sort((a, b) => a - b);
  const at = (q: number) => (lengths.length ? lengths[Math.min(lengths.length - 1, Math.floor(q * lengths.length))] : Number.NaN);
  const frameName = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const where = f.url ? locate(f.url, f.lineNumber, f.columnNumber, repoRoot).replace(/^node_modules\//, '') : 'native';
    return `${f.functionName || '(anonymous)'} (${where})`;
  };
  const longest = [...periods]
    .sort((a, b) => b.end - b.start - (a.end - a.start))
    .slice(0, top)
    .map((p) => {
      // What the period spent its samples in: the leaf, with its nearest caller from this repo when there is one.
      const counts = new Map<string, number>();
      for (const s of p.samples) {
        let repo: string | undefined;
        for (let id: number | undefined = parent.get(s); id !== undefined && !repo; id = parent.get(id)) {
          if (isRepoLib(byId.get(id)!.callFrame.url, repoRoot)) repo = frameName(id);
        }
        const key = repo ? `${frameName(s)} ← ${repo}` : frameName(s);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return {
        ms: (p.end - p.start) / 1000,
        atS: (p.start - window.fromUs) / 1e6,
        samples: p.samples.length,
        top: [...counts].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ×${v}`),
      };
    });
  return {
    count: periods.length,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    over10Ms: lengths.filter((l) => l > 10).length,
    busyShare: lengths.reduce((a, b) => a + b, 0) / ((window.toUs - window.fromUs) / 1000),
    longest,
  };
}
