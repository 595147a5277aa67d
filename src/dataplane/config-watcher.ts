import { existsSync, type FSWatcher, lstatSync, readdirSync, realpathSync, statSync, watch } from 'fs';
import { join } from 'path';
import type { Logger } from 'pino';
import { readConfig } from './config-load';
import type { ReloadResult } from './server';

/** What the watcher needs of a data plane (a `DataPlane` started from a config directory). */
export interface Reloadable {
  /** The hash of the config being served. */
  readonly snapshot: { readonly hash: string };
  readonly logger: Logger;
  /** The directory the plane was started from. */
  readonly configDir?: string;
  /** The mounted Secrets directory the plane reads keys from, if any. */
  readonly secretsDir?: string;
  /** Reads the directory again and swaps the config in if it is a new, valid, complete set, or if a Secret it uses changed. */
  reload(): ReloadResult | Promise<ReloadResult>;
}

export interface ConfigWatcherOptions {
  /** The directory to watch. @default the plane's config directory */
  readonly dir?: string;
  /** The mounted Secrets directory to watch for key rotations; '' watches none. @default the plane's secrets directory */
  readonly secretsDir?: string;
  /** The safety-net poll period, for events `fs.watch` misses; 0 turns polling off. @default 2000 */
  readonly pollIntervalMs?: number;
  /** How long to gather a burst of events into one reload. @default 100 */
  readonly debounceMs?: number;
  /** Watch the directory with `fs.watch`; off, only the poll sees changes. @default true */
  readonly watch?: boolean;
}

/** What made the watcher reload: a directory event (config or Secrets), the poll, or a change between the plane's first read and `start()`. */
export type ReloadCause = 'watch' | 'poll' | 'start';

export type ReloadListener = (outcome: ReloadResult, cause: ReloadCause) => void;

/**
 * Watches a gateway's config directory and its mounted Secrets, and calls `plane.reload()` when
 * either may have changed (a rotated key is recompiled in even when the config is the same).
 *
 * kubelet updates a projected volume by renaming the `..data` symlink, which is an event in the
 * directory; `fs.watch` sees it, and a periodic poll catches anything it misses. The Secrets are
 * one projected volume (`<dir>/..data`, `<dir>/<secretName>/<key>`) or one volume per Secret
 * (`<dir>/<secretName>/..data`): both are watched. A burst of events
 * gives one reload, and reloads never overlap. The directory's fingerprint (what `..data` points at,
 * and each file's inode, size and mtime) is compared first, so events that change nothing (kubelet
 * removing the previous generation, the poll) cost a few `stat`s and no reload.
 *
 * A rejected config is logged and counted by the plane, and the last good config keeps serving;
 * nothing is ever thrown out of an event or timer handler. Timers and the watch never keep the
 * process alive.
 */
export class ConfigWatcher {
  public readonly dir: string;
  public readonly secretsDir?: string;
  private readonly pollIntervalMs: number;
  private readonly debounceMs: number;
  private readonly useWatch: boolean;
  private readonly listeners = new Set<ReloadListener>();
  private readonly waiters = new Set<(error?: Error) => void>();
  /** One watch per directory: the config's, the Secrets root and each per-Secret volume. */
  private readonly watchers = new Map<string, FSWatcher>();
  private pollTimer?: NodeJS.Timeout;
  private debounceTimer?: NodeJS.Timeout;
  /** The fingerprint of the directory as the last reload (or the plane's start) read it. */
  private seen = '';
  private running = false;
  /** A change seen while a reload ran: check again when it ends. */
  private pending?: ReloadCause;
  private active = false;

  public constructor(
    private readonly plane: Reloadable,
    options: ConfigWatcherOptions = {},
  ) {
    const dir = options.dir ?? plane.configDir;
    if (!dir) throw new Error('ConfigWatcher: the data plane was not started from a config directory, and no dir was given');
    this.dir = dir;
    const secretsDir = options.secretsDir ?? plane.secretsDir;
    this.secretsDir = secretsDir === '' ? undefined : secretsDir;
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.debounceMs = options.debounceMs ?? 100;
    this.useWatch = options.watch ?? true;
  }

  public get started(): boolean {
    return this.active;
  }

