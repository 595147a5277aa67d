/**
 * The current one of something requests hold (a config snapshot, a rate-limit store), and the
 * count of requests still holding each earlier one: an item replaced by a reload is closed once
 * its last request ends, never under a request that still uses it.
 */
export class Leases<T> {
  private readonly holders = new Map<T, number>();
  private latest: T;

  public constructor(
    first: T,
    private readonly close: (item: T) => void,
  ) {
    this.latest = first;
    this.holders.set(first, 0);
  }

  /** What new requests get. */
  public get current(): T {
    return this.latest;
  }

  /** Takes the current item for one request; call the returned function once when the request ends. */
  public acquire(): [T, () => void] {
    const item = this.latest;
    this.holders.set(item, (this.holders.get(item) ?? 0) + 1);
    let released = false;
    return [
      item,
      () => {
        if (released) return;
        released = true;
        const left = (this.holders.get(item) ?? 1) - 1;
        this.holders.set(item, left);
        if (left === 0 && item !== this.latest) this.retire(item);
      },
    ];
  }

  /** Makes `next` current; the previous item is closed now if no request holds it, else when the last one ends. */
  public replace(next: T): void {
    const previous = this.latest;
    if (next === previous) return;
    this.latest = next;
    this.holders.set(next, this.holders.get(next) ?? 0);
    if ((this.holders.get(previous) ?? 0) === 0) this.retire(previous);
  }

  private retire(item: T): void {
    if (item === this.latest) return;
    this.holders.delete(item);
    this.close(item);
  }
}
