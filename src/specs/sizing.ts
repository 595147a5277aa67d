import { CAPACITY_SPECS, type CapacitySpec, type Edition } from './catalog';

/**
 * What one data-plane pod is sized to carry: the only place the per-pod capacity is stated.
 * Sizing divides a spec by it; the benchmarks check that one process really sustains it.
 *
 * `qps` holds for streamed completions and plain ones alike, with a 20% margin: one aigw process on
 * one core (key auth and a Redis-backed limit) kept its p99 overhead over the upstream within 5 ms up
 * to 1,500 requests/s non-streaming (failing at 1,750) and 1,500 streams/s of 10 chunks, measured at a
 * fixed rate by the data-plane bench (BENCHMARKS.md, "Capacity search"); 1,500 / 1.2 = 1,250. The
 * connection term (20,000 idle keep-alive connections held within 250 MB) decided Dedicated replica
 * counts before; with 1,250 the QPS term does for every spec but aigw.small.x1. The figure also sets
 * the Serverless replica's QPS ceiling.
 */
export const POD_CAPACITY = {
  qps: 1_250,
  clientConnections: 20_000,
} as const;

/** Dedicated gateways run at least this many replicas, spread over zones, for the 99.99% SLA. */
export const MIN_DEDICATED_REPLICAS = 2;

/** Autoscaling bounds of a Serverless gateway when the fleet sets none. */
export const DEFAULT_SERVERLESS_SCALING = {
  minReplicas: 2,
  maxReplicas: 20,
  targetCpuUtilizationPercent: 70,
} as const;

export interface ServerlessScaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetCpuUtilizationPercent: number;
}

/** Fixed replicas, for a Dedicated gateway. */
export interface FixedSizing {
  readonly kind: 'fixed';
  readonly replicas: number;
  /** Each replica's share of the spec's client connections. */
  readonly perReplicaClientConnections: number;
  /** Each replica's share of the spec's QPS. */
  readonly perReplicaQps: number;
}

/** Autoscaled replicas, for a Serverless gateway: no fixed cap, a per-replica safety ceiling. */
export interface ElasticSizing {
  readonly kind: 'elastic';
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetCpuUtilizationPercent: number;
  readonly perReplicaClientConnections: number;
  readonly perReplicaQps: number;
}

export type Sizing = FixedSizing | ElasticSizing;

/** Replicas and per-replica shares: a pure function of edition and spec. */
export function sizeGateway(edition: Edition, spec: CapacitySpec | undefined, scaling: ServerlessScaling = DEFAULT_SERVERLESS_SCALING): Sizing {
  if (edition === 'serverless' || spec === undefined) {
    return {
      kind: 'elastic',
      ...scaling,
      perReplicaClientConnections: POD_CAPACITY.clientConnections,
      perReplicaQps: POD_CAPACITY.qps,
    };
  }
  const { qps, clientConnections } = CAPACITY_SPECS[spec];
  const replicas = Math.max(
    MIN_DEDICATED_REPLICAS,
    Math.ceil(qps / POD_CAPACITY.qps),
    Math.ceil(clientConnections / POD_CAPACITY.clientConnections),
  );
  return {
    kind: 'fixed',
    replicas,
    perReplicaClientConnections: Math.ceil(clientConnections / replicas),
    perReplicaQps: Math.ceil(qps / replicas),
  };
}
