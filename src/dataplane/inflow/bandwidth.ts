import type { GatewayConfig } from '../../specs';
import type { TickSource } from '../capacity';
import { TokenBucket } from './token-bucket';

/** Bytes per second in one megabit per second (SI: 10^6 bits, as bandwidth is sold and as the CNI plugin reads `M`). */
const BYTES_PER_SECOND_PER_MBPS = 1_000_000 / 8;

/** What the replica's inbound bandwidth accounting has counted since the process started: the metrics read it. */
export interface InboundTotals {
  /** Request body bytes read off the wire (before decompression). */
  readonly bytes: number;
  /** Time request bodies were held back by the bucket, summed over requests. */
  readonly heldSeconds: number;
}

/** The replica's share of the gateway's inbound bandwidth, in bytes per second: `limits.bandwidthMbps` / `limits.bandwidthReplicas`. */
export function replicaBytesPerSecond(limits: GatewayConfig['limits']): number {
  return (limits.bandwidthMbps / (limits.bandwidthReplicas ?? 1)) * BYTES_PER_SECOND_PER_MBPS;
}

/** The bucket and its totals: one per replica, handed from snapshot to snapshot. */
class Meter {
  public bytes = 0;
  public heldMs = 0;
  public constructor(public readonly bucket: TokenBucket) {}
}

/**
 * The replica's inbound bandwidth: ONE token bucket that every request body read on this replica draws from
 * (a gateway-wide limit, split evenly between replicas, never a per-request one), sized to the replica's share.
 * Each snapshot has one; a reload hands the bucket over (`adopt`) with the new rate, so that requests still
 * reading on the old snapshot and those on the new draw from the same bucket and a reload never refills it.
 */
export class InboundBandwidth {
  public static of(limits: GatewayConfig['limits']): InboundBandwidth {
    return new InboundBandwidth(replicaBytesPerSecond(limits));
  }

  private meter: Meter;

  public constructor(
    public readonly bytesPerSecond: number,
    clock?: TickSource,
  ) {
    this.meter = new Meter(new TokenBucket(bytesPerSecond, clock));
  }

  /** This snapshot replaces `previous`'s: the same bucket (and totals) from now on, at this snapshot's rate. */
  public adopt(previous: InboundBandwidth): void {
    this.meter = previous.meter;
    previous.meter.bucket.setRate(this.bytesPerSecond);
  }

  /** `bytes` were read off a client's connection: how many milliseconds that body's reading pauses (0: none). */
  public take(bytes: number): number {
    const meter = this.meter;
    const waitMs = meter.bucket.take(bytes);
    meter.bytes += bytes;
    meter.heldMs += waitMs;
    return waitMs;
  }

  public get totals(): InboundTotals {
    return { bytes: this.meter.bytes, heldSeconds: this.meter.heldMs / 1000 };
  }
}
