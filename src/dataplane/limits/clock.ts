/** Where the limiter reads the time: injectable, so window logic is tested on fake time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to: for tests, and for anything that replays time. */
export class ManualClock implements Clock {
  public constructor(private current: number = 0) {}

  public now(): number {
    return this.current;
  }

  public set(ms: number): void {
    this.current = ms;
  }

  public advance(ms: number): void {
    this.current += ms;
  }
}
