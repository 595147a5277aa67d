import { existsSync, type FSWatcher, readdirSync, realpathSync, statSync, watch } from 'fs';
import { join } from 'path';
import type { Logger } from 'pino';
import { loadConfigDir } from './config-dir';
import type { ReloadResult } from './server';

/** What the watcher needs of a data plane (a `DataPlane` started from a config directory). */
export interface Reloadable {
  /** The hash of the config being served. */
  readonly snapshot: { readonly hash: string };
  readonly logger: Logger;
  /** The directory the plane was started from. */
  readonly configDir?: string;
  /** Reads the directory again and swaps the config in if it is a new, valid, complete set. */
  reload(): ReloadResult | Promise<ReloadResult>;
}

export interface ConfigWatcherOptions {
  /** The directory to watch. @default the plane's config directory */
  readonly dir?: string;
  /** The safety-net poll period, for events `fs.watch` misses; 0 turns polling off. @default 2000 */
  readonly pollIntervalMs?: number;
  /** How long to gather a burst of events into one reload. @default 100 */
  readonly debounceMs?: number;
  /** Watch the directory with `fs.watch`; off, only the poll sees changes. @default true */
  readonly watch?: boolean;
}

/** What made the watcher reload: a directory event, the poll, or a change between the plane's first read and `start()`. */
export type ReloadCause = 'watch' | 'poll' | 'start';

export type ReloadListener = (outcome: ReloadResult, cause: ReloadCause) => void;

/**
 * Watches a gateway's config directory and calls `plane.reload()` when it may have changed.
 *
 * kubelet updates a projected volume by renaming the `..data` symlink, which is an event in the
 * directory; `fs.watch` sees it, and a periodic poll catches anything it misses. A burst of events
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
  private readonly pollIntervalMs: number;
  private readonly debounceMs: number;
  private readonly useWatch: boolean;
  private readonly listeners = new Set<ReloadListener>();
  private readonly waiters = new Set<(error?: Error) => void>();
  private watcher?: FSWatcher;
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
    this.seen = fingerprint(this.dir);
    // The directory may have changed between the plane's first read and now.
    const loaded = loadConfigDir(this.dir);
    if (!loaded.ok || loaded.hash !== this.plane.snapshot.hash) this.schedule('start');
    this.openWatch();
    if (this.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => this.onPoll(), this.pollIntervalMs);
      this.pollTimer.unref();
    }
    this.plane.logger.info({ dir: this.dir, watch: this.watcher !== undefined, pollIntervalMs: this.pollIntervalMs }, 'watching the config directory');
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

  private openWatch(): void {
    if (!this.useWatch || this.watcher || !this.active) return;
    try {
      const watcher = watch(this.dir, { persistent: false }, () => this.schedule('watch'));
      watcher.on('error', (e) => {
        // E.g. the directory was removed: the poll takes over and watches again when it can.
        this.plane.logger.warn({ dir: this.dir, err: e.message }, 'config directory watch failed; polling');
        if (this.watcher === watcher) this.closeWatch();
      });
      this.watcher = watcher;
    } catch (e) {
      this.plane.logger.warn({ dir: this.dir, err: (e as Error).message }, 'cannot watch the config directory; polling');
    }
  }

  private closeWatch(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    try {
      watcher?.close();
    } catch {
      // already closed
    }
  }

  private onPoll(): void {
    if (!this.active) return;
    this.openWatch();
    if (fingerprint(this.dir) !== this.seen) this.schedule('poll');
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
    const now = fingerprint(this.dir);
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
