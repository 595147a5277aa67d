import { Writable } from 'stream';
import { applyAcceleration, type AccelerationOutcome } from '../../../src/dataplane/acceleration';
import { createLogger } from '../../../src/dataplane/access-log';
import { GatewayMetrics } from '../../../src/dataplane/metrics';
import { unservedFields } from '../../../src/dataplane/unserved';
import { minimalConfig } from '../../specs/fixtures';

/** A real logger and registry, and the readiness holds set, for one outcome. */
async function applied(outcome: AccelerationOutcome) {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const metrics = new GatewayMetrics({ gateway: 'g' });
  const holds = new Map<string, string>();
  const holdReadiness = (name: string, reason: string | undefined) => (reason === undefined ? holds.delete(name) : holds.set(name, reason));
  applyAcceleration(outcome, { logger: createLogger(sink), metrics, holdReadiness });
  await new Promise((r) => setImmediate(r));
  const gauge = (await metrics.registry.getSingleMetric('aigw_acceleration_mode')!.get()).values.filter((v) => v.value === 1).map((v) => `${v.labels.feature}/${v.labels.mode}`);
  return { logs, holds, gauge };
}

describe('reporting how each feature runs', () => {
  test('a fresh registry lists both features as software, before anything is detected', async () => {
    const values = (await new GatewayMetrics().registry.getSingleMetric('aigw_acceleration_mode')!.get()).values;
    expect(values.filter((v) => v.value === 1).map((v) => `${v.labels.feature}/${v.labels.mode}`)).toEqual(['tls/software', 'compression/software']);
    expect(values).toHaveLength(6);
  });

  test('TLS on QAT: the gauge says qat, one info line says how, no hold, no warning', async () => {
    const { logs, holds, gauge } = await applied({ tls: { requested: true, mode: 'qat', how: 'QAT engine' }, compression: { requested: false, mode: 'software' } });
    expect(gauge).toEqual(['tls/qat', 'compression/software']);
    expect(logs).toEqual([expect.objectContaining({ level: 30, msg: 'hardware acceleration: QAT in use', tls: 'QAT engine' })]);
    expect(holds.size).toBe(0);
  });

  test('both required and missing: one hold each (two lines in /readyz), one error line each', async () => {
    const { logs, holds, gauge } = await applied({
      tls: { requested: true, mode: 'unavailable', fallback: 'fail', reason: 'no QAT device: x' },
      compression: { requested: true, mode: 'unavailable', fallback: 'fail', reason: 'no QAT device: x' },
    });
    expect(gauge).toEqual(['tls/unavailable', 'compression/unavailable']);
    expect([...holds]).toEqual([
      ['acceleration:tls', 'tls acceleration (QAT) is required (fallback: fail) and unavailable: no QAT device: x'],
      ['acceleration:compression', 'compression acceleration (QAT) is required (fallback: fail) and unavailable: no QAT device: x'],
    ]);
    expect(logs.map((l) => l.level)).toEqual([50, 50]);
  });
});

describe('QAT compression is declared but not served, and said so at load', () => {
  test("compression on: the 'acceleration.compression' field is reported; TLS alone (served) is not", () => {
    const base = minimalConfig();
    const off = { enabled: false, fallback: 'software' as const };
    expect(unservedFields({ ...base, acceleration: { tls: { enabled: true, fallback: 'fail' }, compression: off } })).not.toContain('acceleration.compression');
    expect(unservedFields({ ...base, acceleration: { tls: off, compression: { enabled: true, fallback: 'fail' } } })).toContain('acceleration.compression');
  });
});
