import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { type ConfigShard, encodeConfigShards, type GatewayConfig } from '../../specs';

export interface ConfigShardsProps {
  readonly config: GatewayConfig;
  readonly namespace: string;
  readonly nameOf: (index: number) => string;
  readonly labels: Record<string, string>;
  readonly provider?: TerraformProvider;
}

/** The config as ConfigMaps of at most 1 MiB each: their number grows with the config's size, not its route count. */
export class ConfigShards extends Construct {
  public readonly shards: ConfigShard[];
  public readonly names: string[];

  public constructor(scope: Construct, id: string, props: ConfigShardsProps) {
    super(scope, id);
    this.shards = encodeConfigShards(props.config);
    this.names = this.shards.map((_, i) => props.nameOf(i));
    this.shards.forEach((shard, i) => {
      new ConfigMapV1(this, `Shard${i}`, {
        provider: props.provider,
        metadata: {
          name: this.names[i],
          namespace: props.namespace,
          labels: props.labels,
          annotations: { 'aigw.dev/config-hash': shard.meta.hash, 'aigw.dev/shard': `${i + 1}/${shard.meta.count}` },
        },
        data: shard.data,
        binaryData: shard.binaryData,
      });
    });
  }
}
