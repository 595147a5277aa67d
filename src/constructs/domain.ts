import type { Construct } from 'constructs';
import type { GatewayConfig } from '../specs';
import type { AiGateway } from './gateway';
import { GatewayChild } from './gateway-child';
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
export class Domain extends GatewayChild<DomainProps> {
  /** The published hostname. */
  public readonly hostname: string;
  /** A `kubernetes.io/tls` Secret's certificate and key. @default - plain HTTP only */
  public readonly tls?: { readonly certificate: SecretRef; readonly privateKey: SecretRef };

  public constructor(scope: Construct, id: string, props: DomainProps) {
    super(scope, id, props, 'domains');
    this.hostname = this.props.hostname;
    this.tls = this.props.tls;
  }

  /** @internal The domain's entry in `domains`. */
  public _toConfig(): GatewayConfig['domains'][number] {
    return {
      host: this.hostname,
      ...(this.tls && { tls: { certificate: { ...this.tls.certificate }, privateKey: { ...this.tls.privateKey } } }),
    };
  }
}
