import { describe, finding } from '../violation';
import type { Rule } from './context';

export const domainTlsRule: Rule = {
  id: 'domain-tls',
  description: "A Serverless gateway's Domain TLS is one kubernetes.io/tls Secret (certificate and key in the same Secret): the shared Ingress terminates it.",
  level: 'error',
  errors: { suppressible: false, because: 'the shared Ingress takes one kubernetes.io/tls Secret per host and cannot express two' },
  check: (ctx) =>
    ctx.gateways
      .filter((g) => g.edition === 'serverless')
      .flatMap((g) =>
        g.children.domains.flatMap((d) => {
          const tls = d.tls;
          if (!tls || tls.certificate?.secretName === tls.privateKey?.secretName) return [];
          return [
            finding(
              d,
              `${describe('Domain', d.hostname, d)}: certificate (${tls.certificate?.secretName}) and privateKey (${tls.privateKey?.secretName}) are in different Secrets, but the shared endpoint of a Serverless gateway takes one kubernetes.io/tls Secret. Put both in one Secret (keys tls.crt and tls.key).`,
            ),
          ];
        }),
      ),
};
