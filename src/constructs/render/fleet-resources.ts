import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { Construct } from 'constructs';
import type { AiGatewayFleet } from '../fleet';
import { fleetName, placementOf, publishedHosts, sharedRedisName } from '../placement';
import { Redis } from './redis';

/** What a fleet shares: its namespace and, for its Serverless gateways, one Redis and one endpoint. */
export class FleetResources extends Construct {
  /** The fleet namespace's name as a reference, so that what lives in it is created after it. */
  public readonly namespaceRef: string;

  public constructor(scope: Construct, id: string, fleet: AiGatewayFleet) {
    super(scope, id);
    const provider = fleet.provider;
    const labels = { 'app.kubernetes.io/part-of': fleetName(fleet), 'app.kubernetes.io/managed-by': 'cdktf-ai-gateway' };
    const namespace = new NamespaceV1(this, 'Namespace', { provider, metadata: { name: fleet.namespace, labels } });
    this.namespaceRef = namespace.metadata.name;

    const serverless = fleet.gateways.filter((g) => g.edition === 'serverless');
    if (serverless.length === 0) return;
    new Redis(this, 'SharedRedis', {
      provider,
      namespace: this.namespaceRef,
      name: sharedRedisName(fleet),
      labels,
      aclSecretName: fleet.redisAclSecretName,
      aclUsers: serverless.map((g) => ({ user: placementOf(g).redisUser!, keyPrefix: placementOf(g).redisKeyPrefix })),
    });
    // Kubernetes refuses an Ingress with neither rules nor a default backend: none until a gateway claims a host.
    if (serverless.every((g) => publishedHosts(g).length === 0)) return;
    new IngressV1(this, 'SharedEndpoint', {
      provider,
      metadata: { name: 'aigw-shared-endpoint', namespace: this.namespaceRef, labels },
      spec: {
        ...(fleet.ingressClassName && { ingressClassName: fleet.ingressClassName }),
        // Serverless TLS terminates at the shared endpoint: each Domain's kubernetes.io/tls Secret.
        tls: serverless.flatMap((g) =>
          g.children.domains.flatMap((d) => (d.tls ? [{ hosts: [d.hostname], secretName: d.tls.certificate.secretName }] : [])),
        ),
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
