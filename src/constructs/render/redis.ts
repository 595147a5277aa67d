import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { REDIS_PORT } from '../placement';

export const REDIS_IMAGE = 'redis:7.4-alpine';

export interface RedisProps {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly provider?: TerraformProvider;
  /**
   * ACL users, each confined to its key prefix, with its password read from `aclSecretName/<user>`.
   * @default - no ACL users (a Dedicated gateway's own Redis)
   */
  readonly aclUsers?: { readonly user: string; readonly keyPrefix: string }[];
  readonly aclSecretName?: string;
}

/** A single-replica Redis (Deployment + Service) for rate-limit state. */
export class Redis extends Construct {
  public constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const labels = { ...props.labels, 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': props.name };
    const selector = { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': props.name };
    const users = props.aclUsers ?? [];
    // With ACL users, an init step writes users.acl from the mounted passwords; no password ever appears in the plan.
    const aclScript = users
      // Each user: its own keys and channels only, no key listing, nothing dangerous.
      .map(
        (u) =>
          `[ -f /acl-secrets/${u.user} ] && echo "user ${u.user} on >$(cat /acl-secrets/${u.user}) resetkeys ~${u.keyPrefix}* resetchannels &${u.keyPrefix}* -@all +@read +@write +@scripting +@keyspace -@dangerous -scan" >> /acl/users.acl`,
      )
      .join('; ');
    new DeploymentV1(this, 'Deployment', {
      provider: props.provider,
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        replicas: '1',
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: '999', runAsGroup: '999', fsGroup: '999', seccompProfile: { type: 'RuntimeDefault' } },
            ...(users.length > 0 && {
              initContainer: [
                {
                  name: 'acl',
                  image: REDIS_IMAGE,
                  command: ['sh', '-c', `echo "user default off" > /acl/users.acl; ${aclScript}; true`],
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                  volumeMount: [
                    { name: 'acl', mountPath: '/acl' },
                    { name: 'acl-secrets', mountPath: '/acl-secrets', readOnly: true },
                  ],
                },
              ],
            }),
            container: [
              {
                name: 'redis',
                image: REDIS_IMAGE,
                args: users.length > 0 ? ['--aclfile', '/acl/users.acl', '--save', ''] : ['--save', ''],
                port: [{ name: 'redis', containerPort: REDIS_PORT }],
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                readinessProbe: { tcpSocket: [{ port: String(REDIS_PORT) }] },
                volumeMount: [
                  { name: 'data', mountPath: '/data' },
                  ...(users.length > 0 ? [{ name: 'acl', mountPath: '/acl', readOnly: true }] : []),
                ],
              },
            ],
            volume: [
              { name: 'data', emptyDir: { medium: 'Memory' } },
              ...(users.length > 0
                ? [
                  { name: 'acl', emptyDir: { medium: 'Memory' } },
                  { name: 'acl-secrets', secret: { secretName: props.aclSecretName, optional: true } },
                ]
                : []),
            ],
          },
        },
      },
    });
    new ServiceV1(this, 'Service', {
      provider: props.provider,
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: { selector, port: [{ name: 'redis', port: REDIS_PORT, targetPort: String(REDIS_PORT) }] },
    });
  }
}
