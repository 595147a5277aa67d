/**
 * The agents bench's load: raw HTTP (bench/shared/http-pool.ts), so the client's own cost stays small
 * next to what is measured. Each request is timed to its last byte, and to the first byte of content
 * (the first answer text of a stream: OpenAI's first non-empty `content`, Dify's first non-empty
 * `answer`), which is when a user sees something. Runs are closed loops of N workers, one request in
 * flight each (bench/shared/closed-loop.ts, paced or not).
 */
/** What one successful operation measured, ms. */
export interface Sample {
  readonly totalMs: number;
  readonly firstContentMs?: number;
}

/** Each sample's time to its last byte, and each streamed one's time to its first content byte, ms, unsorted. */
export function splitSamples(samples: readonly Sample[]): { totals: number[]; firsts: number[] } {
  return {
    totals: samples.map((s) => s.totalMs),
    firsts: samples.flatMap((s) => (s.firstContentMs === undefined ? [] : [s.firstContentMs])),
  };
}
