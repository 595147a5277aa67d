import { AnnotationMetadataEntryType } from 'cdktf';
import { fleetStack, resourcesOf, synth } from './fixtures';
import type { HardwareAccelerationProps } from '../../src';
import { ACCEL_FLAGS, QAT_NODE_LABEL, QAT_RESOURCES, serveArgv } from '../../src/specs';

/** The synthesized data-plane container and pod spec of a Dedicated gateway with this acceleration. */
function podOf(hardwareAcceleration: HardwareAccelerationProps | undefined) {
  const { stack, fleet } = fleetStack();
  const gateway = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', ...(hardwareAcceleration && { hardwareAcceleration }) });
  const tf = synth(stack);
  const deployment = resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-prod');
  const pod = deployment.spec.template.spec;
  const warnings = gateway.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
  return { pod, container: pod.container[0], warnings };
}

const QAT_DEVICES = Object.values(QAT_RESOURCES);
const deviceKeys = (resources: Record<string, string>) => Object.keys(resources).filter((k) => (QAT_DEVICES as readonly string[]).includes(k));

describe('QAT scheduling follows the fallback', () => {
  test("fallback 'fail': each accelerated feature's device is requested (requests = limits), so pods run only where it is, and the flags say fail", () => {
    const { pod, container, warnings } = podOf({ tls: true, compression: true, fallback: 'fail' });
    expect(container.resources.requests).toMatchObject({ [QAT_RESOURCES.tls]: '1', [QAT_RESOURCES.compression]: '1' });
    expect(container.resources.limits).toMatchObject({ [QAT_RESOURCES.tls]: '1', [QAT_RESOURCES.compression]: '1' });
    // The device request is the requirement: the scheduler places the pod only where the device plugin offers one (no node label needed).
    expect(pod.affinity).toBeUndefined();
    expect(container.command).toEqual(serveArgv({ tlsAcceleration: true, compressionAcceleration: true, accelerationFallback: 'fail' }));
    expect(container.command).toEqual(expect.arrayContaining([ACCEL_FLAGS.tls, ACCEL_FLAGS.compression, ACCEL_FLAGS.fallbackFail]));
    // TLS with 'fail' needs an image with a QAT engine (the bundled one has none); QAT compression is not served (no QATzip path),
    // and with 'fail' its replicas never get ready: both said at synth.
    expect(warnings).toEqual([
      expect.stringMatching(/^\[unserved:qatEngineInImage\] The QAT offload of TLS of gateway 'prod' \(fallback: 'fail'\) .*bundled image has no OpenSSL QAT engine or provider.*set the fleet's imageRepository/),
      expect.stringMatching(/^\[unserved:qatCompression\] The QAT compression of gateway 'prod' .*no QATzip path.*with fallback 'fail' every replica stays not ready/),
    ]);
  });

  test("fallback 'fail' for TLS only: only the crypto device, and a warning that the bundled image has no QAT engine", () => {
    const { container, warnings } = podOf({ tls: true, fallback: 'fail' });
    expect(deviceKeys(container.resources.requests)).toEqual([QAT_RESOURCES.tls]);
    expect(deviceKeys(container.resources.limits)).toEqual([QAT_RESOURCES.tls]);
    expect(warnings).toEqual([expect.stringContaining('[unserved:qatEngineInImage]')]);
  });

  test("fallback 'software': no device requested (a pod can run on any node), QAT nodes preferred, and a warning that such pods run in software", () => {
    const { pod, container, warnings } = podOf({ tls: true, compression: true, fallback: 'software' });
    expect(deviceKeys(container.resources.requests)).toEqual([]);
    expect(deviceKeys(container.resources.limits)).toEqual([]);
    expect(pod.affinity.node_affinity).toEqual({
      preferred_during_scheduling_ignored_during_execution: [{ weight: 100, preference: { match_expressions: [{ key: QAT_NODE_LABEL, operator: 'In', values: ['true'] }] } }],
    });
    expect(pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution).toBeUndefined();
    expect(container.command).toEqual(expect.arrayContaining([ACCEL_FLAGS.tls, ACCEL_FLAGS.compression, ACCEL_FLAGS.fallbackSoftware]));
    expect(warnings).toEqual([
      expect.stringMatching(/^\[unserved:qatSoftwareFallback\] The QAT offload of TLS of gateway 'prod' \(fallback: 'software'\) .*request no QAT device.*run in software\. Set fallback: 'fail'/),
      expect.stringMatching(/^\[unserved:qatCompression\] The QAT compression of gateway 'prod' /),
    ]);
  });

  test('no acceleration: no device, no affinity, no flag, no warning', () => {
    const { pod, container, warnings } = podOf(undefined);
    expect(deviceKeys(container.resources.requests)).toEqual([]);
    expect(pod.affinity).toBeUndefined();
    expect(container.command).toEqual(serveArgv());
    expect(warnings).toEqual([]);
  });
});
