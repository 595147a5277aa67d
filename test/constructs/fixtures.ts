import { readFileSync } from 'fs';
import { join } from 'path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { AiGatewayFleet, type AiGatewayFleetProps, Backend } from '../../src';
import { decodeConfigShards, type GatewayConfig } from '../../src/specs';
import { tempDirs } from '../support/temp-dirs';

export const openAi = (): Backend => Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });

/** A stack with a provider and one fleet, in an App whose lock file is off (no cdktf.json above the tests). */
export function fleetStack(props: Partial<AiGatewayFleetProps> = {}, app: App = Testing.app()) {
  const stack = new TerraformStack(app, `stack${app.node.children.length}`);
  new KubernetesProvider(stack, 'k8s', {});
  const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou', ...props });
  return { app, stack, fleet };
}

/** Synthesizes with validations on; returns the Terraform JSON. */
export function synth(stack: TerraformStack): TerraformJson {
  return JSON.parse(Testing.synth(stack, true)) as TerraformJson;
}

/** The message of the error synth throws (fails the test when synth passes). */
export function synthError(stack: TerraformStack): string {
  try {
    Testing.synth(stack, true);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected synth to fail, but it passed');
}

/** Large cases: a real `app.synth()` into a temp folder (Testing.synth is quadratic in the tree size). */
export function appSynth(app: App, stackName: string): TerraformJson {
  app.synth();
  return JSON.parse(readFileSync(join(app.outdir, 'stacks', stackName, 'cdk.tf.json'), 'utf8')) as TerraformJson;
}

// The big apps' outdirs: removed after each file that imports these fixtures.
const tempDir = tempDirs();

export function bigApp(): App {
  return new App({ outdir: tempDir('aigw-test-'), skipValidation: false });
}

export function appSynthError(app: App): string {
  try {
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected synth to fail, but it passed');
}

export interface TerraformJson {
  resource: Record<string, Record<string, any>>;
}

export function resourcesOf(tf: TerraformJson, type: string): any[] {
  return Object.values(tf.resource?.[type] ?? {});
}

/** The namespace name a resource lives in, following its reference to the Namespace resource. */
export function namespaceOf(tf: TerraformJson, resource: { metadata: { namespace: string } }): string {
  const ref = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(resource.metadata.namespace);
  if (!ref) throw new Error(`namespace is not a reference to a Namespace resource: ${resource.metadata.namespace}`);
  return tf.resource.kubernetes_namespace_v1[ref[1]].metadata.name;
}

export function resourceCount(tf: TerraformJson): number {
  return Object.values(tf.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
}

/** Reassembles a gateway's config from its synthesized ConfigMaps, as the data plane would from the mount. */
export function configOf(tf: TerraformJson, gatewayName: string): GatewayConfig {
  const files = new Map<string, Buffer>();
  for (const cm of resourcesOf(tf, 'kubernetes_config_map_v1')) {
    if (cm.metadata.labels?.['app.kubernetes.io/instance'] !== gatewayName) continue;
    for (const [k, v] of Object.entries(cm.data ?? {})) files.set(k, Buffer.from(v as string, 'utf8'));
    for (const [k, v] of Object.entries(cm.binary_data ?? {})) files.set(k, Buffer.from(v as string, 'base64'));
  }
  const decoded = decodeConfigShards(files);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.config;
}
