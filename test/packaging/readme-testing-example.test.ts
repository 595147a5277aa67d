import { execFileSync } from 'child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { run } from '../support/run';
import { tempDirs } from '../support/temp-dirs';

/**
 * The README's Quick start and its testing example, verbatim, in a fresh app made from cdktf's own
 * TypeScript template (`cdktf init --template=typescript`: CommonJS, classic `node` module
 * resolution, `strict`, `noUnusedLocals`; jest with the template's config), against the packed
 * tarball. A README that drifts from what works fails here.
 *
 * Offline: the tarball is extracted into the app's node_modules and every other package is this
 * repo's (symlinked), ts-jest included (a devDependency for this test only): jest runs with the
 * template's own config, its `ts-jest` preset type-checking every test file.
 */
const root = resolve(__dirname, '..', '..');
const template = join(root, 'node_modules', 'cdktf-cli', 'bundle', 'templates', 'typescript');
const tempDir = tempDirs();

/** The body of the first ```ts block after `heading` in README.md, and the file its first line names (`// path`). */
function readmeBlock(heading: string): { file: string; code: string } {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no heading '${heading}'`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`README.md has no \`\`\`ts block after '${heading}'`);
  const file = /^\/\/ (\S+\.ts)\n/.exec(block[1]);
  if (!file) throw new Error(`README.md's block after '${heading}' does not start with a comment naming its file (// main.ts)`);
  return { file: file[1], code: block[1] };
}

test("README's Quick start and testing example: a fresh cdktf app (the template's settings) type-checks, synthesizes and passes the test", () => {
  const work = tempDir('aigw-readme-app-');
  run('npx', ['tsc', '-p', 'tsconfig.json'], root);
  run('npm', ['pack', '--pack-destination', work, '--silent'], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;

  // The template's files, as `cdktf init` writes them (its placeholder test removed).
  const app = join(work, 'app');
  mkdirSync(app);
  for (const f of ['tsconfig.json', 'jest.config.js', 'setup.js']) cpSync(join(template, f), join(app, f));
  const pkg = readFileSync(join(template, 'package.json'), 'utf8').replace('{{ $base }}', 'readme-app');
  writeFileSync(join(app, 'package.json'), pkg);
  writeFileSync(join(app, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'npx ts-node main.ts', projectId: 'readme-app', sendCrashReports: 'false', context: {} }));
  expect(readFileSync(join(app, 'jest.config.js'), 'utf8')).toContain('preset: "ts-jest",');

  // node_modules: the tarball as npm would unpack it, and this repo's packages for everything else.
  const modules = join(app, 'node_modules');
  mkdirSync(modules);
  execFileSync('tar', ['-xzf', join(work, tarball), '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'cdktf-ai-gateway'));
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry !== 'cdktf-ai-gateway') symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  }

  const quickStart = readmeBlock('## Quick start');
  const testing = readmeBlock('### Testing your own routes');
  expect([quickStart.file, testing.file]).toEqual(['main.ts', '__tests__/gateway.test.ts']);
  for (const { file, code } of [quickStart, testing]) {
    mkdirSync(dirname(join(app, file)), { recursive: true });
    writeFileSync(join(app, file), code);
  }

  // cdktf's App and Testing.app() write to the temp directory: keep that inside the app's folder.
  const env = { ...process.env, TMPDIR: join(work, 'tmp'), CHECKPOINT_DISABLE: '1' };
  mkdirSync(env.TMPDIR);
  const node = (args: string[]) => {
    try {
      // The timeout kills a jest that does not exit (execFileSync blocks this test's own timeout).
      return execFileSync(process.execPath, args, { cwd: app, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    } catch (e) {
      const { stdout, stderr } = e as { stdout?: string; stderr?: string };
      throw new Error(`node ${args.join(' ')} failed in the README app:\n${stdout ?? ''}${stderr ?? ''}`);
    }
  };
  // The whole app under the template's tsconfig (noUnusedLocals, node10 resolution of cdktf-ai-gateway/testing), as `tsc` in its build.
  node([join(modules, 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json']);
  // `cdktf synth` runs `npx ts-node main.ts`: the Quick start synthesizes both gateways (type-checked just above).
  node([join(modules, 'ts-node', 'dist', 'bin.js'), '--transpileOnly', 'main.ts']);
  const manifest = JSON.parse(readFileSync(join(app, 'cdktf.out', 'manifest.json'), 'utf8')) as { stacks: Record<string, { synthesizedStackPath: string }> };
  const tf = JSON.parse(readFileSync(join(app, 'cdktf.out', manifest.stacks.platform.synthesizedStackPath), 'utf8'));
  const deployments = Object.values(tf.resource.kubernetes_deployment_v1) as { metadata: { name: string } }[];
  expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['aigw-lab', 'aigw-prod', 'aigw-prod-redis', 'aigw-redis']);

  // `npm test` of the template: jest, which must pass and exit (a gateway or simulator left open would hang it: --forceExit is not given).
  node([join(modules, 'jest', 'bin', 'jest.js'), '--ci', '--json', '--outputFile', join(work, 'jest.json')]);
  const report = JSON.parse(readFileSync(join(work, 'jest.json'), 'utf8')) as {
    success: boolean;
    testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
  };
  expect(report.testResults.map((r) => [r.name.slice(app.length + 1), r.assertionResults.map((a) => [a.fullName, a.status])])).toEqual([
    ['__tests__/gateway.test.ts', [['the prod gateway serves gpt-4o from OpenAI to the checkout consumer', 'passed']]],
  ]);
  expect(report.success).toBe(true);
}, 180_000);
