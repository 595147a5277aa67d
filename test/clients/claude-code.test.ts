import { execFile } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { UpstreamSimulator } from '../../src/simulator';
import type { TestGateway } from '../../src/testing';
import { CONSUMER_KEYS, gatewayStack, modelsOnEveryApi, start } from '../dataplane/harness';

/**
 * Claude Code itself (the official CLI, installed from the npm registry into a temp dir for this file: it is a
 * 400 MB native binary, too heavy for every `npm ci`), pointed at the gateway the way its docs say:
 * `ANTHROPIC_BASE_URL` and `ANTHROPIC_AUTH_TOKEN`, nothing else. It runs headless (`-p`) with one tool
 * offered, so that the simulator's answer is a call of it: the turn goes model → tool → model, through an
 * Anthropic backend as sent and through a chat-completions backend translated.
 */
const CLAUDE_CODE_VERSION = '2.1.332';
jest.setTimeout(240_000);

let dir: string;
let runDir: string;
let claude: string;
let sim: UpstreamSimulator;
let gw: TestGateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'claude-code-'));
  runDir = mkdtempSync(join(tmpdir(), 'r'));
  await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', dir, `@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`], { timeout: 200_000 });
  claude = join(dir, 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');
  sim = await UpstreamSimulator.start({ name: 'claude-code' });
  const gateway = gatewayStack();
  const models = modelsOnEveryApi(sim);
  const route = gateway.addModelRoute('chat', {
    models: [
      models.claude,
      models.deepseek,
    ],
  });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  gw = await start(gateway);
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
  for (const d of [dir, runDir]) if (d) rmSync(d, { recursive: true, force: true });
});

test.each([
  ['claude-sonnet-4', '/v1/messages'],
  ['deepseek-chat', '/v1/chat/completions'],
])('claude -p on %s: a tool call and its result, then the answer', async (model, upstreamPath) => {
  sim.reset();
  // Its own HOME: no settings, credentials or history of whoever runs the tests.
  const home = join(dir, `home-${model}`);
  const work = join(home, 'work');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'notes.txt'), 'hello from notes\n');
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    ANTHROPIC_BASE_URL: gw.url,
    ANTHROPIC_AUTH_TOKEN: CONSUMER_KEYS.alice,
    ANTHROPIC_MODEL: model,
    ANTHROPIC_SMALL_FAST_MODEL: model,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    // Its scratch and socket folders inside this file's temp dir (removed after it), not in /tmp.
    TMPDIR: join(home, 'tmp'),
    CLAUDE_CODE_TMPDIR: join(home, 'tmp'),
    // Its control socket's folder: short, a socket path holds at most 103 bytes (longer, it falls back to /tmp).
    XDG_RUNTIME_DIR: runDir,
  };
  mkdirSync(env.TMPDIR, { recursive: true });
  const run = promisify(execFile)(claude, ['-p', 'Read notes.txt and say hello', '--output-format', 'json', '--max-turns', '4', '--tools', 'Read', '--strict-mcp-config'], {
    env,
    cwd: work,
    timeout: 120_000,
  });
  run.child.stdin?.end();
  const { stdout } = await run;
  const result = JSON.parse(stdout) as { is_error: boolean; subtype: string; num_turns: number; result: string };
  expect(result).toMatchObject({ is_error: false, subtype: 'success' });
  // Model, tool, model: the simulator answered the first request with a tool call and the second with text.
  expect(result.num_turns).toBe(2);
  expect(result.result).toContain(`[sim:claude-code] ${model}`);
  const calls = sim.requests.filter((r) => r.path === upstreamPath);
  expect(calls.length).toBeGreaterThanOrEqual(2);
  expect(JSON.stringify(calls.at(-1)!.body)).toMatch(upstreamPath === '/v1/messages' ? /"tool_result"/ : /"role":"tool"/);
});
