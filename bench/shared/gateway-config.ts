/**
 * A bench's gateway config, built from the constructs as a user would declare it, then changed only
 * where the bench must measure the process and not a limit: every change is listed for the report.
 */
import { rmSync } from 'fs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { type AiGateway, AiGatewayFleet, type DedicatedGatewayProps } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import type { GatewayConfig } from '../../src/specs';

export interface BenchGatewayConfig {
  readonly config: GatewayConfig;
  /** What was changed after synthesis, for the report. */
  readonly changes: string[];
}

/**
 * A Dedicated aigw.large.x4 gateway with `props`, its children declared by `declare`, synthesized;
 * then maxQps lifted and Redis removed. `noRedisBecause` says why the bench needs no Redis
 * (e.g. 'no rate limits configured').
 */
export function benchGatewayConfig(props: Omit<DedicatedGatewayProps, 'edition' | 'spec'>, declare: (gateway: AiGateway<'dedicated'>) => void, noRedisBecause: string): BenchGatewayConfig {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'bench');
  new KubernetesProvider(stack, 'k8s', {});
  const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'bench' });
  const gateway = fleet.addGateway('gw', { edition: 'dedicated', spec: 'aigw.large.x4', ...props });
  declare(gateway);
  const synthesized = synthesizedGatewayConfig(gateway);
  // Testing.app() leaves a cdktf.outdir.* folder in the system temp dir: the bench removes it.
  rmSync(app.outdir, { recursive: true, force: true });
  const config = structuredClone(synthesized.config);
  const changes: string[] = [];
  // The spec's per-replica ceiling would measure the ceiling, not the process (as in the data-plane bench).
  changes.push(`limits.maxQps ${config.limits.maxQps} → 1000000`);
  config.limits = { ...config.limits, maxQps: 1_000_000 };
  // Nothing here has a rate limit, so nothing needs the Dedicated gateway's Redis.
  if (config.redis) changes.push(`redis removed (${noRedisBecause})`);
  delete (config as { redis?: unknown }).redis;
  return { config, changes };
}
