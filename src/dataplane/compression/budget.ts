/**
 * The memory the process lets response encoders hold at once. An encoder's state is allocated whole
 * when it starts (brotli ~540 KiB, gzip ~230 KiB) and lives as long as its response: thousands of open
 * streams (LLM streams, MCP's long-lived ones) would otherwise take more than the pod's memory limit.
 * A response that would go over is sent uncompressed: compression saves bandwidth, never at the
 * price of the replica.
 */
export class EncoderBudget {
  private used = 0;
  private refused = 0;

  public constructor(public readonly limitBytes: number) {}

  /** Bytes held by the encoders alive now. */
  public get usedBytes(): number {
    return this.used;
  }

  /** Answers sent plain because the budget was full, since the process started. */
  public get refusals(): number {
    return this.refused;
  }

  /** Takes `bytes` when they fit; false (nothing taken, and one refusal counted) when they do not. */
  public take(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) {
      this.refused++;
      return false;
    }
    this.used += bytes;
    return true;
  }

  public give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/**
 * 128 MiB: an eighth of a replica's memory limit (POD_RESOURCES, 1 GiB), i.e. ~560 gzip streams or
 * ~240 brotli answers compressed at once; the rest goes plain until some end.
 */
export const ENCODER_MEMORY_LIMIT_BYTES = 128 * 1024 * 1024;

/** The process's budget, shared by every listener. */
export const ENCODER_BUDGET = new EncoderBudget(ENCODER_MEMORY_LIMIT_BYTES);
