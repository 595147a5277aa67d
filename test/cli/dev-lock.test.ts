import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import * as devLock from '../../src/cli/dev-lock';
import { readSynthesizedGateways, synthesizeApp } from '../../src/cli/dev-synth';
import * as constructsLock from '../../src/constructs/lock-file';

const root = resolve(__dirname, '..', '..');

/** A cdktf app (plain JS, loading this repo's sources through ts-node) with one gateway `platform/ai/prod`. */
function writeApp(dir: string, gateway: string): void {
  const main = `
require(${JSON.stringify(join(root, 'node_modules', 'ts-node'))}).register({ transpileOnly: true, skipProject: true, compilerOptions: { module: 'commonjs', target: 'es2022' } });
const { App, TerraformStack } = require(${JSON.stringify(join(root, 'node_modules', 'cdktf'))});
const { KubernetesProvider } = require(${JSON.stringify(join(root, 'node_modules', '@cdktf', 'provider-kubernetes', 'lib', 'provider'))});
const { AiGatewayFleet } = require(${JSON.stringify(join(root, 'src'))});
const app = new App();
const stack = new TerraformStack(app, 'platform');
new KubernetesProvider(stack, 'k8s', { configPath: '~/.kube/config' });
const fleet = new AiGatewayFleet(stack, 'ai', { region: 'cn-hangzhou' });
fleet.addGateway('prod', ${gateway});
app.synth();
`;
  writeFileSync(join(dir, 'main.js'), main);
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'node main.js', context: {} }));
}

/** What the user had: prod locked as aigw.medium.x1, written by hand (not in writeLock's layout). */
const USER_LOCK = '{"lockVersion":1,"gateways":{"platform/ai/prod":{"edition":"dedicated","spec":"aigw.medium.x1","imageVersion":"0.9.0"}}}';

describe('aigw dev synth and the project lock file', () => {
  test('aigw dev names the lock file and its context key as the constructs do', () => {
    expect(devLock.LOCK_FILE_CONTEXT_KEY).toBe(constructsLock.LOCK_FILE_CONTEXT_KEY);
    expect(devLock.LOCK_FILE_NAME).toBe(constructsLock.LOCK_FILE_NAME);
  });

  let app: string;
  let out: string;
  beforeEach(() => {
    app = mkdtempSync(join(tmpdir(), 'aigw-dev-lock-app-'));
    out = mkdtempSync(join(tmpdir(), 'aigw-dev-lock-out-'));
  });
  afterEach(() => {
    rmSync(app, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  test("a spec change synthesizes locally and leaves the project's aigw.lock.json byte for byte", async () => {
    writeApp(app, "{ edition: 'dedicated', spec: 'aigw.small.x2' }");
    const lock = join(app, 'aigw.lock.json');
    writeFileSync(lock, USER_LOCK);
    const before = statSync(lock).mtimeMs;

    await synthesizeApp(app, join(out, 'cdktf.out'), new AbortController().signal);

    expect(readSynthesizedGateways(join(out, 'cdktf.out')).map((g) => g.config.metadata.spec)).toEqual(['aigw.small.x2']);
    expect(readFileSync(lock, 'utf8')).toBe(USER_LOCK);
    expect(statSync(lock).mtimeMs).toBe(before);
  }, 120_000);

  test('a project without a lock file still has none after a local synth', async () => {
    writeApp(app, "{ edition: 'dedicated', spec: 'aigw.small.x2' }");
    await synthesizeApp(app, join(out, 'cdktf.out'), new AbortController().signal);
    expect(existsSync(join(app, 'aigw.lock.json'))).toBe(false);
  }, 120_000);

  test("the lock named by cdktf.json's aigw:lockFile context is read (no-downgrade holds) and never written", async () => {
    writeApp(app, "{ edition: 'serverless' }");
    mkdirSync(join(app, 'locks'));
    const lock = join(app, 'locks', 'gateways.lock.json');
    writeFileSync(lock, USER_LOCK);
    writeFileSync(join(app, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'node main.js', context: { 'aigw:lockFile': 'locks/gateways.lock.json' } }));

    // prod is locked Dedicated: turning it Serverless must still fail, exactly as `cdktf synth` would.
    await expect(synthesizeApp(app, join(out, 'cdktf.out'), new AbortController().signal)).rejects.toThrow(/no-downgrade/);
    expect(readFileSync(lock, 'utf8')).toBe(USER_LOCK);
    expect(existsSync(join(app, 'aigw.lock.json'))).toBe(false);
  }, 120_000);
});
