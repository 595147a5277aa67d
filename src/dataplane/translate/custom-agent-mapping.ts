/**
 * The two halves of a custom agent's declared mapping, with no knowledge of OpenAI: filling a JSON
 * request template's `{{placeholders}}`, and reading a value at a dotted path of a JSON answer.
 */
import { AGENT_MAPPING_PLACEHOLDERS, type AgentMappingPlaceholder, mappingPlaceholderPattern } from '../../specs';

/** What each placeholder stands for in one request: any JSON value (`messages` an array, `conversationId` possibly null). */
export type PlaceholderValues = { readonly [P in AgentMappingPlaceholder]: unknown };

/** A string value that is exactly one placeholder: replaced by the value itself, whatever its JSON type. */
const WHOLE_PLACEHOLDER = /^\{\{([^{}]*)\}\}$/;

const isPlaceholder = (name: string): name is AgentMappingPlaceholder => (AGENT_MAPPING_PLACEHOLDERS as readonly string[]).includes(name);

/** The placeholders a template uses (the config schema has refused unknown ones and placeholders in keys). */
export function placeholdersOf(template: unknown, out = new Set<AgentMappingPlaceholder>()): ReadonlySet<AgentMappingPlaceholder> {
  if (typeof template === 'string') {
    for (const m of template.matchAll(mappingPlaceholderPattern())) if (isPlaceholder(m[1])) out.add(m[1]);
  } else if (Array.isArray(template)) {
    for (const v of template) placeholdersOf(v, out);
  } else if (template !== null && typeof template === 'object') {
    for (const v of Object.values(template)) placeholdersOf(v, out);
  }
  return out;
}

/** Compiled once: `replace` with a global pattern starts from 0 each call, so one instance serves every request. */
const PLACEHOLDERS = mappingPlaceholderPattern();

/**
 * The template with its placeholders filled: a string that is one placeholder becomes its value (an
 * array stays an array, null stays null); a placeholder inside a longer string becomes its text (a
 * string as it is, null as '', anything else as JSON). Keys, numbers, booleans and null are kept.
 */
export function fillTemplate(template: unknown, values: PlaceholderValues): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    if (whole && isPlaceholder(whole[1])) return values[whole[1]];
    return template.replace(PLACEHOLDERS, (text, name: string) => (isPlaceholder(name) ? textOf(values[name]) : text));
  }
  if (Array.isArray(template)) return template.map((v) => fillTemplate(v, values));
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    // Defined, not assigned: a `__proto__` key is kept as the key it is, never the prototype.
    for (const [key, v] of Object.entries(template)) {
      Object.defineProperty(out, key, { value: fillTemplate(v, values), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return template;
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What a dotted path found: the value, or where it stopped and what was there instead. */
export type PathLookup =
  | { readonly found: true; readonly value: unknown }
  | { readonly found: false; readonly missing: string; readonly at: string; readonly there: string };

/**
 * The value at a dotted path (`output.text`, `choices.0.message.content`): object keys, and array
 * indexes as decimal numbers. A null on the way, or at the end, is not found.
 */
export function readPath(doc: unknown, path: string): PathLookup {
  let value = doc;
  const segments = path.split('.');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const at = i === 0 ? 'the answer' : `'${segments.slice(0, i).join('.')}'`;
    let next: unknown;
    if (Array.isArray(value)) {
      next = /^(0|[1-9][0-9]*)$/.test(segment) ? value[Number(segment)] : undefined;
    } else if (value !== null && typeof value === 'object') {
      next = Object.prototype.hasOwnProperty.call(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
    }
    if (next === undefined || next === null) return { found: false, missing: segment, at, there: describeValue(value) };
    value = next;
  }
  return { found: true, value };
}

/** A value as an error message shows it: an object's keys, an array's length, else its type. */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an object with no keys';
    const shown = keys.slice(0, 20).map((k) => JSON.stringify(k.slice(0, 64)));
    return `an object with keys ${shown.join(', ')}${keys.length > 20 ? ` and ${keys.length - 20} more` : ''}`;
  }
  return `a ${typeof value}`;
}
