import { Construct } from 'constructs';
import { attachToGateway } from './attach';
import type { DistributiveOmit } from './distributive-omit';
import type { AiGateway } from './gateway';
import { toK8sName } from './names';
import type { SecretRef } from './secret-ref';

export type ServiceSourceProps =
  | { readonly gateway: AiGateway; readonly kind: 'in-cluster'; /** @default - the construct id */ readonly sourceName?: string }
  | {
    readonly gateway: AiGateway;
    readonly kind: 'kubeconfig';
    /** A kubeconfig for the remote cluster. */
    readonly kubeconfig: SecretRef;
    /** @default - the construct id */
    readonly sourceName?: string;
  };
export type ServiceSourceOptions = DistributiveOmit<ServiceSourceProps, 'gateway'>;

/** A Kubernetes cluster the gateway discovers services from: its own, or one reached by kubeconfig. */
export class ServiceSource extends Construct {
  public readonly gateway: AiGateway;
  public readonly sourceName: string;

  public constructor(scope: Construct, id: string, public readonly props: ServiceSourceProps) {
    super(scope, id);
    props = props ?? ({} as typeof props);
    (this as { props: typeof props }).props = props;
    this.gateway = props.gateway;
    this.sourceName = props.sourceName ?? toK8sName(id);
    attachToGateway(this, props, 'serviceSources');
  }

  /** Two sources are the same cluster when both are in-cluster or share a kubeconfig reference. */
  public get clusterKey(): string {
    return this.props.kind === 'in-cluster' ? 'in-cluster' : `kubeconfig:${this.props.kubeconfig?.secretName}/${this.props.kubeconfig?.key}`;
  }
}
