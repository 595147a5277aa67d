/**
 * A form's fields as the WAF reads a body: every value of a repeated name (a parser upstream may take the last), in an
 * object without a prototype (a field named `__proto__` or `toString` is a field like any other, not a way to hide one).
 */
export function formFieldsOf(pairs: Iterable<readonly [string, string]>): Record<string, string | string[]> {
  const fields = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of pairs) {
    const seen = fields[name];
    fields[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return fields;
}
