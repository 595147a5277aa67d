/**
 * Props as plain-JS callers may pass them: constructors resolve defaults without throwing, whatever
 * they are given, and keep a value of the wrong type as it is, for the rules and the config schema
 * to report at the construct and prop.
 */

/** Each item mapped when `list` is an array; otherwise the value as given (`[]` when absent). */
export function listOf<T, U>(list: readonly T[] | undefined, map: (item: T, index: number) => U): U[] {
  if (list === undefined || list === null) return [];
  return Array.isArray(list) ? list.map(map) : (list as unknown as U[]);
}
