/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), enough for the tests'
 * checks: families by name with their type, help and samples. Any line it does not understand
 * throws, so a malformed `/metrics` fails the test rather than being skipped.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  type?: string;
  help?: string;
  readonly samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const SUFFIXES: Record<string, readonly string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => families.get(name) ?? families.set(name, { name, samples: [] }).get(name)!;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
    if (meta) {
      const f = family(meta[2]);
      if (meta[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3])) throw new Error(`unknown type in: ${line}`);
        f.type = meta[3];
      } else {f.help = meta[3].replace(/\\n/g, '\n').replace(/\\\\/g, '\\');}
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < m[2].length) {
        const at = LABEL.lastIndex;
        const l = LABEL.exec(m[2]);
        if (!l || l.index !== at) throw new Error(`bad labels in: ${line}`);
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
    }
    const value = parseValue(m[3]);
    if (value === undefined) throw new Error(`bad value in: ${line}`);
    // A histogram's or summary's samples belong to the family they suffix.
    const owner = [...families.values()].find((f) => f.type && (SUFFIXES[f.type] ?? []).some((s) => m[1] === `${f.name}${s}`));
    family(owner?.name ?? m[1]).samples.push({ name: m[1], labels, value });
  }
  return families;
}

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case, as prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  if (/^nan$/i.test(text)) return NaN;
  if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
