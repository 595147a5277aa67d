import { Construct } from 'constructs';
import { attachToGateway } from './attach';
import type { DistributiveOmit } from './distributive-omit';
import type { AiGateway } from './gateway';
import { toK8sName } from './names';
import type { ServiceSource } from './service-source';

interface UpstreamServiceBaseProps {
  /** The gateway that uses this service. */
  readonly gateway: AiGateway;
  /** @default - the construct id */
  readonly serviceName?: string;
}

/** Fixed addresses; each counts as one service node. */
export interface StaticUpstreamServiceProps extends UpstreamServiceBaseProps {
  readonly kind: 'static';
  /** `host:port` each. */
  readonly addresses: string[];
}

/** A DNS name, resolved at run time; counts as one node. */
export interface DnsUpstreamServiceProps extends UpstreamServiceBaseProps {
  readonly kind: 'dns';
  readonly host: string;
  readonly port: number;
}

/** A Kubernetes Service discovered from a `ServiceSource`; counts as one node. */
export interface KubernetesUpstreamServiceProps extends UpstreamServiceBaseProps {
  readonly kind: 'kubernetes';
  readonly source: ServiceSource;
  readonly name: string;
  readonly namespace: string;
  readonly port: number;
}

export type UpstreamServiceProps = StaticUpstreamServiceProps | DnsUpstreamServiceProps | KubernetesUpstreamServiceProps;
export type UpstreamServiceOptions = DistributiveOmit<UpstreamServiceProps, 'gateway'>;

/** An upstream the gateway's backends, agents or MCP servers run on. Counts toward "associated services". */
export class UpstreamService extends Construct {
  public readonly gateway: AiGateway;
  public readonly serviceName: string;

  public constructor(scope: Construct, id: string, public readonly props: UpstreamServiceProps) {
    super(scope, id);
    props = props ?? ({} as typeof props);
    (this as { props: typeof props }).props = props;
    this.gateway = props.gateway;
    this.serviceName = props.serviceName ?? toK8sName(id);
    attachToGateway(this, props, 'services');
  }

  /** Service nodes this service counts for (see the "service nodes" quota). */
  public get nodeCount(): number {
    return this.props.kind === 'static' ? (Array.isArray(this.props.addresses) ? this.props.addresses.length : 1) : 1;
  }

  /** The base URL a backend on this service uses. */
  public url(scheme: 'http' | 'https' = 'http', basePath = ''): string {
    const p = this.props;
    const authority =
      p.kind === 'static' ? (p.addresses ?? [])[0] ?? 'invalid:0' : p.kind === 'dns' ? `${p.host}:${p.port}` : `${p.name}.${p.namespace}.svc:${p.port}`;
    return `${scheme}://${authority}${basePath}`;
  }
}
