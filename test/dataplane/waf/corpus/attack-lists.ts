/**
 * Which PayloadsAllTheThings files the attack corpus draws from, how many
 * payloads each gives, and the test each line must pass to count as an attack.
 * The selection is deterministic: the lines of a file at the pinned commit, in
 * file order, filtered, de-duplicated across the whole corpus, then `take`
 * picked evenly spread over what is left (so a long list contributes its
 * encodings and depths, not only its first lines).
 */
import type { AttackFamily } from './corpus-format';

export const PAYLOADS_COMMIT = 'f9fa51417886ac11476cb62db2dff21773dc570b';

export interface ListSelection {
  readonly id: string;
  readonly family: AttackFamily;
  readonly file: string;
  readonly take: number;
}

// Not used: MarioXSSVectors.txt (multi-line vectors split into fragments
// that are not payloads), port_swigger_xss_cheatsheet_event_handlers.txt
// (bare handler names), traversals-8-deep-exotic-encoding.txt and
// deep_traversal.txt (every line holds a {FILE} placeholder). Lines with a
// placeholder in the other lists are skipped by `isCandidate`.
export const LIST_SELECTIONS: readonly ListSelection[] = [
  { id: 'sqli-generic-fuzz', family: 'sqli', file: 'SQL Injection/Intruder/Generic_Fuzz.txt', take: 10 },
  { id: 'sqli-auth-bypass', family: 'sqli', file: 'SQL Injection/Intruder/Auth_Bypass.txt', take: 15 },
  { id: 'sqli-auth-bypass-2', family: 'sqli', file: 'SQL Injection/Intruder/Auth_Bypass2.txt', take: 8 },
  { id: 'sqli-error-based', family: 'sqli', file: 'SQL Injection/Intruder/Generic_ErrorBased.txt', take: 22 },
  { id: 'sqli-time-based', family: 'sqli', file: 'SQL Injection/Intruder/Generic_TimeBased.txt', take: 18 },
  { id: 'sqli-union-select', family: 'sqli', file: 'SQL Injection/Intruder/Generic_UnionSelect.txt', take: 16 },
  { id: 'sqli-polyglots', family: 'sqli', file: 'SQL Injection/Intruder/SQLi_Polyglots.txt', take: 2 },
  { id: 'sqli-fuzzdb-mssql', family: 'sqli', file: 'SQL Injection/Intruder/FUZZDB_MSSQL.txt', take: 6 },
  { id: 'sqli-fuzzdb-mysql-time', family: 'sqli', file: 'SQL Injection/Intruder/FUZZDB_MySQL-WHERE_Time.txt', take: 6 },
  { id: 'sqli-fuzzdb-postgres', family: 'sqli', file: 'SQL Injection/Intruder/FUZZDB_Postgres_Enumeration.txt', take: 5 },

  { id: 'xss-intruders', family: 'xss', file: 'XSS Injection/Intruders/IntrudersXSS.txt', take: 30 },
  { id: 'xss-payloads-quick', family: 'xss', file: 'XSS Injection/Intruders/xss_payloads_quick.txt', take: 10 },
  { id: 'xss-polyglots', family: 'xss', file: 'XSS Injection/Intruders/XSS_Polyglots.txt', take: 6 },
  { id: 'xss-jhaddix', family: 'xss', file: 'XSS Injection/Intruders/JHADDIX_XSS.txt', take: 15 },
  { id: 'xss-rsnake', family: 'xss', file: 'XSS Injection/Intruders/RSNAKE_XSS.txt', take: 15 },
  { id: 'xss-brutelogic-strings', family: 'xss', file: 'XSS Injection/Intruders/BRUTELOGIC-XSS-STRINGS.txt', take: 12 },
  { id: 'xss-detection', family: 'xss', file: 'XSS Injection/Intruders/XSSDetection.txt', take: 6 },

  { id: 'traversal-directory-traversal', family: 'traversal', file: 'Directory Traversal/Intruder/directory_traversal.txt', take: 14 },
  { id: 'traversal-dotdotpwn', family: 'traversal', file: 'Directory Traversal/Intruder/dotdotpwn.txt', take: 20 },
  { id: 'lfi-jhaddix', family: 'traversal', file: 'File Inclusion/Intruders/JHADDIX_LFI.txt', take: 14 },
  { id: 'lfi-traversal', family: 'traversal', file: 'File Inclusion/Intruders/Traversal.txt', take: 10 },
  { id: 'lfi-dot-slash-pairing', family: 'traversal', file: 'File Inclusion/Intruders/dot-slash-PathTraversal_and_LFI_pairing.txt', take: 8 },

  { id: 'cmdi-unix', family: 'cmdi', file: 'Command Injection/Intruder/command-execution-unix.txt', take: 35 },
  { id: 'cmdi-command-exec', family: 'cmdi', file: 'Command Injection/Intruder/command_exec.txt', take: 40 },
];

