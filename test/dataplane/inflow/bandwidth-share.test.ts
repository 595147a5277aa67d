import { InboundBandwidth } from '../../../src/dataplane/inflow/bandwidth';
import { sizeGateway } from '../../../src/specs/sizing';
import { configOf, fleetStack, resourcesOf, synth } from '../../constructs/fixtures';

/**
 * The share each replica shapes request bodies to, as the constructs state it: `limits.bandwidthReplicas` is the
 * divisor of `limits.bandwidthMbps` (Dedicated: its fixed replicas; Serverless: minReplicas), and the pods' CNI
 * bandwidth annotation carries the same share, so that both ways of enforcing it agree.
 */
describe('the bandwidth share of a replica: synthesized config and pod annotation agree', () => {
  test('Dedicated: divided by its fixed replicas, all of them together the gateway bandwidth', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x4', bandwidthMbps: 3000 });
    const tf = synth(stack);
    const config = configOf(tf, 'prod');
    const sizing = sizeGateway('dedicated', 'aigw.small.x4');
    expect(sizing.kind).toBe('fixed');
    const replicas = sizing.kind === 'fixed' ? sizing.replicas : 0;
    expect(config.limits).toMatchObject({ bandwidthMbps: 3000, bandwidthReplicas: replicas });
    expect(InboundBandwidth.of(config.limits).bytesPerSecond * replicas).toBeCloseTo((3000 * 1_000_000) / 8, 3);
    const deployment = resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-prod');
    expect(deployment.spec.template.metadata.annotations['kubernetes.io/ingress-bandwidth']).toBe(`${Math.floor(3000 / replicas)}M`);
  });

  test('Serverless: divided by minReplicas (at rest the gateway admits exactly bandwidthMbps; scaled out, up to maxReplicas / minReplicas times it), not maxReplicas', () => {
    const { stack, fleet } = fleetStack({ serverless: { minReplicas: 2, maxReplicas: 10 } });
    fleet.addGateway('lab', { edition: 'serverless', bandwidthMbps: 200 });
    const tf = synth(stack);
    const config = configOf(tf, 'lab');
    expect(config.limits).toMatchObject({ bandwidthMbps: 200, bandwidthReplicas: 2 });
    // 100 Mbps per replica: 12.5 MB/s, not the 20 Mbps a maxReplicas divisor gave (40 Mbps in total at 2 replicas).
    expect(InboundBandwidth.of(config.limits).bytesPerSecond).toBe(12_500_000);
    const deployment = resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-lab');
    expect(deployment.spec.template.metadata.annotations['kubernetes.io/ingress-bandwidth']).toBe('100M');
  });
});
