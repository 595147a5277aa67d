import { join } from 'path';
import { entries } from './device';
import type { AccelerationPaths } from './paths';
import type { Offload } from './tls';

export interface CompressionOffloadOptions {
  /** The Node binding of QATzip looked for. @default 'qatzip' */
  readonly bindingModule?: string;
  /** Resolves a module name to its file, throwing when it is not installed. @default require.resolve */
  readonly resolveModule?: (name: string) => string;
}

/**
 * Offloads compression to QAT (only called when a QAT device is present): needs libqatzip and a
 * Node binding of it. No such binding is published, and the response compressor has no QATzip
 * path, so this always says what is missing: it never claims an offload that does not happen.
 */
export function offloadCompression(paths: AccelerationPaths, options: CompressionOffloadOptions = {}): Offload {
  const missing: string[] = [];
  const lib = paths.libDirs.flatMap((dir) => entries(dir).filter((f) => f.startsWith('libqatzip.so')).map((f) => join(dir, f)))[0];
  if (lib === undefined) missing.push(`libqatzip.so not found in ${paths.libDirs.join(', ')}`);
  const name = options.bindingModule ?? 'qatzip';
  let binding: string | undefined;
  try {
    binding = (options.resolveModule ?? require.resolve)(name);
  } catch {
    missing.push(`no QATzip Node binding (module '${name}' not installed)`);
  }
  if (lib !== undefined && binding !== undefined) missing.push(`QATzip (${lib}, binding ${binding}) found, but this data plane's compressor has no QATzip path yet`);
  return { ok: false, missing: missing.join('; ') };
}
