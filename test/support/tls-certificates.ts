import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** A self-signed certificate and its key, in PEM: the certificate is also the CA a client trusts. */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

/**
 * A self-signed P-256 certificate for `names` (DNS names, wildcards included; `127.0.0.1` is added as
 * an IP SAN so a client connecting by address verifies it too), made with the openssl CLI, as an
 * operator (or cert-manager) would. The temporary files are removed before it returns.
 */
export function selfSignedCertificate(commonName: string, names: readonly string[] = [commonName], days = 2): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-cert-'));
  try {
    const keyFile = join(dir, 'tls.key');
    const certFile = join(dir, 'tls.crt');
    const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', String(days), '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=${san}`],
      { stdio: 'pipe' },
    );
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
