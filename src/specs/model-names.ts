/**
 * How a model name with `*` wildcards answers to a requested name: `*` matches any run of characters, over
 * the whole name. One definition for the data plane's model matcher and the synth rules that foresee it.
 */
export function modelNamePattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
