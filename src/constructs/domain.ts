import { Construct } from 'constructs';
import { attachToGateway } from './attach';
import type { AiGateway } from './gateway';
import type { SecretRef } from './secret-ref';

export interface DomainProps {
  readonly gateway: AiGateway;
  /** The published hostname, e.g. `ai.example.com` or `*.example.com`: a DNS name (lowercase RFC 1123 subdomain), never an IP address. */
  readonly hostname: string;
  /** A `kubernetes.io/tls` Secret's certificate and key. @default - plain HTTP only */
  readonly tls?: { readonly certificate: SecretRef; readonly privateKey: SecretRef };
}
export type DomainOptions = Omit<DomainProps, 'gateway'>;

/** A hostname the gateway publishes. Counts toward "published domain names". */
export class Domain extends Construct {
  public readonly gateway: AiGateway;

  public constructor(scope: Construct, id: string, public readonly props: DomainProps) {
    super(scope, id);
    props = props ?? ({} as typeof props);
    (this as { props: typeof props }).props = props;
    this.gateway = props.gateway;
    attachToGateway(this, props, 'domains');
  }

  public get hostname(): string {
    return this.props.hostname;
  }
}