/** The prompt-injection payloads come from this README, quoted verbatim (the build checks each is in it). */
export const PROMPT_INJECTION_README = { id: 'prompt-injection-readme', file: 'Prompt Injection/README.md' } as const;

const MAX_PAYLOAD_BYTES = 2048;

// A SQL keyword, function or construct an injected fragment uses to change a query.
const SQL_SYNTAX = /\b(select|union|or|and|xor|not|like|sleep|benchmark|waitfor|delay|pg_sleep|order\s+by|group\s+by|having|insert|update|delete|drop|exec|declare|extractvalue|updatexml|load_file|information_schema|pg_\w+|current_database|version|char|concat|cast|convert|if|ascii|substr(ing)?|count|limit|true|false|null)\b|@@\w+|--|#|\/\*|\|\||&&|;\s*\w/i;
// The break-out a SQLi fragment needs: a quote, backtick, paren, comment or operator.
const SQL_BREAKOUT = /['"`)(;=<>]|--|#|\/\*/;
// HTML/JS injection: a tag, an event handler, a script URI, or a JS sink call.
const XSS_SYNTAX = /<\s*\/?\s*[a-z!?%]|%3c|&lt;|javascript:|vbscript:|livescript:|\bon[a-z]+\s*=|\b(alert|prompt|confirm|eval)\s*[(`]|document\.(cookie|domain|write)|String\.fromCharCode/i;
// A dot-dot segment in any encoding the lists use (plain, %2e, double %252e, overlong %c0%ae, %u002e, 0x2e, fullwidth).
const TRAVERSAL_SYNTAX = /\.\.|%2e|%252e|%25c0%25ae|%c0%ae|%e0%80%ae|%c0%2e|%u002e|%uff0e|0x2e|%%32%65/i;
// A shell separator or substitution, then (anywhere) a command the payload runs.
const SHELL_SEPARATOR = /;|\||&|`|\$\(|%0a|%0d|\\n|\(\)\s*\{/i;
const SHELL_COMMAND = /\b(id|whoami|uname|cat|ls|ping|curl|wget|nc|sleep|echo|dir|bash|sh|system|netstat|ifconfig|pwd|type|ipconfig|net|grep|nslookup|perl|python|php|cmd|powershell)\b/i;

/**
 * True when a list line is an attack payload worth keeping: not empty or
 * blank, not over 2 KiB, not a comment or section header, not a line with a
 * placeholder the tester is meant to fill, and carrying its family's
 * injection syntax (which drops bare words such as "admin" or "1").
 */
export function isCandidate(family: AttackFamily, line: string): boolean {
  if (line.trim() === '' || Buffer.byteLength(line, 'utf8') > MAX_PAYLOAD_BYTES) return false;
  if (/^#\s/.test(line) || /^\/\/\s/.test(line)) return false;
  if (/\{[A-Z_]+\}|\[code\]|§/.test(line)) return false;
  switch (family) {
    case 'sqli': return SQL_BREAKOUT.test(line) && SQL_SYNTAX.test(line);
    case 'xss': return XSS_SYNTAX.test(line);
    case 'traversal': return TRAVERSAL_SYNTAX.test(line) && !/\s/.test(line) && isPrintableAscii(line);
    // The HTML-escaped SSI lines (&lt;!--#exec ...) are an escaping artefact of the list, not a payload a client sends.
    case 'cmdi': return !line.includes('&lt;') && SHELL_SEPARATOR.test(line) && SHELL_COMMAND.test(line);
    default: return false;
  }
}

export function isPrintableAscii(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

/** `take` items spread evenly over `items`, in their order (all of them when there are fewer). */
export function spread<T>(items: readonly T[], take: number): T[] {
  if (items.length <= take) return [...items];
  return Array.from({ length: take }, (_, i) => items[Math.floor(i * items.length / take)]);
}
