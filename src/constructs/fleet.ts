import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { DEFAULT_SERVERLESS_SCALING, type Edition, IMAGE_REPOSITORY } from '../specs';
import { AppRegistry } from './app-registry';
import { AiGateway, type AiGatewayProps } from './gateway';
import { toK8sName } from './names';

/** Autoscaling of the fleet's Serverless gateways (the user does not configure a Serverless gateway itself). */
export interface ServerlessDefaultsProps {
  /** @default 2 */
  readonly minReplicas?: number;
  /** @default 20 */
  readonly maxReplicas?: number;
  /** @default 70 */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * The floating image tag Serverless gateways follow (pulled `Always`: automatic updates). Also their
   * `app.kubernetes.io/version` label: at most 63 characters of `[A-Za-z0-9_.-]`, starting and ending
   * with a letter or digit.
   * @default 'stable'
   */
  readonly imageChannel?: string;
}

export interface AiGatewayFleetProps {
  /** The region the fleet's gateways count against (at most 100 gateways per region in the App). */
  readonly region: string;
  /**
   * The fleet's namespace: Serverless gateways and the shared middleware live here. Unique in its
   * cluster (its Kubernetes provider); stacks for other clusters may reuse it.
   * @default - `aigw-<id>`
   */
  readonly namespace?: string;
  /** @default - see ServerlessDefaultsProps */
  readonly serverless?: ServerlessDefaultsProps;
  /**
   * The data-plane image repository, without tag: an optional registry `host[:port]`, then lowercase
   * `/`-separated path components.
   * @default 'ghcr.io/cdktf-ai-gateway/aigw'
   */
  readonly imageRepository?: string;
  /** The IngressClass of the shared endpoint for Serverless gateways: its name, a lowercase RFC 1123 subdomain. @default - the cluster default */
  readonly ingressClassName?: string;
  /**
   * A Secret with one key per Serverless gateway (the key is the gateway name) holding the password
   * of its Redis ACL user on the shared Redis.
   * @default 'aigw-redis-acl'
   */
  readonly redisAclSecretName?: string;
  /** The Kubernetes provider to create resources with. The fleet never creates one. @default - the stack's default provider */
  readonly provider?: TerraformProvider;
}

/** A fleet of AI gateways in one region, sharing a namespace, an endpoint and middleware for its Serverless gateways. */
export class AiGatewayFleet extends Construct {
  /** The region the fleet's gateways count against. */
  public readonly region: string;
  /** The fleet's namespace. @default - `aigw-<id>` */
  public readonly namespace: string;
  /** Autoscaling and image channel of the fleet's Serverless gateways. @default - see ServerlessDefaultsProps */
  public readonly serverless: Required<ServerlessDefaultsProps>;
  /** The data-plane image repository, without tag. @default 'ghcr.io/cdktf-ai-gateway/aigw' */
  public readonly imageRepository: string;
  /** The IngressClass of the shared endpoint for Serverless gateways. @default - the cluster default */
  public readonly ingressClassName?: string;
  /** The Secret with the Redis ACL passwords of the Serverless gateways. @default 'aigw-redis-acl' */
  public readonly redisAclSecretName: string;
  /** The Kubernetes provider resources are created with. @default - the stack's default provider */
  public readonly provider?: TerraformProvider;
  private readonly _gateways: AiGateway[] = [];

  public constructor(scope: Construct, id: string, props: AiGatewayFleetProps) {
    super(scope, id);
    // Plain-JS callers may pass nothing: record it, and let the rules say what is missing.
    const p = props ?? ({} as AiGatewayFleetProps);
    this.region = p.region;
    this.namespace = p.namespace ?? `aigw-${toK8sName(id)}`;
    this.serverless = {
      minReplicas: p.serverless?.minReplicas ?? DEFAULT_SERVERLESS_SCALING.minReplicas,
      maxReplicas: p.serverless?.maxReplicas ?? DEFAULT_SERVERLESS_SCALING.maxReplicas,
      targetCpuUtilizationPercent: p.serverless?.targetCpuUtilizationPercent ?? DEFAULT_SERVERLESS_SCALING.targetCpuUtilizationPercent,
      imageChannel: p.serverless?.imageChannel ?? 'stable',
    };
    this.imageRepository = p.imageRepository ?? IMAGE_REPOSITORY;
    this.ingressClassName = p.ingressClassName;
    this.redisAclSecretName = p.redisAclSecretName ?? 'aigw-redis-acl';
    this.provider = p.provider;
    AppRegistry.of(this).registerFleet(this);
  }

  public get gateways(): readonly AiGateway[] {
    return this._gateways;
  }

  public addGateway<E extends Edition>(id: string, props: AiGatewayProps & { readonly edition: E }): AiGateway<E> {
    return new AiGateway<E>(this, id, props);
  }

  /** @internal */
  public _attachGateway(gateway: AiGateway): void {
    this._gateways.push(gateway);
  }
}
