import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { createGzip } from 'zlib';
import { shardDataKey, shardMetaKey } from '../../src/specs';

const root = resolve(__dirname, '..', '..');
const MiB = 1024 * 1024;
const BOMB_BYTES = 300 * MiB;

/** 300 MiB of zeros, gzipped a MiB at a time: the test process never holds the inflated bomb. */
async function gzipBomb(): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (d: Buffer) => out.push(d));
  const done = new Promise<void>((res, rej) => {
    gzip.once('end', res);
    gzip.once('error', rej);
  });
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < BOMB_BYTES; written += MiB) {
    if (!gzip.write(zeros)) await new Promise((r) => gzip.once('drain', r));
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}

/**
 * Loads DIR the way `aigw serve` does (loadConfigDir), in a fresh Node process, and reports the
 * refusal and how far the process's peak RSS (getrusage maxrss, a high-water mark) rose while loading.
 */
function loadInFreshProcess(dir: string): { ok: boolean; reason?: string; peakGrowthBytes: number } {
  const script = `
const { loadConfigDir } = require(${JSON.stringify(join(root, 'src', 'dataplane', 'config-dir'))});
const before = process.resourceUsage().maxRSS;
const result = loadConfigDir(${JSON.stringify(dir)});
const peakGrowthBytes = (process.resourceUsage().maxRSS - before) * 1024;
process.stdout.write(JSON.stringify({ ok: result.ok, reason: result.reason, peakGrowthBytes }));
`;
  const stdout = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: root, encoding: 'utf8' });
  return JSON.parse(stdout) as { ok: boolean; reason?: string; peakGrowthBytes: number };
}

describe('a gzip-bomb config shard', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aigw-config-bomb-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('300 KB that inflates to 300 MiB is refused after inflating at most the limit', async () => {
    const gz = await gzipBomb();
    expect(gz.length).toBeLessThan(400 * 1024);
    writeFileSync(join(dir, shardMetaKey(0)), JSON.stringify({ hash: `sha256:${'b'.repeat(64)}`, index: 0, count: 1, encoding: 'gzip+json' }));
    writeFileSync(join(dir, shardDataKey(0)), gz);

    const { ok, reason, peakGrowthBytes } = loadInFreshProcess(dir);

    expect(ok).toBe(false);
    expect(reason).toContain('config shard shard-000.json.gz inflates past 22937600 bytes');
    expect(reason).toContain('cdktf synth');
    // Unbounded, loading peaked at several times the bomb (the buffer, its string, the hash input);
    // bounded, it holds at most the 21.9 MiB limit.
    expect(peakGrowthBytes).toBeLessThan(BOMB_BYTES / 4);
  }, 120_000);
});
