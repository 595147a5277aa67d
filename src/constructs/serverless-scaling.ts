import type { ServerlessScaling } from '../specs';
import type { AiGatewayFleet } from './fleet';

/** The fleet's autoscaling bounds for its Serverless gateways (defaults filled in by the fleet). */
export function serverlessScaling(fleet: AiGatewayFleet): ServerlessScaling {
  const { minReplicas, maxReplicas, targetCpuUtilizationPercent } = fleet.serverless;
  return { minReplicas, maxReplicas, targetCpuUtilizationPercent };
}
