import { execFileSync } from 'child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { loadBundle } from '../../src/dataplane/extensions/bundle';
import { decodeConfigShards } from '../../src/specs';
import { run } from '../support/run';
import { tempDirs } from '../support/temp-dirs';

/**
 * The issue's contract for custom extensions, against the packed tarball, in an app made from cdktf's TypeScript
 * template: its module, as the issue writes it, imports `cdktf-ai-gateway/extensions` (types included, under the
 * template's node10 resolution (typesVersions) and under node16's (the exports map)), through a `node_modules/cdktf-ai-gateway` that is
 * a symlink; `modulePath` is an absolute path to the `.ts` file; synth ships the bundle in the gateway's config.
 *
 * Offline: the tarball is extracted into a store whose other packages are this repo's (symlinked), and the app links to it.
 */
const root = resolve(__dirname, '..', '..');
const template = join(root, 'node_modules', 'cdktf-cli', 'bundle', 'templates', 'typescript');
const tempDir = tempDirs();

const TAGGER_TS = `import { defineExtension } from 'cdktf-ai-gateway/extensions';
export default defineExtension({
  name: 'tagger',
  onRequest(ctx) { if (ctx.request.headers['x-block'] === '1') return ctx.respond(403, { error: { message: 'blocked by tagger' } }); },
  onResponse(ctx) { ctx.response.headers['x-tagger'] = 'on'; },
});
`;

const MAIN_TS = `import { join } from 'path';
import { App, TerraformStack } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { AiGatewayFleet, Backend } from 'cdktf-ai-gateway';

const app = new App();
const stack = new TerraformStack(app, 'platform');
new KubernetesProvider(stack, 'k8s', {});
const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'eu-central-1' });
const gateway = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1' });
gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.openAi({ apiKey: { secretName: 'llm', key: 'openai' } }) }] }] });
gateway.addExtension('tagger', { name: 'tagger', source: 'custom', modulePath: join(__dirname, 'extensions', 'tagger.ts') });
app.synth();
`;

test('a custom extension module, as the contract writes it, type-checks in a cdktf app through a symlinked package and synthesizes into a bundle', () => {
  const work = tempDir('aigw-ext-app-');
  run('npx', ['tsc', '-p', 'tsconfig.json'], root);
  run('npm', ['pack', '--pack-destination', work, '--silent'], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;

  // The store: the tarball as npm would unpack it, beside this repo's packages (its dependencies, esbuild included).
  const store = join(work, 'store', 'node_modules');
  mkdirSync(store, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, tarball), '-C', store]);
  const installed = join(store, 'cdktf-ai-gateway');
  execFileSync('mv', [join(store, 'package'), installed]);
  const repoModules = readdirSync(join(root, 'node_modules')).filter((entry) => entry !== 'cdktf-ai-gateway' && !entry.startsWith('.'));
  for (const entry of repoModules) symlinkSync(join(root, 'node_modules', entry), join(store, entry));

  // The app: the template's settings, its node_modules/cdktf-ai-gateway a symlink (as npm link or a workspace makes it).
  const app = join(work, 'app');
  mkdirSync(join(app, 'extensions'), { recursive: true });
  cpSync(join(template, 'tsconfig.json'), join(app, 'tsconfig.json'));
  writeFileSync(join(app, 'package.json'), readFileSync(join(template, 'package.json'), 'utf8').replace('{{ $base }}', 'ext-app'));
  const modules = join(app, 'node_modules');
  mkdirSync(modules);
  symlinkSync(installed, join(modules, 'cdktf-ai-gateway'));
  for (const entry of repoModules) symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  writeFileSync(join(app, 'extensions', 'tagger.ts'), TAGGER_TS);
  writeFileSync(join(app, 'main.ts'), MAIN_TS);
  // The template's settings but noImplicitReturns: the contract's onRequest returns in one branch only, which that flag
  // refuses whatever the hook's type says (TS7030); an app that keeps the flag writes `return undefined;` at its end.
  writeFileSync(join(app, 'tsconfig.app.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noImplicitReturns: false } }));
  // node16 resolution reads the exports map (its `types` condition), as an ESM-aware app would.
  writeFileSync(
    join(app, 'tsconfig.node16.json'),
    JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['extensions/tagger.ts'] }),
  );

  const env = { ...process.env, TMPDIR: join(work, 'tmp'), CHECKPOINT_DISABLE: '1' };
  mkdirSync(env.TMPDIR);
  const node = (args: string[]) => {
    try {
      return execFileSync(process.execPath, args, { cwd: app, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    } catch (e) {
      const { stdout, stderr } = e as { stdout?: string; stderr?: string };
      throw new Error(`node ${args.join(' ')} failed in the app:\n${stdout ?? ''}${stderr ?? ''}`);
    }
  };
  const tsc = join(modules, 'typescript', 'bin', 'tsc');
  node([tsc, '--noEmit', '-p', 'tsconfig.app.json']);
  node([tsc, '-p', 'tsconfig.node16.json']);
  // Node's require reads the exports map, through the symlink.
  const resolved = node(['-p', "require.resolve('cdktf-ai-gateway/extensions') + ' ' + typeof require('cdktf-ai-gateway/extensions').defineExtension"]).trim();
  expect(resolved).toBe(`${join(installed, 'lib', 'extensions', 'index.js')} function`);

  // `cdktf synth` runs `npx ts-node main.ts`.
  node([join(modules, 'ts-node', 'dist', 'bin.js'), '--transpileOnly', 'main.ts']);
  const manifest = JSON.parse(readFileSync(join(app, 'cdktf.out', 'manifest.json'), 'utf8')) as { stacks: Record<string, { synthesizedStackPath: string }> };
  const tf = JSON.parse(readFileSync(join(app, 'cdktf.out', manifest.stacks.platform.synthesizedStackPath), 'utf8'));
  const files = new Map<string, Buffer>();
  type ConfigMap = { metadata: { name: string }; data?: Record<string, string>; binary_data?: Record<string, string> };
  for (const cm of Object.values(tf.resource.kubernetes_config_map_v1) as ConfigMap[]) {
    if (!cm.metadata.name.startsWith('aigw-prod-config-')) continue;
    for (const [k, v] of Object.entries(cm.data ?? {})) files.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(cm.binary_data ?? {})) files.set(k, Buffer.from(v, 'base64'));
  }
  const decoded = decodeConfigShards(files);
  if (!decoded.ok) throw new Error(decoded.reason);
  const [entry] = decoded.config.extensions;
  expect(entry).toMatchObject({ name: 'tagger', source: 'custom', bundle: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), code: expect.any(String) } });
  expect(entry.bundle!.requires).toBeUndefined();

  // The bundle is self-contained: the data plane loads it with nothing installed beside it.
  const ext = loadBundle(entry.bundle!, 'tagger');
  const headers: Record<string, string> = {};
  void ext.onResponse!({ response: { headers } } as never);
  expect(headers).toEqual({ 'x-tagger': 'on' });
}, 240_000);
