import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { Construct } from 'constructs';
import { redisAclSecretName } from '../config-builder';
import type { AiGatewayFleet } from '../fleet';
import { fleetName, placementOf, sharedRedisName } from '../placement';
import { Redis } from './redis';
import { publishedHosts } from '../rules/route-conflicts';

/** What a fleet shares: its namespace and, for its Serverless gateways, one Redis and one endpoint. */
export class FleetResources extends Construct {
  public constructor(scope: Construct, id: string, fleet: AiGatewayFleet) {
    super(scope, id);
    const provider = fleet.props.provider;
    const labels = { 'app.kubernetes.io/part-of': fleetName(fleet), 'app.kubernetes.io/managed-by': 'cdktf-ai-gateway' };
    new NamespaceV1(this, 'Namespace', { provider, metadata: { name: fleet.namespace, labels } });

    const serverless = fleet.gateways.filter((g) => g.edition === 'serverless');
    if (serverless.length === 0) return;
    new Redis(this, 'SharedRedis', {
      provider,
      namespace: fleet.namespace,
      name: sharedRedisName(fleet),
      labels,
      aclSecretName: redisAclSecretName(serverless[0]),
      aclUsers: serverless.map((g) => ({ user: placementOf(g).redisUser!, keyPrefix: `aigw:${g.gatewayName}:` })),
    });
    new IngressV1(this, 'SharedEndpoint', {
      provider,
      metadata: { name: 'aigw-shared-endpoint', namespace: fleet.namespace, labels },
      spec: {
        ...(fleet.props.ingressClassName && { ingressClassName: fleet.props.ingressClassName }),
        rule: serverless.flatMap((g) =>
          publishedHosts(g).map((host) => ({
            ...(host !== '*' && { host }),
            http: { path: [{ path: '/', pathType: 'Prefix', backend: { service: { name: placementOf(g).workloadName, port: { name: 'http' } } } }] },
          })),
        ),
      },
    });
  }
}
