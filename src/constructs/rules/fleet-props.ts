import { isDnsLabel } from '../names';
import { serverlessScaling } from '../serverless-scaling';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';

export const fleetPropsRule: Rule = {
  id: 'fleet-props',
  description: 'A fleet names a region and a valid namespace, and its Serverless scaling bounds are consistent.',
  level: 'error',
  errors: { suppressible: false, because: 'Kubernetes rejects the namespace or HorizontalPodAutoscaler it would produce' },
  check: (ctx) =>
    ctx.fleets.flatMap((fleet) => {
      const at = describe('Fleet', fleet.node.id, fleet);
      const out: Finding[] = [];
      if (typeof fleet.region !== 'string' || fleet.region.trim() === '') {
        out.push(finding(fleet, `${at}: region must be a non-empty string, found ${JSON.stringify(fleet.region)}. Set region (e.g. 'cn-hangzhou').`));
      }
      if (!isDnsLabel(fleet.namespace)) {
        out.push(finding(fleet, `${at}: namespace must be a DNS label of at most 63 characters, found '${fleet.namespace}'. Set a valid namespace.`));
      }
      const s = serverlessScaling(fleet);
      const ints = [
        ['minReplicas', s.minReplicas, 1, 1000],
        ['maxReplicas', s.maxReplicas, 1, 1000],
        ['targetCpuUtilizationPercent', s.targetCpuUtilizationPercent, 1, 100],
      ] as const;
      for (const [name, value, min, max] of ints) {
        if (!Number.isInteger(value) || value < min || value > max) {
          out.push(finding(fleet, `${at}: serverless.${name} must be an integer from ${min} to ${max}, found ${value}. Fix serverless.${name}.`));
        }
      }
      if (s.minReplicas > s.maxReplicas) {
        out.push(finding(fleet, `${at}: serverless.minReplicas (${s.minReplicas}) exceeds maxReplicas (${s.maxReplicas}). Raise maxReplicas or lower minReplicas.`));
      }
      return out;
    }),
};
