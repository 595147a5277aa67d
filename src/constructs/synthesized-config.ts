import { Testing, TerraformStack } from 'cdktf';
import { decodeConfigShards, type GatewayConfig } from '../specs';
import type { AiGateway } from './gateway';
import { fleetName, placementOf } from './placement';

interface ConfigMapJson {
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly data?: Record<string, string>;
  readonly binary_data?: Record<string, string>;
}

/**
 * The `GatewayConfig` a gateway synthesizes, reassembled from its ConfigMap shards exactly as the
 * data plane reads them. Synthesizes the gateway's stack with validations on (throws on violations).
 */
export function synthesizedGatewayConfig(gateway: AiGateway): { config: GatewayConfig; hash: string } {
  const stack = TerraformStack.of(gateway);
  const tf = JSON.parse(Testing.synth(stack, true)) as { resource?: Record<string, Record<string, ConfigMapJson>> };
  const placement = placementOf(gateway);
  const files = new Map<string, Buffer>();
  for (const cm of Object.values(tf.resource?.kubernetes_config_map_v1 ?? {})) {
    const labels = cm.metadata.labels ?? {};
    if (labels['app.kubernetes.io/part-of'] !== fleetName(gateway.fleet) || !cm.metadata.name.startsWith(`${placement.workloadName}-config-`)) continue;
    for (const [k, v] of Object.entries(cm.data ?? {})) files.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(cm.binary_data ?? {})) files.set(k, Buffer.from(v, 'base64'));
  }
  const decoded = decodeConfigShards(files);
  if (!decoded.ok) throw new Error(`Gateway '${gateway.gatewayName}' (${gateway.node.path}): ${decoded.reason}`);
  return { config: decoded.config, hash: decoded.hash };
}
