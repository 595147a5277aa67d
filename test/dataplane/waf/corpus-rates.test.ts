import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { attackRequest, benignRequest, loadAttacks, loadBenign } from './support/corpus-requests';
import { compileWaf } from '../../../src/dataplane/waf/engine';

/**
 * The WAF measured on the committed corpus (issue #16 §2): the detection rate per family with every family on in
 * block mode, and the false positives on benign requests with the default model-route settings. The run fails when
 * a figure is worse than the baseline committed in corpus/rates.json; `WAF_WRITE_RATES=1 npx jest corpus-rates`
 * rewrites the baseline from the run (do that only when the figures improved, and commit it).
 */

interface Rate {
  readonly detected: number;
  readonly total: number;
}

interface Baseline {
  readonly detection: Record<string, Rate>;
  readonly falsePositives: { readonly flagged: number; readonly total: number };
}

const RATES_FILE = join(__dirname, 'corpus', 'rates.json');

const attacks = loadAttacks();
const benign = loadBenign();
// Every family on, in block mode; message text read only for prompt-injection payloads placed in a user message.
const allFamilies = compileWaf({ families: { 'prompt-injection': true } });
const allFamiliesWithMessages = compileWaf({ families: { 'prompt-injection': true }, inspectMessages: true });
const defaults = compileWaf();

function measure(): Baseline & { readonly missed: string[]; readonly flaggedIds: string[] } {
  const detection: Record<string, { detected: number; total: number }> = {};
  const missed: string[] = [];
  for (const entry of attacks) {
    const engine = entry.family === 'prompt-injection' && entry.at === 'message' ? allFamiliesWithMessages : allFamilies;
    const rate = (detection[entry.family] ??= { detected: 0, total: 0 });
    rate.total++;
    if (engine.inspect(attackRequest(entry)).block) rate.detected++;
    else missed.push(entry.id);
  }
  const flaggedIds = benign.filter((entry) => defaults.inspect(benignRequest(entry)).matches.length > 0).map((entry) => entry.id);
  return { detection, falsePositives: { flagged: flaggedIds.length, total: benign.length }, missed, flaggedIds };
}

const percent = (r: Rate) => `${((100 * r.detected) / r.total).toFixed(1)}% (${r.detected}/${r.total})`;

describe('WAF on the corpus', () => {
  const run = measure();

  test('reports detection and false-positive rates', () => {
    const lines = Object.entries(run.detection).map(([family, r]) => `  ${family.padEnd(17)} ${percent(r)}`);
    const total = Object.values(run.detection).reduce(
      (sum, r) => ({ detected: sum.detected + r.detected, total: sum.total + r.total }),
      { detected: 0, total: 0 },
    );
    console.log(
      [
        'WAF detection (all families, block):',
        ...lines,
        `  ${'all'.padEnd(17)} ${percent(total)}`,
        `  missed: ${run.missed.join(', ') || 'none'}`,
        `WAF false positives (default model-route settings): ${run.falsePositives.flagged}/${run.falsePositives.total}${run.flaggedIds.length ? ` (${run.flaggedIds.join(', ')})` : ''}`,
      ].join('\n'),
    );
    if (process.env.WAF_WRITE_RATES === '1') {
      writeFileSync(RATES_FILE, `${JSON.stringify({ detection: run.detection, falsePositives: run.falsePositives }, null, 2)}\n`);
    }
  });

  test('no family detects less than the committed baseline', () => {
    const baseline = JSON.parse(readFileSync(RATES_FILE, 'utf8')) as Baseline;
    const worse = Object.entries(baseline.detection)
      .filter(([family, committed]) => {
        const now = run.detection[family];
        // Cross-multiplied: a rate as a fraction of counts, so a corpus that grew is compared fairly and exactly.
        return now === undefined || now.detected * committed.total < committed.detected * now.total;
      })
      .map(([family, committed]) => `${family}: ${run.detection[family] ? percent(run.detection[family]) : 'no entries'}, committed ${percent(committed)}`);
    expect(worse).toEqual([]);
  });

  test('false positives are no more than the committed baseline', () => {
    const baseline = JSON.parse(readFileSync(RATES_FILE, 'utf8')) as Baseline;
    const now = run.falsePositives;
    // Cross-multiplied as above; the ids flagged now are in the failure message.
    expect({ worse: now.flagged * baseline.falsePositives.total > baseline.falsePositives.flagged * now.total, flagged: run.flaggedIds }).toEqual({
      worse: false,
      flagged: baseline.falsePositives.flagged === 0 ? [] : run.flaggedIds,
    });
  });
});
