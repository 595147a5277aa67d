import { type ModelEntryConfig, modelNamePattern } from '../../specs';

/** Model names of a route, compiled: exact names and aliases in a map, `*` patterns as regexes, in order. */
export class ModelMatcher<M> {
  private readonly exact = new Map<string, M>();
  private readonly patterns: { regex: RegExp; model: M }[] = [];

  public constructor(entries: readonly { entry: ModelEntryConfig; model: M }[]) {
    for (const { entry, model } of entries) {
      for (const name of [entry.name, ...entry.aliases]) {
        if (name.includes('*')) this.patterns.push({ regex: modelNamePattern(name), model });
        else if (!this.exact.has(name)) this.exact.set(name, model);
      }
    }
  }

  public match(requested: string): M | undefined {
    const hit = this.exact.get(requested);
    if (hit) return hit;
    for (const p of this.patterns) if (p.regex.test(requested)) return p.model;
    return undefined;
  }

  /** The names a client can list (patterns are not listable). */
  public listable(): string[] {
    return [...this.exact.keys()];
  }

  /** The listable names with the model each one is. */
  public listableModels(): { id: string; model: M }[] {
    return [...this.exact].map(([id, model]) => ({ id, model }));
  }
}
