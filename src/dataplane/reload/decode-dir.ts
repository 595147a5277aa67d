import type { GatewayConfig } from '../../specs';
import { loadConfigDir } from '../config-dir';

export type Decoded = { ok: true; config: GatewayConfig; hash: string } | { ok: false; reason: string };

/**
 * Reads and decodes a config directory. Never throws: whatever goes wrong (an unreadable directory,
 * a value the schema chokes on) is a one-line reason. Kept apart from config-load.ts (which pulls in
 * the compiler and so the whole data plane) so that the decode worker loads only the specs.
 */
export function decodeConfigDir(dir: string): Decoded {
  try {
    const loaded = loadConfigDir(dir);
    return loaded.ok ? loaded : { ok: false, reason: oneLine(loaded.reason) };
  } catch (e) {
    return { ok: false, reason: `the config could not be read (${oneLine(messageOf(e))})` };
  }
}

/** A heading and its list of problems as one log- and terminal-friendly line: `invalid config: a: x; b: y`. */
export function oneLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length > 1 && lines[0].endsWith(':')) return `${lines[0]} ${lines.slice(1).join('; ')}`;
  return lines.join('; ');
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
