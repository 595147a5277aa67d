import { DEFAULT_SERVERLESS_SCALING, type ServerlessScaling } from '../specs';
import type { AiGatewayFleet } from './fleet';

/** The fleet's autoscaling bounds for its Serverless gateways, defaults filled in. */
export function serverlessScaling(fleet: AiGatewayFleet): ServerlessScaling {
  const s = fleet.props.serverless;
  return {
    minReplicas: s?.minReplicas ?? DEFAULT_SERVERLESS_SCALING.minReplicas,
    maxReplicas: s?.maxReplicas ?? DEFAULT_SERVERLESS_SCALING.maxReplicas,
    targetCpuUtilizationPercent: s?.targetCpuUtilizationPercent ?? DEFAULT_SERVERLESS_SCALING.targetCpuUtilizationPercent,
  };
}

export function imageChannel(fleet: AiGatewayFleet): string {
  return fleet.props.serverless?.imageChannel ?? 'stable';
}
