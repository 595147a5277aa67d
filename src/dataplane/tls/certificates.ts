import { X509Certificate } from 'crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'tls';
import type { GatewayConfig, SecretRef } from '../../specs';

/**
 * The TLS settings every handshake gets: TLS 1.2 and 1.3 only, forward-secret AEAD suites for 1.2
 * (Mozilla's "intermediate" list; 1.3 suites are all AEAD and OpenSSL's defaults are kept), the
 * server's order, and session resumption by tickets (Node's default, keys rotated per process).
 */
export const TLS_SETTINGS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
  /** Seconds a resumed session stays valid. */
  sessionTimeout: 300,
} as const satisfies SecureContextOptions;

/** One Domain's certificate, ready for SNI. */
interface DomainCertificate {
  /** The Domain's host as configured: `api.example.com`, `*.example.com` or `*`. */
  readonly host: string;
  readonly options: SecureContextOptions;
  readonly context: SecureContext;
}

/**
 * The certificates of a config's TLS Domains, chosen by SNI: the exact name first, then a wildcard
 * of one label (`*.example.com` covers `a.example.com`, not `a.b.example.com` nor `example.com`,
 * as RFC 6125 §6.4.3 has it), then a `*` Domain. A client that sends no SNI (an IP address, as in
 * `https://127.0.0.1:PORT`) or a name no Domain has gets the first TLS Domain's certificate, as
 * nginx's default server does, and its request is then routed by Host like any other.
 */
export class TlsCertificates {
  /**
   * The TLS Domains' certificates, read through `secret`; undefined when the config has none (or
   * is Serverless: the fleet's shared Ingress terminates its TLS, and the data plane stays plain
   * behind it). An unreadable or mismatched certificate is a problem naming the Domain and Secret.
   */
  public static compile(
    config: GatewayConfig,
    secret: (ref: SecretRef, where: string) => string | undefined,
    problems: string[],
  ): TlsCertificates | undefined {
    if (config.metadata.edition !== 'dedicated') return undefined;
    const certs: DomainCertificate[] = [];
    const warnings: string[] = [];
    config.domains.forEach((domain, i) => {
      if (!domain.tls) return;
      const where = `domains[${i}] (${domain.host})`;
      const cert = secret(domain.tls.certificate, `${where}.tls.certificate`);
      const key = secret(domain.tls.privateKey, `${where}.tls.privateKey`);
      if (cert === undefined || key === undefined) return; // the secret reader named what is missing
      const named = `secret ${ref(domain.tls.certificate)} and key ${ref(domain.tls.privateKey)}`;
      const x509 = parseCertificate(cert);
      if (typeof x509 === 'string') {
        problems.push(`${where}.tls: secret ${ref(domain.tls.certificate)} ${x509}`);
        return;
      }
      const warning = certificateWarning(x509, domain.host);
      if (warning) warnings.push(`${where}.tls: secret ${ref(domain.tls.certificate)}: ${warning}`);
      const options: SecureContextOptions = { ...TLS_SETTINGS, cert, key };
      try {
        certs.push({ host: domain.host, options, context: createSecureContext(options) });
      } catch (e) {
        // OpenSSL's words: "key values mismatch", "bad decrypt", "no start line"…
        problems.push(`${where}.tls: ${named} cannot be used: ${(e as Error).message}. Give a PEM certificate (chain) and its unencrypted PEM private key.`);
      }
    });
    return certs.length === 0 ? undefined : new TlsCertificates(certs, warnings);
  }

  private readonly exact = new Map<string, DomainCertificate>();
  private readonly wildcard = new Map<string, DomainCertificate>();
  private readonly any: DomainCertificate | undefined;

  private constructor(
    private readonly all: readonly DomainCertificate[],
    /** What serves but will fail clients that check (expired, or for other names): logged at load, never refused, as nginx and Envoy serve them too. */
    public readonly warnings: readonly string[],
  ) {
    for (const cert of all) {
      if (cert.host === '*') continue;
      if (cert.host.startsWith('*.')) this.wildcard.set(cert.host.slice(2), cert);
      else this.exact.set(cert.host, cert);
    }
    this.any = all.find((c) => c.host === '*');
  }

  /** The options of the certificate a client without SNI gets (the server's default context). */
  public get defaultOptions(): SecureContextOptions {
    return this.all[0].options;
  }

  /** The hosts served, in config order, for logs. */
  public get hosts(): string[] {
    return this.all.map((c) => c.host);
  }

  /** The context for a ClientHello's server name. */
  public select(serverName: string): SecureContext {
    const name = serverName.toLowerCase();
    const exact = this.exact.get(name);
    if (exact) return exact.context;
    const dot = name.indexOf('.');
    const wildcard = dot > 0 ? this.wildcard.get(name.slice(dot + 1)) : undefined;
    return (wildcard ?? this.any ?? this.all[0]).context;
  }
}

function ref(r: SecretRef): string {
  return `${r.secretName}/${r.key}`;
}

/** The leaf certificate of a PEM chain, or why it is not one. */
function parseCertificate(pem: string): X509Certificate | string {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    return `is not a PEM certificate (${(e as Error).message}). Give the certificate chain in PEM ("-----BEGIN CERTIFICATE-----"), leaf first.`;
  }
}

/** What a client that checks will refuse: an expired certificate, or one for other names. */
function certificateWarning(x509: X509Certificate, host: string): string | undefined {
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() < Date.now()) return `the certificate expired on ${notAfter.toISOString()}: clients will refuse it. Renew it (cert-manager renews before expiry) and update the Secret.`;
  if (host === '*') return undefined;
  // A wildcard Domain needs a certificate that covers its names: the same wildcard (checkHost matches it as a client would).
  const probe = host.startsWith('*.') ? `aigw-sni-probe.${host.slice(2)}` : host;
  if (x509.checkHost(probe) === undefined) {
    return `the certificate does not cover ${host} (it names ${x509.subjectAltName ?? x509.subject}): clients that check the name will refuse it. Issue one whose subjectAltName includes ${host}.`;
  }
  return undefined;
}
