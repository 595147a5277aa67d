import { CAPACITY_SPECS, CAPACITY_SPEC_NAMES, type CapacitySpec } from '../../src/specs/catalog';
import { DEFAULT_SERVERLESS_SCALING, MIN_DEDICATED_REPLICAS, POD_CAPACITY, type FixedSizing, sizeGateway } from '../../src/specs/sizing';

/**
 * Expected replicas per spec, computed by hand from POD_CAPACITY (1,250 QPS and 20,000 client connections
 * per pod, at least 2 replicas):  replicas = max(2, ceil(qps / 1250), ceil(connections / 20000)).
 * QPS dominates for every spec but aigw.small.x1 (each spec has 13.3 connections per QPS, a pod 16), where
 * the minimum of 2 applies.
 * No snapshot: snapshots are never updated in CI; this table is the reviewed expectation.
 */
const EXPECTED: ReadonlyArray<readonly [spec: CapacitySpec, replicas: number, perReplicaQps: number, perReplicaClientConnections: number]> = [
  ['aigw.small.x1', 2, 750, 10000], //      1500 / 1250 = 1.2,     20000 / 20000 = 1   → min 2
  ['aigw.small.x2', 3, 1000, 13334], //     3000 / 1250 = 2.4,     40000 / 20000 = 2
  ['aigw.small.x4', 5, 1200, 16000], //     6000 / 1250 = 4.8,     80000 / 20000 = 4
  ['aigw.medium.x1', 10, 1200, 16000], //  12000 / 1250 = 9.6,    160000 / 20000 = 8
  ['aigw.medium.x2', 20, 1200, 16000], //  24000 / 1250 = 19.2,   320000 / 20000 = 16
  ['aigw.medium.x3', 29, 1242, 16552], //  36000 / 1250 = 28.8,   480000 / 20000 = 24
  ['aigw.large.x1', 39, 1231, 16411], //   48000 / 1250 = 38.4,   640000 / 20000 = 32
  ['aigw.large.x2', 77, 1247, 16624], //   96000 / 1250 = 76.8,  1280000 / 20000 = 64
  ['aigw.large.x3', 116, 1242, 16552], // 144000 / 1250 = 115.2, 1920000 / 20000 = 96
  ['aigw.large.x4', 154, 1247, 16624], // 192000 / 1250 = 153.6, 2560000 / 20000 = 128
];

function fixed(spec: CapacitySpec): FixedSizing {
  const sizing = sizeGateway('dedicated', spec);
  if (sizing.kind !== 'fixed') throw new Error(`expected fixed sizing for ${spec}, got ${sizing.kind}`);
  return sizing;
}

describe('sizeGateway: dedicated', () => {
  test('the hand-computed table is based on the pod capacity it assumes', () => {
    expect(POD_CAPACITY).toEqual({ qps: 1250, clientConnections: 20000 });
    expect(MIN_DEDICATED_REPLICAS).toBe(2);
    expect(EXPECTED.map(([spec]) => spec)).toEqual(CAPACITY_SPEC_NAMES);
  });

  test.each(EXPECTED)('%s: %d replicas of %d QPS and %d connections', (spec, replicas, perReplicaQps, perReplicaClientConnections) => {
    expect(sizeGateway('dedicated', spec)).toEqual({ kind: 'fixed', replicas, perReplicaQps, perReplicaClientConnections });
  });

  test.each(CAPACITY_SPEC_NAMES)('%s: at least 2 replicas, which together carry the whole spec, each within one pod', (spec) => {
    const { replicas, perReplicaQps, perReplicaClientConnections } = fixed(spec);
    const { qps, clientConnections } = CAPACITY_SPECS[spec];
    expect(Number.isInteger(replicas)).toBe(true);
    expect(replicas).toBeGreaterThanOrEqual(2);
    expect(replicas * perReplicaQps).toBeGreaterThanOrEqual(qps);
    expect(replicas * perReplicaClientConnections).toBeGreaterThanOrEqual(clientConnections);
    expect(perReplicaQps).toBeLessThanOrEqual(POD_CAPACITY.qps);
    expect(perReplicaClientConnections).toBeLessThanOrEqual(POD_CAPACITY.clientConnections);
    // Integers ≥ 1: they are written to the config's per-replica limits (positive ints).
    expect(Number.isInteger(perReplicaQps) && perReplicaQps >= 1).toBe(true);
    expect(Number.isInteger(perReplicaClientConnections) && perReplicaClientConnections >= 1).toBe(true);
  });

  test('a bigger spec never gets fewer replicas', () => {
    const replicas = CAPACITY_SPEC_NAMES.map((spec) => fixed(spec).replicas);
    expect(replicas).toEqual([...replicas].sort((a, b) => a - b));
  });
});

describe('sizeGateway: serverless', () => {
  test('is elastic, with the default scaling and one pod of capacity per replica', () => {
    expect(sizeGateway('serverless', undefined)).toEqual({
      kind: 'elastic',
      minReplicas: 2,
      maxReplicas: 20,
      targetCpuUtilizationPercent: 70,
      perReplicaQps: 1250,
      perReplicaClientConnections: 20000,
    });
    expect(DEFAULT_SERVERLESS_SCALING).toEqual({ minReplicas: 2, maxReplicas: 20, targetCpuUtilizationPercent: 70 });
  });

  test('is elastic even if a spec is passed', () => {
    expect(sizeGateway('serverless', 'aigw.large.x4').kind).toBe('elastic');
  });

  test('takes the fleet scaling bounds', () => {
    const scaling = { minReplicas: 3, maxReplicas: 50, targetCpuUtilizationPercent: 60 };
    expect(sizeGateway('serverless', undefined, scaling)).toEqual({
      kind: 'elastic',
      ...scaling,
      perReplicaQps: 1250,
      perReplicaClientConnections: 20000,
    });
  });
});
