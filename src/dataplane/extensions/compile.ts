import { loadBundle } from './bundle';
import type { ExtensionDefinition, ExtensionPhase, JsonObject } from '../../extensions';
import { EXTENSION_PHASES } from '../../extensions';
import { findMarketplaceExtension, marketplaceVersions } from '../../extensions/marketplace';
import { SYSTEM_EXTENSIONS } from '../../extensions/system';
import { EXTENSION_BUDGETS_MS, type GatewayConfig, type SecretRef } from '../../specs';

/** An extension as the config declares it. */
export type ExtensionEntry = GatewayConfig['extensions'][number];

/** The hooks the gateway runs, in the order a request meets them. */
export const HOOKS = ['onRequest', 'onResponse', 'onStreamChunk', 'onStreamEnd', 'onLog', 'onToolCall', 'onToolResult', 'onAdmin'] as const;
export type HookName = (typeof HOOKS)[number];

/**
 * Time budgets of a hook call unless the extension's entry sets its own (`syncBudgetMs`, `asyncBudgetMs`). A hook
 * that returns a promise is async (its whole run counts, abandoned past the budget); one that returns at once is
 * sync (measured and reported past the budget, never preempted: JavaScript cannot stop a running function).
 */
export const SYNC_BUDGET_MS = EXTENSION_BUDGETS_MS.sync.default;
export const ASYNC_BUDGET_MS = EXTENSION_BUDGETS_MS.async.default;

/** One enabled extension, resolved and configured at config load. */
export interface CompiledExtension {
  /** Its name in the config: the `extension` label of its metrics, the prefix of its KV keys, its log lines' `extension`. */
  readonly name: string;
  readonly phase: ExtensionPhase;
  readonly priority: number;
  readonly failPolicy: 'open' | 'closed';
  /** The config after the definition's `parseConfig`. */
  readonly config: JsonObject;
  readonly definition: ExtensionDefinition;
  /** Where its KV keys live in the gateway's store. */
  readonly kvPrefix: string;
  readonly syncBudgetMs: number;
  readonly asyncBudgetMs: number;
}

/** The extensions of a config: all of them in run order, and per hook those that define it (the stages check a length, nothing more). */
export interface CompiledExtensions {
  readonly all: readonly CompiledExtension[];
  readonly onRequest: readonly CompiledExtension[];
  readonly onResponse: readonly CompiledExtension[];
  readonly onStreamChunk: readonly CompiledExtension[];
  readonly onStreamEnd: readonly CompiledExtension[];
  readonly onLog: readonly CompiledExtension[];
  readonly onToolCall: readonly CompiledExtension[];
  readonly onToolResult: readonly CompiledExtension[];
  /** By name: the admin listener's `/extensions/<name>/…` (only extensions that define onAdmin). */
  readonly onAdmin: ReadonlyMap<string, CompiledExtension>;
}

export const NO_EXTENSIONS: CompiledExtensions = Object.freeze({
  all: [],
  onRequest: [],
  onResponse: [],
  onStreamChunk: [],
  onStreamEnd: [],
  onLog: [],
  onToolCall: [],
  onToolResult: [],
  onAdmin: new Map(),
});

/** Finds the definition an entry names; throws an Error saying what is missing. */
export type ExtensionResolver = (entry: ExtensionEntry) => ExtensionDefinition;

/** A Secret key's value, or undefined when it cannot be read (the reader reports it as a config problem). */
export type ExtensionSecretReader = (ref: SecretRef, where: string) => string | undefined;

/**
 * The enabled extensions of a config, each resolved (system catalog, marketplace catalog by name and version, or a
 * custom bundle), its config checked by its `parseConfig`, ordered by phase (authn, authz, stats, default), then
 * priority descending, then declaration order. Every problem is pushed to `problems` (the config is then refused,
 * and a reload keeps the last good one).
 */
