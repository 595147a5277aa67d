import { spawnSync } from 'child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { setTimeout as sleep } from 'timers/promises';
import { batchedDestination, createLogger, flushLogs, flushPeriodically, LOG_BATCH, writeAccessLine } from '../../src/dataplane/access-log';
import { eventually } from '../support/eventually';

const record = { method: 'POST', path: '/v1/chat/completions', host: 'ai.example.com', status: 200, durationMs: 1.5, route: 'chat' };

describe('access lines on stdout are written in batches (LOG_BATCH)', () => {
  let dir: string;
  let fd: number;
  let file: string;
  const lines = (): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aigw-log-batch-'));
    file = join(dir, 'stdout');
    fd = openSync(file, 'w');
  });
  afterEach(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds a few lines instead of writing each, and the periodic flush writes them out', async () => {
    const logger = createLogger(batchedDestination(fd));
    const stop = flushPeriodically(logger);
    try {
      for (let i = 0; i < 3; i++) writeAccessLine(logger, { ...record, status: 200 + i });
      // Well under the flush interval: a destination that wrote each line would have written them by now.
      await sleep(LOG_BATCH.flushIntervalMs / 4);
      expect(lines()).toHaveLength(0);
      await eventually(() => lines().length === 3);
      expect(lines().map((l) => (JSON.parse(l) as { status: number }).status)).toEqual([200, 201, 202]);
    } finally {
      stop();
    }
  });

  it('writes a full batch without waiting for the timer, and flushLogs writes the rest', async () => {
    const logger = createLogger(batchedDestination(fd));
    const count = Math.ceil(LOG_BATCH.minBytes / 100) + 5;
    for (let i = 0; i < count; i++) writeAccessLine(logger, record);
    await eventually(() => lines().length > 0);
    await flushLogs(logger);
    await eventually(() => lines().length === count);
  });

  it('writes any other line at once, with the access lines held before it, in order', async () => {
    const logger = createLogger(batchedDestination(fd));
    writeAccessLine(logger, record);
    logger.warn({ reason: 'bad shard' }, 'config rejected; the last good config keeps serving');
    // No periodic flush runs here: only the warning can have sent the batch out.
    await eventually(() => lines().length === 2);
    expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['access', 'config rejected; the last good config keeps serving']);
  });

  it('writes a line that arrives while a write is under way as soon as that write ends', async () => {
    const logger = createLogger(batchedDestination(fd));
    logger.warn('first');
    logger.error('second'); // the first is being written now
    await eventually(() => lines().length === 2);
    expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['first', 'second']);
  });

  it('writes what it holds when the process exits', () => {
    const script = [
      `const { createLogger, batchedDestination, writeAccessLine } = require(${JSON.stringify(require.resolve('../../src/dataplane/access-log'))});`,
      'const logger = createLogger(batchedDestination(3));',
      // Written at once: an asynchronous write is under way when the process exits.
      "logger.warn('before the access lines');",
      `for (let i = 0; i < 3; i++) writeAccessLine(logger, ${JSON.stringify(record)});`,
      'process.exit(0);',
    ].join('\n');
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { stdio: ['ignore', 'ignore', 'pipe', fd], env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' } });
    expect(run.status).toBe(0);
    expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['before the access lines', 'access', 'access', 'access']);
  });

  it('does nothing for a logger with its own destination (tests, embedders)', () => {
    const logger = createLogger({ write: () => undefined });
    expect(flushPeriodically(logger)).toEqual(expect.any(Function));
  });
});
