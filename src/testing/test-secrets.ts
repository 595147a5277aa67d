import { randomBytes } from 'crypto';
import { secretRefsIn } from '../cli/dev-rewrite';
import type { SecretSource } from '../dataplane';
import type { GatewayConfig, SecretRef } from '../specs';

const refKey = (ref: SecretRef) => `${ref.secretName}/${ref.key}`;

/**
 * The secrets of a test gateway: what the test gives (`secrets` by `secretName/key`, `consumers` by
 * consumer name), and a dummy for every other secret the config references (upstream keys, agent
 * and MCP tokens: the test points those upstreams at a simulator, or does not call them). Consumer
 * API keys are the exception: the test sends them, so it must choose them; a missing one throws,
 * naming every consumer without a key and how to give it.
 */
export function testSecrets(
  config: GatewayConfig,
  secrets: Readonly<Record<string, string>>,
  consumers: Readonly<Record<string, string>>,
): SecretSource {
  const values = new Map(Object.entries(secrets));
  const gateway = config.metadata.name;
  const missing: string[] = [];
  for (const name of Object.keys(consumers)) {
    if (!config.consumers.some((c) => c.name === name)) {
      const known = config.consumers.map((c) => `'${c.name}'`).join(', ') || 'none';
      throw new Error(`startTestGateway: consumers names '${name}', which is no consumer of gateway '${gateway}' (its consumers: ${known}).`);
    }
  }
  for (const consumer of config.consumers) {
    const key = refKey(consumer.apiKey);
    const given = consumers[consumer.name];
    if (given !== undefined) values.set(key, given);
    else if (!values.has(key)) missing.push(`consumer '${consumer.name}': give secrets['${key}'] or consumers: { '${consumer.name}': '…' }`);
  }
  // A TLS Domain's certificate and key are PEMs no dummy can stand for (a Serverless gateway's are the Ingress's, never read).
  const tlsDomains = config.metadata.edition === 'dedicated' ? config.domains.filter((d) => d.tls) : [];
  const missingPems = tlsDomains.flatMap((d) => [d.tls!.certificate, d.tls!.privateKey].filter((ref) => !values.has(refKey(ref))).map((ref) => `domain '${d.host}': give secrets['${refKey(ref)}'] (a PEM)`));
  if (missingPems.length > 0) {
    throw new Error(`startTestGateway: gateway '${gateway}' serves Domains with TLS whose certificate or key is not given:\n  ${missingPems.join('\n  ')}`);
  }
  if (missing.length > 0) {
    throw new Error(`startTestGateway: gateway '${gateway}' has consumers without an API key (the key a test sends, so the test chooses it):\n  ${missing.join('\n  ')}`);
  }
  // The MCP session key must be at least 32 bytes: a fresh random one, as any key serves one in-process gateway.
  const sessionKey = config.mcp ? refKey(config.mcp.sessionKey) : undefined;
  if (sessionKey && !values.has(sessionKey)) values.set(sessionKey, randomBytes(32).toString('hex'));
  // An extension's secret (hmac-auth's shared secret) may have to be long: its dummy is 64 characters.
  const extensionSecrets = new Set(config.extensions.flatMap((e) => Object.values(e.secrets ?? {}).map(refKey)));
  for (const ref of secretRefsIn(config)) {
    const key = refKey(ref);
    const dummy = `test-dummy-${ref.secretName}-${ref.key}`;
    if (!values.has(key)) values.set(key, extensionSecrets.has(key) ? dummy.padEnd(64, '0') : dummy);
  }
  return {
    read: (ref) => values.get(refKey(ref)),
    describe: (ref) => `secrets['${refKey(ref)}'] of startTestGateway`,
  };
}
