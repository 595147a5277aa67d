/**
 * The WAF bench's two request shapes, each a chat completion as an application sends it through the official OpenAI
 * SDK for JavaScript: a typical chat request, and a 64 KiB one (a pasted code file to review, with SQL, HTML and
 * shell in it). Both are benign: every WAF setting the bench runs must let them through (a 403 is a false
 * positive, and the bench counts it as an error).
 */
import { replyText } from '../../src/simulator/responses';

export const MODEL = 'gpt-4o';
export const PATH = '/v1/chat/completions';
/** The bench's upstream simulator is named `bench` (bench/dataplane/simulator.ts): its answers start `[sim:bench]`. */
const SIMULATOR_NAME = 'bench';

export const SHAPE_KEYS = ['typical', 'large'] as const;
export type ShapeKey = (typeof SHAPE_KEYS)[number];

export interface RequestShape {
  readonly key: ShapeKey;
  /** How the report names it. */
  readonly title: string;
  /** What it is, as the report says it. */
  readonly described: string;
  /** The JSON body, sent as is on every call. */
  readonly body: string;
  /** The simulator's answer text (the last user message echoed, collapsed and cut), as it appears inside a JSON string. */
  readonly expectedInJson: string;
  readonly expected: string;
}

/**
 * What the SDK (openai 5.x on Node) sends besides the body: its user agent and `x-stainless-*` metadata, which the
 * WAF must not flag (issue #16's contract). The consumer's key is added per gateway.
 */
export const SDK_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'accept': 'application/json',
  'user-agent': 'OpenAI/JS 5.8.2',
  'x-stainless-lang': 'js',
  'x-stainless-package-version': '5.8.2',
  'x-stainless-os': 'Linux',
  'x-stainless-arch': 'x64',
  'x-stainless-runtime': 'node',
  'x-stainless-runtime-version': 'v22.17.0',
  'x-stainless-retry-count': '0',
  'x-stainless-timeout': '600',
};

const SYSTEM_PROMPT =
  'You are the support assistant of Acme Cloud. Answer questions about billing, accounts and the Acme API in a friendly, ' +
  'concise way. When you are not sure, say so and point the customer to https://support.acme.example/contact. Never ask for passwords.';

const TYPICAL_QUESTION =
  'Hi! Since this morning our nightly export job fails with "quota exceeded" although the dashboard says we used 41% of the plan. ' +
  'We did not change anything on our side, the job runs with the same API key as last week. Could you explain what counts against ' +
  'the quota and how I can see which calls used it? We are on the Team plan, account 7731.';

/** `user` and `metadata.session` as the constant body holds them: each request gets its own (bodyFor). */
const USER_MARK = 'user-5f2c9a41';
const SESSION_MARK = 'sess_8e1d0c7b42';

/** The fields an application adds next to the messages: who the end user is, and its own tags (inspected by the WAF by default). */
const APP_FIELDS = {
  user: USER_MARK,
  metadata: { session: SESSION_MARK, feature: 'support-chat', tenant: 'acme-eu-1' },
  temperature: 0.3,
};

/**
 * The shape's body for the n-th request: its `user` and `metadata.session` unique (as an application's end users and
 * sessions are), of the same length, so that the WAF's memo of values seen clean serves only what really repeats
 * across requests (headers, keys, the model name, the application's other tags) and the size stays exact.
 */
export function bodyFor(shape: RequestShape, n: number): string {
  return shape.body
    .replace(USER_MARK, `user-${(n % 0x1_0000_0000).toString(16).padStart(8, '0')}`)
    .replace(SESSION_MARK, `sess_${((n * 7919) % 0x100_0000_0000).toString(16).padStart(10, '0')}`);
}

function chatBody(messages: ReadonlyArray<{ role: string; content: string }>): string {
  return JSON.stringify({ model: MODEL, messages, ...APP_FIELDS });
}

function shape(key: ShapeKey, title: string, described: string, question: string): RequestShape {
  const expected = replyText(SIMULATOR_NAME, MODEL, question);
  return {
    key,
    title,
    described,
    body: chatBody([
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: question },
    ]),
    expected,
    expectedInJson: JSON.stringify(expected).slice(1, -1),
  };
}

