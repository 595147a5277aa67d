/**
 * Runs one section of a bench: a failure is logged and recorded in `errors` (the report lists it) and
 * the run goes on with the next section. Resolves the section's value, or undefined when it failed.
 */
export async function attempt<T>(name: string, fn: () => Promise<T>, errors: string[], log: (line: string) => void): Promise<T | undefined> {
  log(`== ${name}`);
  try {
    return await fn();
  } catch (e) {
    const message = `${name}: ${(e as Error).message.slice(0, 1500)}`;
    log(`FAILED ${message}`);
    errors.push(message);
    return undefined;
  }
}
