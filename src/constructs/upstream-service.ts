import type { Construct } from 'constructs';
import type { GatewayConfig } from '../specs';
import type { DistributiveOmit } from './distributive-omit';
import type { AiGateway } from './gateway';
import { GatewayChild } from './gateway-child';
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

type AnyServiceProps = Partial<Omit<StaticUpstreamServiceProps, 'kind'> & Omit<DnsUpstreamServiceProps, 'kind'> & Omit<KubernetesUpstreamServiceProps, 'kind'>> & { readonly kind?: UpstreamServiceProps['kind'] };

/** An upstream the gateway's backends, agents or MCP servers run on. Counts toward "associated services". */
export class UpstreamService extends GatewayChild<UpstreamServiceProps> {
  /** Fixed addresses, a DNS name, or a Kubernetes Service. */
  public readonly kind: UpstreamServiceProps['kind'];
  /** The service's name in the config. @default - the construct id */
  public readonly serviceName: string;
  /** Static: the `host:port` addresses. */
  public readonly addresses?: readonly string[];
  /** DNS: the host name. */
  public readonly host?: string;
  /** DNS and Kubernetes: the port. */
  public readonly port?: number;
  /** Kubernetes: the service source it is discovered from. */
  public readonly source?: ServiceSource;
  /** Kubernetes: the Service's name. */
  public readonly name?: string;
  /** Kubernetes: the Service's namespace. */
  public readonly namespace?: string;

  public constructor(scope: Construct, id: string, props: UpstreamServiceProps) {
    super(scope, id, props, 'services');
    const p = this.props as AnyServiceProps;
    this.kind = p.kind as UpstreamServiceProps['kind'];
    this.serviceName = p.serviceName ?? toK8sName(id);
    this.addresses = p.addresses;
    this.host = p.host;
    this.port = p.port;
    this.source = p.source;
    this.name = p.name;
    this.namespace = p.namespace;
  }

  /** Service nodes this service counts for (see the "service nodes" quota). */
  public get nodeCount(): number {
    return this.kind === 'static' ? (Array.isArray(this.addresses) ? this.addresses.length : 1) : 1;
  }

  /** The base URL a backend on this service uses. */
  public url(scheme: 'http' | 'https' = 'http', basePath = ''): string {
    const authority =
      this.kind === 'static' ? (this.addresses ?? [])[0] ?? 'invalid:0' : this.kind === 'dns' ? `${this.host}:${this.port}` : `${this.name}.${this.namespace}.svc:${this.port}`;
    return `${scheme}://${authority}${basePath}`;
  }

  /** @internal The service's entry in `services`. */
  public _toConfig(): GatewayConfig['services'][number] {
    if (this.kind === 'static') return { name: this.serviceName, kind: 'static', addresses: [...(this.addresses as string[])] };
    if (this.kind === 'dns') return { name: this.serviceName, kind: 'dns', host: this.host as string, port: this.port as number };
    return { name: this.serviceName, kind: 'kubernetes', serviceName: this.name as string, namespace: this.namespace as string, port: this.port as number, source: this.source!.sourceName };
  }
}