/**
 * One function of the pasted file: a data-access method with a SQL query (placeholders, joins, a comment), an HTML
 * e-mail template, and a shell command run through execFile, as real application code has them.
 */
function codeBlock(i: number): string {
  return `
/** Loads the open invoices of customer group ${i} and mails a summary (ticket OPS-${1000 + i}). */
export async function remindGroup${i}(db: Pool, mailer: Mailer, since: Date): Promise<number> {
  // The index on invoices(customer_id, due_at) keeps this fast; see migration 0${i % 90}_invoice_due.sql.
  const { rows } = await db.query(
    \`SELECT c.id, c.email, c.name, SUM(i.amount_cents) AS owed, COUNT(*) AS open_invoices
       FROM customers c
       JOIN invoices i ON i.customer_id = c.id
      WHERE c.group_id = $1 AND i.status = 'open' AND i.due_at < $2 -- only overdue ones
      GROUP BY c.id, c.email, c.name
      ORDER BY owed DESC
      LIMIT 500\`,
    [${i}, since],
  );
  for (const row of rows) {
    const html = \`<html><body style="font-family: sans-serif">
      <h1>Hello \${escapeHtml(row.name)},</h1>
      <p>You have <b>\${row.open_invoices}</b> open invoices, <span class="amount">\${formatCents(row.owed)}</span> in all.</p>
      <table class="invoices"><tr><th>Invoice</th><th>Due</th></tr></table>
      <a href="https://billing.acme.example/pay?group=${i}">Pay now</a>
    </body></html>\`;
    await mailer.send({ to: row.email, subject: 'Open invoices', html });
  }
  // Archive the run's report next to the others (the ops team reads them with less and grep).
  await execFileAsync('tar', ['-czf', \`/var/backups/reminders/group-${i}.tar.gz\`, '-C', '/tmp/reminders', '.']);
  await db.query('UPDATE reminder_runs SET finished_at = now(), sent = $1 WHERE group_id = $2', [rows.length, ${i}]);
  return rows.length;
}
`;
}

/** A body of exactly `bytes` bytes at most (its question grown block by block, then padded with a comment line). */
function largeQuestion(bytes: number): string {
  const head =
    'Can you review this module before I merge it? I am mostly worried about the SQL (is the GROUP BY right, and will the ' +
    'LIMIT cut customers off?), about escaping in the HTML mails, and whether running tar from Node like this is safe.\n\n```ts\n' +
    "import { execFile } from 'child_process';\nimport { promisify } from 'util';\nimport type { Pool } from 'pg';\n" +
    "import { escapeHtml, formatCents, type Mailer } from './mail';\n\nconst execFileAsync = promisify(execFile);\n";
  const tail = '```\n\nThanks! Tests pass locally (`npm test -- --runInBand`), and `psql -c "EXPLAIN ANALYZE ..."` looks fine.';
  const size = (question: string) => Buffer.byteLength(shape('large', '', '', question).body);
  let code = '';
  for (let i = 1; size(head + code + codeBlock(i) + tail) <= bytes; i++) code += codeBlock(i);
  const room = bytes - size(head + code + tail);
  // Pads to the exact size with a comment line: `// ` and letters (one byte each in JSON), then `\n` (two: `\\n`).
  const pad = room >= 5 ? `// ${'x'.repeat(room - 5)}\n` : '';
  return head + code + pad + tail;
}

/** The large shape's body, bytes: issue #16's "64 KiB chat request". */
export const LARGE_BODY_BYTES = 64 * 1024;

export const SHAPES: Record<ShapeKey, RequestShape> = {
  typical: shape(
    'typical',
    'Typical chat request',
    'a system message and a user question of a few hundred bytes, `user`, `metadata` and `temperature` fields',
    TYPICAL_QUESTION,
  ),
  large: shape(
    'large',
    '64 KiB chat request',
    'the same system message, and a user message asking for a review of a pasted TypeScript module (SQL queries with joins, `--` comments and `$1` placeholders, HTML mail templates, `tar` and `psql` commands), with the same `user`, `metadata` and `temperature`',
    largeQuestion(LARGE_BODY_BYTES),
  ),
};

/** Bytes of each shape's body, for the report. */
export const bodyBytes = (s: RequestShape): number => Buffer.byteLength(s.body);
