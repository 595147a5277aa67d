import { Writable } from 'stream';
import fc from 'fast-check';
import createPino from 'pino';
import { type AccessRecord, createLogger, writeAccessLine } from '../../src/dataplane/access-log';

/** A logger whose lines are kept, and the line pino itself writes for a record next to ours. */
function bothLines(record: AccessRecord, level = 'info'): { pino: string | undefined; ours: string | undefined } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(sink, level);
  logger.info(record, 'access');
  const pinoLine = lines.pop();
  writeAccessLine(logger, record);
  return { pino: pinoLine, ours: lines.pop() };
}

const withoutTime = (line: string): unknown => {
  const { time, ...rest } = JSON.parse(line) as Record<string, unknown>;
  expect(typeof time).toBe('number');
  return rest;
};

const text = fc.string({ unit: 'binary' });
const ms = fc.double({ min: 0, max: 1e6, noNaN: true });
const record: fc.Arbitrary<AccessRecord> = fc.record(
  {
    method: text,
    path: text,
    host: text,
    status: fc.integer({ min: 100, max: 599 }),
    durationMs: ms,
    overheadMs: ms,
    ttftMs: ms,
    route: text,
    consumer: text,
    requestedModel: text,
    modelEntry: text,
    servedModel: text,
    targetModel: text,
    backend: text,
    provider: text,
    inputTokens: fc.nat(),
    outputTokens: fc.nat(),
    estimatedTokens: fc.nat(),
    stream: fc.boolean(),
    error: text,
    errorDetail: text,
    aborted: fc.constant(true),
    retries: fc.nat(10),
  },
  { requiredKeys: ['method', 'path', 'host', 'status', 'durationMs'] },
);

test('the access line is the JSON pino writes for the same record (any text, escaped), one line', () => {
  fc.assert(
    fc.property(record, (r) => {
      const { pino, ours } = bothLines(r);
      expect(ours).toBeDefined();
      expect(ours!.endsWith('}\n')).toBe(true);
      expect(ours!.slice(0, -1)).not.toContain('\n');
      expect(withoutTime(ours!)).toEqual(withoutTime(pino!));
    }),
    { numRuns: 300 },
  );
});

test('nothing is written when the level is above info', () => {
  const { pino, ours } = bothLines({ method: 'POST', path: '/', host: 'h', status: 200, durationMs: 1 }, 'warn');
  expect(pino).toBeUndefined();
  expect(ours).toBeUndefined();
});

test('a logger made elsewhere (here with a mixin) is written through pino, so its own settings apply', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createPino({ mixin: () => ({ tenant: 't1' }) }, sink);
  writeAccessLine(logger, { method: 'POST', path: '/', host: 'h', status: 200, durationMs: 1 });
  expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'access', tenant: 't1', status: 200 });
});
