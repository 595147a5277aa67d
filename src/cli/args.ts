/** A small, strict flag parser: `--name value` or `--name=value`; unknown flags are errors, not ignored. */
export interface FlagSpec {
  readonly [flag: string]: 'string' | 'boolean';
}

export class UsageError extends Error {}

export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): Partial<Record<keyof S, string | boolean>> {
  const out: Partial<Record<keyof S, string | boolean>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown flag '--${name}'`);
    if (kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`'--${name}' takes no value`);
      out[name as keyof S] = true;
    } else {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`'--${name}' needs a value`);
      out[name as keyof S] = value;
    }
  }
  return out;
}

export function portFlag(name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`'--${name}' must be a port from 0 to 65535, found '${String(value)}'`);
  return n;
}
