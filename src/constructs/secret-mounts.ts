import type { GatewayConfig, SecretRef } from '../specs';

function isSecretRef(x: unknown): x is SecretRef {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const keys = Object.keys(x);
  return keys.length === 2 && typeof (x as SecretRef).secretName === 'string' && typeof (x as SecretRef).key === 'string';
}

/** Every Secret the config references, with the keys used of each: each Secret is mounted once. */
export function distinctSecrets(config: GatewayConfig): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const walk = (node: unknown): void => {
    if (isSecretRef(node)) {
      const keys = out.get(node.secretName) ?? new Set<string>();
      keys.add(node.key);
      out.set(node.secretName, keys);
    } else if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (node !== null && typeof node === 'object') {
      Object.values(node).forEach(walk);
    }
  };
  // Only the parts that can carry SecretRefs: free-form JSON (tool schemas, extension config) is not walked.
  const { consumers, backends, agentRoutes, mcpServers, mcp, admin, domains, serviceSources, redis, extensions } = config;
  const extensionSecrets = extensions.map((e) => e.secrets);
  walk([consumers, backends, agentRoutes, mcpServers.map((m) => m.upstream), mcp, admin, domains, serviceSources, redis, extensionSecrets]);
  return out;
}
