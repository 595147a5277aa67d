import { readdirSync, readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { run } from '../support/run';
import { tempDirs } from '../support/temp-dirs';

/**
 * A consumer's-eye test: pack the library as npm would publish it, install the tarball into a
 * fresh cdktf app (with the peer dependencies a user installs), type-check the app against the
 * published .d.ts files, and synthesize it.
 */
const root = resolve(__dirname, '..', '..');
// The tarball and the installed app: about 190 MB.
const tempDir = tempDirs();

const MAIN_TS = `
import { App, TerraformStack } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { AiGatewayFleet, Backend, type CapacitySpec } from 'cdktf-ai-gateway';

const app = new App({ outdir: 'cdktf.out' });
const stack = new TerraformStack(app, 'consumer');
new KubernetesProvider(stack, 'k8s', {});
const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'eu-central-1' });
const spec: CapacitySpec = 'aigw.medium.x1';
const gw = fleet.addGateway('main', { edition: 'dedicated', spec });
const route = gw.addModelRoute('chat', { models: [{ name: 'claude-sonnet-4', targets: [{ backend: Backend.anthropic({ apiKey: { secretName: 'llm', key: 'anthropic' } }) }] }] });
gw.addConsumer('app', { apiKey: { secretName: 'keys', key: 'app' }, grants: { routes: [route] } });
app.synth();
`;

test('the packed library installs into a fresh cdktf app, type-checks and synthesizes', () => {
  const work = tempDir('aigw-consumer-');
  run('npx', ['tsc', '-p', 'tsconfig.json'], root);
  run('npm', ['pack', '--pack-destination', work, '--silent'], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;

  const appDir = join(work, 'app');
  run('mkdir', ['-p', appDir], work);
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, version: '0.0.0' }));
  writeFileSync(join(appDir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'node main.js' }));
  writeFileSync(
    join(appDir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, skipLibCheck: true, types: [] }, files: ['main.ts'] }),
  );
  writeFileSync(join(appDir, 'main.ts'), MAIN_TS);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const peers = ['cdktf', 'constructs', '@cdktf/provider-kubernetes'].map((p) => `${p}@${pkg.devDependencies[p]}`);
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(work, tarball), ...peers], appDir);

  // Type-check against the published declarations (the repo's TypeScript, the app's node_modules).
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], appDir);
  run(process.execPath, ['main.js'], appDir);

  const out = JSON.parse(readFileSync(join(appDir, 'cdktf.out', 'stacks', 'consumer', 'cdk.tf.json'), 'utf8'));
  const deployments = Object.values(out.resource.kubernetes_deployment_v1) as any[];
  expect(deployments.map((d) => d.metadata.name)).toContain('aigw-main');
  // aigw.medium.x1: 12,000 QPS at POD_CAPACITY.qps 1,250 a pod (160,000 connections would need 8).
  expect(deployments.find((d) => d.metadata.name === 'aigw-main').spec.replicas).toBe('10');
}, 300_000);
