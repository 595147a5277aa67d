import { readFileSync } from 'fs';
import { join } from 'path';
import { FINAL_RULES, RULES } from '../src';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

test('the README lists every synth-time rule, with its description', () => {
  for (const rule of [...RULES, ...FINAL_RULES]) expect(readme).toContain(`| \`${rule.id}\` | ${rule.description} |`);
});

test('the README names the two set-up commands', () => {
  expect(readme).toContain('`npm ci && npm test`');
  expect(readme).toContain('`npm run synth`');
});