  /** Starts watching. If the directory already holds another config than the one served, reloads it. */
  public start(): this {
    if (this.active) return this;
    this.active = true;
    this.seen = this.fingerprint();
    // The directory may have changed between the plane's first read and now (readConfig never throws).
    const loaded = readConfig({ dir: this.dir });
    if (!loaded.ok || loaded.hash !== this.plane.snapshot.hash) this.schedule('start');
    this.openWatch();
    if (this.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => this.onPoll(), this.pollIntervalMs);
      this.pollTimer.unref();
    }
    this.plane.logger.info({ dir: this.dir, secretsDir: this.secretsDir, watch: this.watchers.size > 0, pollIntervalMs: this.pollIntervalMs }, 'watching the config directory');
    return this;
  }

  /** Stops watching: closes the watch and the timers. A reload already running completes. Pending `nextReload()`s reject. */
  public stop(): void {
    if (!this.active) return;
    this.active = false;
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
    this.pollTimer = undefined;
    this.debounceTimer = undefined;
    this.pending = undefined;
    this.closeWatch();
    const stopped = new Error('the config watcher was stopped');
    for (const waiter of [...this.waiters]) waiter(stopped);
  }

  /** Calls `listener` with the outcome of every reload the watcher makes. Returns a function that removes it. */
  public onReload(listener: ReloadListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The outcome of the next reload (that satisfies `filter`, if given). Rejects if the watcher stops first. */
  public nextReload(filter: (outcome: ReloadResult, cause: ReloadCause) => boolean = () => true): Promise<ReloadResult> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error): void => {
        this.waiters.delete(done);
        off();
        if (error) reject(error);
      };
      const off = this.onReload((outcome, cause) => {
        if (!filter(outcome, cause)) return;
        done();
        resolve(outcome);
      });
      this.waiters.add(done);
    });
  }

  /** The directories to watch: the config's, and the Secrets root with each Secret directory that is not a symlink (a volume of its own). */
  private watchedDirs(): string[] {
    return this.secretsDir ? [this.dir, this.secretsDir, ...secretVolumes(this.secretsDir)] : [this.dir];
  }

  private openWatch(): void {
    if (!this.useWatch || !this.active) return;
    for (const dir of this.watchedDirs()) {
      // A directory that is not there (no Secrets mounted, keys from the environment) is looked for again at each poll, quietly.
      if (this.watchers.has(dir) || (dir !== this.dir && !existsSync(dir))) continue;
      try {
        const watcher = watch(dir, { persistent: false }, () => this.schedule('watch'));
        watcher.on('error', (e) => {
          // E.g. the directory was removed: the poll takes over and watches again when it can.
          this.plane.logger.warn({ dir, err: e.message }, 'directory watch failed; polling');
          if (this.watchers.get(dir) === watcher) this.closeWatch(dir);
        });
        this.watchers.set(dir, watcher);
      } catch (e) {
        this.plane.logger.warn({ dir, err: (e as Error).message }, 'cannot watch the directory; polling');
      }
    }
  }

  private closeWatch(dir?: string): void {
    for (const [path, watcher] of [...this.watchers]) {
      if (dir !== undefined && path !== dir) continue;
      this.watchers.delete(path);
      try {
        watcher.close();
      } catch {
        // already closed
      }
    }
  }

  /** The config directory's fingerprint, and the Secrets'. */
  private fingerprint(): string {
    return this.secretsDir ? `${fingerprint(this.dir)}\n--\n${secretsFingerprint(this.secretsDir)}` : fingerprint(this.dir);
  }

  private onPoll(): void {
    if (!this.active) return;
    this.openWatch();
    if (this.fingerprint() !== this.seen) this.schedule('poll');
  }

  /** Gathers the events of the next `debounceMs` into one check. */
  private schedule(cause: ReloadCause): void {
    if (!this.active) return;
    if (this.running) {
      this.pending ??= cause;
      return;
    }
    if (this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.check(cause);
    }, this.debounceMs);
    this.debounceTimer.unref();
  }

  private async check(cause: ReloadCause): Promise<void> {
    if (!this.active) return;
    if (this.running) {
      this.pending ??= cause;
      return;
    }
    const now = this.fingerprint();
    // The directory is as the last reload read it: nothing to do (unless the plane may be behind it).
    if (now === this.seen && cause !== 'start') return;
    this.running = true;
    let outcome: ReloadResult;
    try {
      outcome = await this.plane.reload();
    } catch (e) {
      // reload() reports a bad config as 'rejected'; this is a bug, and the last good config keeps serving.
      outcome = { result: 'rejected', reason: `reload failed: ${(e as Error).message}` };
      this.plane.logger.error({ err: (e as Error).message, dir: this.dir }, 'config reload failed; the last good config keeps serving');
    } finally {
      this.running = false;
    }
    this.seen = now;
    for (const listener of [...this.listeners]) {
      try {
        listener(outcome, cause);
      } catch (e) {
        this.plane.logger.error({ err: (e as Error).message }, 'config reload listener failed');
      }
    }
    const next = this.pending;
    this.pending = undefined;
    if (next) this.schedule(next);
  }
}

/**
 * What changes when the directory's config may have: the target of `..data` (kubelet's layout) and,
 * for every file read, its inode, size and modification time. Never throws: an unreadable
 * directory is a fingerprint of its own.
 */
export function fingerprint(dir: string): string {
  try {
    const dataLink = join(dir, '..data');
    const root = existsSync(dataLink) ? realpathSync(dataLink) : dir;
    const parts = [root];
    for (const name of readdirSync(root).sort()) {
      if (name.startsWith('..')) continue;
      const s = statSync(join(root, name), { bigint: true });
      parts.push(`${name}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`);
    }
    return parts.join('\n');
  } catch (e) {
    return `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}

/** The Secret directories under `dir` that are volumes of their own (real directories, not symlinks into `..data`). */
function secretVolumes(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => !name.startsWith('..'))
      .map((name) => join(dir, name))
      .filter((path) => lstatSync(path).isDirectory());
  } catch {
    return [];
  }
}

/**
 * What changes when a mounted key may have: the Secrets root's fingerprint and each Secret
 * directory's (through its own `..data`, if it is a volume of its own). Never throws.
 */
export function secretsFingerprint(dir: string): string {
  try {
    const dataLink = join(dir, '..data');
    const root = existsSync(dataLink) ? realpathSync(dataLink) : dir;
    const parts = [fingerprint(dir)];
    for (const name of readdirSync(root).sort()) {
      if (name.startsWith('..')) continue;
      const path = join(root, name);
      if (statSync(path).isDirectory()) parts.push(`${name}/ ${fingerprint(path)}`);
    }
    return parts.join('\n');
  } catch (e) {
    return `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}
