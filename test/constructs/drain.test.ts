import { fleetStack, openAi, resourcesOf, synth } from './fixtures';
import { DRAIN, PORTS, TERMINATION_GRACE_PERIOD_SECONDS } from '../../src/specs';

/** The gateway Deployments of a fleet with one gateway of each edition. */
function gatewayDeployments() {
  const { stack, fleet } = fleetStack();
  const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1' });
  prod.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
  const lab = fleet.addGateway('lab', { edition: 'serverless' });
  lab.addModelRoute('chat', { host: 'lab.example.com', models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
  const deployments = resourcesOf(synth(stack), 'kubernetes_deployment_v1').filter((d) => d.metadata.labels['app.kubernetes.io/name'] === 'aigw');
  expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['aigw-lab', 'aigw-prod']);
  return deployments;
}

describe('drain: the Deployment lets a replica leave the endpoints before it stops accepting', () => {
  test('each gateway container has a preStop exec hook, `aigw prestop` on the admin port (an httpGet would let any pod of the cluster call it)', () => {
    for (const deployment of gatewayDeployments()) {
      const container = deployment.spec.template.spec.container[0];
      expect(container.port).toContainEqual({ name: 'admin', container_port: PORTS.admin });
      expect(container.lifecycle).toEqual({ pre_stop: [{ exec: { command: ['aigw', 'prestop', '--admin-port', String(PORTS.admin)] } }] });
      // The hook runs the image's own binary, the one the container command runs.
      expect(container.command[0]).toBe(container.lifecycle.pre_stop[0].exec.command[0]);
    }
  });

  test('terminationGracePeriodSeconds covers the preStop delay and the drain (TERMINATION_GRACE_PERIOD_SECONDS)', () => {
    for (const deployment of gatewayDeployments()) {
      expect(deployment.spec.template.spec.termination_grace_period_seconds).toBe(TERMINATION_GRACE_PERIOD_SECONDS);
    }
    // kubelet's grace period runs from the preStop hook's start: it must outlast the delay and the drain.
    expect(TERMINATION_GRACE_PERIOD_SECONDS * 1000).toBeGreaterThan(DRAIN.delayMs + DRAIN.timeoutMs);
  });
});

test('a setting the data plane applies only on restart (observability.tier, from systemResources) is in the pod template, so changing it rolls the pods', () => {
  const tiers = [false, true].map((systemResources) => {
    const { stack, fleet } = fleetStack();
    const gw = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', observability: { systemResources } });
    gw.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
    const [deployment] = resourcesOf(synth(stack), 'kubernetes_deployment_v1').filter((d) => d.metadata.labels['app.kubernetes.io/name'] === 'aigw');
    return deployment.spec.template.metadata.annotations['aigw.dev/observability-tier'];
  });
  expect(tiers).toEqual(['business', 'full']);
});
