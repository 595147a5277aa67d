/**
 * Polls `check` every `everyMs` until it holds; fails after `withinMs`. The bound is generous, not a
 * timing claim: it only turns a condition that never comes into a failure that says so, before jest's
 * own hang limit. `describe` adds what was seen last to that failure.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  withinMs = 15_000,
  options: { everyMs?: number; describe?: () => string } = {},
): Promise<void> {
  const { everyMs = 25, describe } = options;
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${withinMs} ms${describe ? `: ${describe()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
