/**
 * "The client went away": set once, heard by whatever is waiting on the request (upstream calls,
 * backoff sleeps). A plain listener list, and an AbortSignal only for the APIs that need one:
 * AbortController's signal is an EventTarget whose creation alone showed in the per-request profile.
 */
export class Cancellation {
  private listeners: (() => void)[] | undefined;
  private controller: AbortController | undefined;
  private done = false;

  public get cancelled(): boolean {
    return this.done;
  }

  /** Calls `listener` once on cancel (at once if already cancelled); returns the way to stop listening. */
  public onCancel(listener: () => void): () => void {
    if (this.done) {
      listener();
      return noop;
    }
    (this.listeners ??= []).push(listener);
    return () => {
      const list = this.listeners;
      const i = list ? list.indexOf(listener) : -1;
      if (i >= 0) list!.splice(i, 1);
    };
  }

  public cancel(): void {
    if (this.done) return;
    this.done = true;
    const list = this.listeners;
    this.listeners = undefined;
    if (list) for (const listener of list) listener();
    this.controller?.abort();
  }

  /** An AbortSignal that aborts on cancel, for APIs that take one (created on first use). */
  public get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.done) this.controller.abort();
    }
    return this.controller.signal;
  }
}

function noop(): void {}
