/**
 * The HTTPS bench's gateway config, built from the constructs as a user would declare it: one Domain with TLS (the
 * certificate and key in a `kubernetes.io/tls` Secret), one model route with `gpt-4o` on an OpenAI backend (the
 * bundled simulator), the built-in key auth, one consumer granted all. The same process serves the plain port too,
 * which gives the bench its no-TLS figure.
 */
import { Backend } from '../../src';
import { secretEnvName } from '../../src/dataplane/secrets';
import { CONSUMER_KEY_REF, UPSTREAM_KEY_REF } from '../dataplane/configs';
import { type BenchGatewayConfig, benchGatewayConfig } from '../shared/gateway-config';

/** The Domain's name: the certificate covers it (and 127.0.0.1, which the load generators connect to). */
export const TLS_HOST = 'bench.example.com';
const TLS_SECRET = 'bench-tls';
const CERTIFICATE_REF = { secretName: TLS_SECRET, key: 'tls.crt' } as const;
const PRIVATE_KEY_REF = { secretName: TLS_SECRET, key: 'tls.key' } as const;

/**
 * The environment that hands aigw the certificate and key: `aigw serve` reads a Secret key from
 * `$AIGW_SECRET_<NAME>_<KEY>` when its secrets dir has no file for it (local use), and the bench's aigw() passes
 * this process's environment on.
 */
export function tlsSecretEnv(pem: { readonly cert: string; readonly key: string }): Record<string, string> {
  return { [secretEnvName(CERTIFICATE_REF)]: pem.cert, [secretEnvName(PRIVATE_KEY_REF)]: pem.key };
}

/**
 * `upstream`: the simulator's base URL (`http://127.0.0.1:PORT`); `tlsPort`: a free port, written into
 * `listeners.tlsPort` (the synthesized 8443 may be taken; `aigw serve` has no flag for it).
 */
export function buildTlsBenchConfig(upstream: string, tlsPort: number): BenchGatewayConfig {
  const built = benchGatewayConfig(
    {},
    (gateway) => {
      gateway.addDomain('tls', { hostname: TLS_HOST, tls: { certificate: CERTIFICATE_REF, privateKey: PRIVATE_KEY_REF } });
      const backend = new Backend({ provider: 'openai', baseUrl: `${upstream}/v1`, backendName: 'sim-openai', apiKey: UPSTREAM_KEY_REF });
      gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend }] }], policies: { keyAuth: true } });
      gateway.addConsumer('bench', { apiKey: CONSUMER_KEY_REF, grants: 'all' });
    },
    'no rate limits configured',
  );
  built.changes.push(`listeners.tlsPort ${built.config.listeners.tlsPort} → ${tlsPort} (a free port)`);
  built.config.listeners = { ...built.config.listeners, tlsPort };
  return built;
}