export function compileExtensions(
  entries: readonly ExtensionEntry[],
  problems: string[],
  resolve: ExtensionResolver = resolveDefinition,
  readSecret: ExtensionSecretReader = () => undefined,
): CompiledExtensions {
  const compiled: CompiledExtension[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    if (!entry.enabled) return;
    const where = `extensions[${i}] (${entry.name})`;
    const other = seen.get(entry.name);
    if (other !== undefined) {
      problems.push(`${where}: extensions[${other}] has the same name; an extension runs once per gateway: merge their configs into one entry`);
      return;
    }
    seen.set(entry.name, i);
    let definition: ExtensionDefinition;
    let config: JsonObject;
    try {
      definition = resolve(entry);
    } catch (e) {
      problems.push(`${where}: ${messageOf(e)}`);
      return;
    }
    const declared = withSecrets(entry, where, readSecret);
    if (declared === undefined) return;
    try {
      config = definition.parseConfig ? definition.parseConfig(declared) : declared;
    } catch (e) {
      problems.push(`${where}: its config is refused: ${messageOf(e)}`);
      return;
    }
    compiled.push({
      name: entry.name,
      phase: entry.phase,
      priority: entry.priority,
      failPolicy: entry.failPolicy,
      config,
      definition,
      kvPrefix: `ext:${entry.name}:`,
      syncBudgetMs: entry.syncBudgetMs ?? SYNC_BUDGET_MS,
      asyncBudgetMs: entry.asyncBudgetMs ?? ASYNC_BUDGET_MS,
    });
  });
  if (compiled.length === 0) return NO_EXTENSIONS;
  // Array.prototype.sort is stable: equal phase and priority keep the declaration order.
  compiled.sort((a, b) => EXTENSION_PHASES.indexOf(a.phase) - EXTENSION_PHASES.indexOf(b.phase) || b.priority - a.priority);
  const defining = (hook: HookName) => compiled.filter((e) => typeof e.definition[hook] === 'function');
  return {
    all: compiled,
    onRequest: defining('onRequest'),
    onResponse: defining('onResponse'),
    onStreamChunk: defining('onStreamChunk'),
    onStreamEnd: defining('onStreamEnd'),
    onLog: defining('onLog'),
    onToolCall: defining('onToolCall'),
    onToolResult: defining('onToolResult'),
    onAdmin: new Map(defining('onAdmin').map((e) => [e.name, e])),
  };
}

/**
 * The entry's config with its `secrets` read into their fields (hmac-auth's `secret`); undefined when one cannot be
 * read (the reader has pushed the problem). The values live in the compiled config only: never logged, never written.
 */
function withSecrets(entry: ExtensionEntry, where: string, readSecret: ExtensionSecretReader): JsonObject | undefined {
  const config = entry.config as JsonObject;
  if (!entry.secrets) return config;
  const out: JsonObject = { ...config };
  let complete = true;
  for (const [field, ref] of Object.entries(entry.secrets)) {
    const value = readSecret(ref, `${where}.secrets.${field}`);
    if (value === undefined) complete = false;
    else out[field] = value;
  }
  return complete ? out : undefined;
}

/** The run order, as `aigw serve` logs it at load: `phase/priority/name`. */
export function extensionOrder(extensions: CompiledExtensions): string[] {
  return extensions.all.map((e) => `${e.phase}/${e.priority}/${e.name}`);
}

/** The gateway's own resolution: the catalogs shipped with the package, and custom bundles from the config. */
function resolveDefinition(entry: ExtensionEntry): ExtensionDefinition {
  if (entry.source === 'system') {
    const system = Object.hasOwn(SYSTEM_EXTENSIONS, entry.name) ? SYSTEM_EXTENSIONS[entry.name] : undefined;
    if (!system) throw new Error(`'${entry.name}' is not a system extension of this data plane version (it has: ${Object.keys(SYSTEM_EXTENSIONS).join(', ') || 'none'})`);
    return system.definition as ExtensionDefinition;
  }
  if (entry.source === 'marketplace') {
    const manifest = findMarketplaceExtension(entry.name, entry.version);
    if (!manifest) {
      const versions = marketplaceVersions(entry.name);
      const has = versions.length > 0 ? `its versions are ${versions.join(', ')}` : 'the catalog has no extension of that name';
      throw new Error(`marketplace extension '${entry.name}'${entry.version ? ` version ${entry.version}` : ''} is not in this data plane's catalog (${has})`);
    }
    return manifest.definition as ExtensionDefinition;
  }
  const bundle = entry.bundle;
  if (!bundle) throw new Error('a custom extension needs its bundle in the config (synthesize the gateway again with this package version)');
  // A bundle already loaded (an earlier config of this process) is not run again: a reload that keeps it costs nothing,
  // and its top-level code (timers, caches) runs once. Keyed by the name too: the definition is checked against it.
  const key = `${entry.name}\0${bundle.sha256}\0${(bundle.requires ?? []).join(',')}`;
  let definition = LOADED_BUNDLES.get(key);
  if (!definition) {
    definition = loadBundle(bundle, entry.name);
    LOADED_BUNDLES.set(key, definition);
    // Bounded: a process that saw many bundle versions forgets the oldest (its configs are long gone).
    if (LOADED_BUNDLES.size > MAX_LOADED_BUNDLES) LOADED_BUNDLES.delete(LOADED_BUNDLES.keys().next().value!);
  }
  return definition;
}

/** Custom extensions loaded by this process, by name, sha256 and allowed modules. */
const LOADED_BUNDLES = new Map<string, ExtensionDefinition>();
const MAX_LOADED_BUNDLES = 256;

function messageOf(e: unknown): string {
  return String((e as Error | undefined)?.message ?? e).slice(0, 1000);
}
