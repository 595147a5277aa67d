import type { Construct } from 'constructs';
import type { GatewayConfig } from '../specs';
import type { DistributiveOmit } from './distributive-omit';
import type { AiGateway } from './gateway';
import { GatewayChild } from './gateway-child';
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
export class ServiceSource extends GatewayChild<ServiceSourceProps> {
  /** The gateway's own cluster, or one reached by kubeconfig. */
  public readonly kind: ServiceSourceProps['kind'];
  /** The source's name in the config. @default - the construct id */
  public readonly sourceName: string;
  /** Kubeconfig: the remote cluster's kubeconfig. */
  public readonly kubeconfig?: SecretRef;

  public constructor(scope: Construct, id: string, props: ServiceSourceProps) {
    super(scope, id, props, 'serviceSources');
    const p = this.props as { readonly kind?: ServiceSourceProps['kind']; readonly sourceName?: string; readonly kubeconfig?: SecretRef };
    this.kind = p.kind as ServiceSourceProps['kind'];
    this.sourceName = p.sourceName ?? toK8sName(id);
    this.kubeconfig = p.kubeconfig;
  }

  /** Two sources are the same cluster when both are in-cluster or share a kubeconfig reference. */
  public get clusterKey(): string {
    return this.kind === 'in-cluster' ? 'in-cluster' : `kubeconfig:${this.kubeconfig?.secretName}/${this.kubeconfig?.key}`;
  }

  /** @internal The source's entry in `serviceSources`. */
  public _toConfig(): GatewayConfig['serviceSources'][number] {
    return this.kind === 'in-cluster'
      ? { name: this.sourceName, kind: 'in-cluster' }
      : { name: this.sourceName, kind: 'kubeconfig', kubeconfig: { ...this.kubeconfig! } };
  }
}
