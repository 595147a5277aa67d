/** The "## Compression" section of BENCHMARKS.md, from the compression bench's results. */
import type { Encoding } from './client';
import { int, ms, signed } from '../shared/report-format';
import type { Summary } from '../shared/stats';

export interface EncodingFigures {
  readonly answers: number;
  readonly errors: number;
  /** Answers per second, median of the rounds. */
  readonly perS: number;
  /** Bytes of body on the wire, median. */
  readonly wireBytes: number;
  /** aigw's CPU per request, µs, median of the rounds. */
  readonly gatewayCpuUs: number;
  readonly gatewayCpuUsRounds: number[];
  readonly latencyMs: Summary;
  /** Streams: ms to the first content event decoded. */
  readonly ttftMs?: Summary;
}

export interface CompressionResults {
  readonly date: string;
  readonly settings: Record<string, number>;
  readonly command: string;
  readonly versions: Record<string, string>;
  readonly shapes: { key: 'stream' | 'large'; title: string; rate: number; encodings: Partial<Record<Encoding, EncodingFigures>> }[];
  readonly errors: string[];
  readonly durationS?: number;
}

const TITLES: Record<Encoding, string> = { identity: 'no Accept-Encoding (plain)', gzip: 'Accept-Encoding: gzip', br: 'Accept-Encoding: br' };

export function renderCompressionSection(r: CompressionResults): string {
  const lines: string[] = [
    '## Compression',
    '',
    'What compressing answers costs aigw (issue #17 §2, §5): the same requests through one `aigw serve` (Dedicated ' +
      'aigw.large.x4 config, one model route to the bundled simulator), sent with no Accept-Encoding, with `gzip` and with `br`, ' +
      `each encoding in turn in every round (${r.settings.rounds} rounds of ${r.settings.roundS} s each, the order rotated), paced at the same rate, ` +
      `${r.settings.connections} keep-alive connections. aigw on CPU 1; the simulator and the load generator on CPU 0. ` +
      'The client reads the answer as it arrives; a stream\'s time to first token is when the bytes received so far first decode to the first content event. ' +
      'Compression: brotli quality 1 for a body and 4 for a stream (window 2^18), gzip level 1 (src/dataplane/compression/codings.ts); a stream flushed at each write (SSE events leave when written), a body of known length at its end. CPU per request: aigw\'s process CPU over the run ÷ its answers, median of the rounds.',
    '',
  ];
  for (const shape of r.shapes) {
    const plain = shape.encodings.identity;
    lines.push(`### ${shape.title}, paced at ${shape.rate} requests/s`, '');
    const stream = shape.key === 'stream';
    lines.push(
      `| Client sends | bytes on the wire | ${stream ? 'TTFT p50 / p99 (ms) | ' : ''}latency p50 / p99 (ms) | aigw CPU µs/request | vs plain | errors |`,
      `|---|---:|${stream ? '---:|' : ''}---:|---:|---:|---:|`,
    );
    for (const encoding of ['identity', 'gzip', 'br'] as const) {
      const f = shape.encodings[encoding];
      if (!f) continue;
      const vs = plain && encoding !== 'identity' ? `${signed(f.gatewayCpuUs - plain.gatewayCpuUs)} µs` : '—';
      const ttft = stream ? `${ms(f.ttftMs?.p50)} / ${ms(f.ttftMs?.p99)} | ` : '';
      lines.push(`| ${TITLES[encoding]} | ${int(f.wireBytes)} | ${ttft}${ms(f.latencyMs.p50)} / ${ms(f.latencyMs.p99)} | ${f.gatewayCpuUs.toFixed(1)} | ${vs} | ${f.errors} |`);
    }
    lines.push('');
  }
  if (r.errors.length > 0) lines.push(`Failed: ${r.errors.join('; ')}`, '');
  lines.push(`Run ${r.date.slice(0, 10)}, ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}; \`${r.command}\`; ${r.durationS?.toFixed(0) ?? '?'} s; raw figures: bench/out/compression/results.json.`);
  return lines.join('\n');
}
