import { copyFileSync, existsSync, mkdirSync } from 'fs';
import { dirname, join, resolve } from 'path';

// The constructs' own names (src/constructs/lock-file.ts, which src/cli may not import); a test checks they agree.
export const LOCK_FILE_CONTEXT_KEY = 'aigw:lockFile';
export const LOCK_FILE_NAME = 'aigw.lock.json';

/** cdktf's App reads its context from this variable (what `cdktf synth` passes from cdktf.json). */
export const CDKTF_CONTEXT_ENV = 'CDKTF_CONTEXT_JSON';

/**
 * The project's lock file as `cdktf synth` would use it for the app in `appDir`: the `aigw:lockFile`
 * context (the environment's, else cdktf.json's, relative to the app's directory), else
 * `aigw.lock.json` beside the cdktf.json found walking up from `appDir`. Mirrors locateLockFile.
 */
export function projectLockFile(appDir: string, context: Readonly<Record<string, unknown>>): string | undefined {
  const fromContext = context[LOCK_FILE_CONTEXT_KEY];
  if (typeof fromContext === 'string' && fromContext.length > 0) return resolve(appDir, fromContext);
  for (let dir = resolve(appDir); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cdktf.json'))) return join(dir, LOCK_FILE_NAME);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The context a local synth runs with: the project's own (cdktf.json's, then the environment's), with
 * the lock file pointed at a scratch copy in `scratchDir`. The app still reads what the project locked
 * (no-downgrade is checked, locked image versions are kept), but whatever it writes lands in the copy:
 * a local run never rewrites the project's aigw.lock.json (a dev session is not a deploy).
 */
export function localSynthContext(appDir: string, cdktfJsonContext: Readonly<Record<string, unknown>>, scratchDir: string): Record<string, unknown> {
  const context: Record<string, unknown> = { ...cdktfJsonContext, ...contextFromEnvironment() };
  const scratch = join(scratchDir, LOCK_FILE_NAME);
  const real = projectLockFile(appDir, context);
  mkdirSync(scratchDir, { recursive: true });
  if (real && existsSync(real)) copyFileSync(real, scratch);
  return { ...context, [LOCK_FILE_CONTEXT_KEY]: scratch };
}

function contextFromEnvironment(): Record<string, unknown> {
  const json = process.env[CDKTF_CONTEXT_ENV];
  if (!json) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    // cdktf itself would fail on it; let the app report it.
    return {};
  }
}
