import { resolve } from 'path';
import type { Construct, IConstruct } from 'constructs';
import type { SystemExtension } from '../extensions/catalog-types';
import { type Edition, EXTENSION_BUDGETS_MS, type ExtensionConfig } from '../specs';
import { type BundleResult, bundleExtension } from './extension-bundle';
import type { AiGateway } from './gateway';
import { GatewayChild } from './gateway-child';
import type { SecretRef } from './secret-ref';
import { findMarketplaceExtension } from '../extensions/marketplace';
import { SYSTEM_EXTENSIONS, type SystemExtensionConfigs, type SystemExtensionName } from '../extensions/system';

/** Each App's custom extension bundles, by module path and allow-list. */
const BUNDLES = new WeakMap<IConstruct, Map<string, BundleResult>>();

/** The catalog entry of a system or marketplace extension (the version asked for, else the latest); undefined for any other. */
function cataloged(source: ExtensionSource, name: unknown, version: unknown): Pick<SystemExtension, 'phase' | 'priority' | 'failPolicy' | 'asyncBudgetMs'> | undefined {
  if (typeof name !== 'string') return undefined;
  if (source === 'system') return Object.prototype.hasOwnProperty.call(SYSTEM_EXTENSIONS, name) ? SYSTEM_EXTENSIONS[name] : undefined;
  if (source === 'marketplace') return findMarketplaceExtension(name, typeof version === 'string' ? version : undefined);
  return undefined;
}

/** Serverless gateways have only the built-in system extensions. */
export type ExtensionSourceFor<E extends Edition> = E extends 'dedicated' ? 'system' | 'marketplace' | 'custom' : 'system';
export type ExtensionSource = ExtensionSourceFor<'dedicated'>;
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What every extension may set, whatever its source. */
export interface ExtensionCommonOptions {
  /** @default - the latest for marketplace extensions */
  readonly version?: string;
  /**
   * Custom extensions: the path to the local module (`.ts`, `.mts`, `.js` or `.mjs`; absolute, or relative to the
   * working directory), whose default export is `defineExtension({ ... })` from `cdktf-ai-gateway/extensions`.
   * Synth bundles it and what it imports into one file, shipped in the gateway's config. Required for 'custom'.
   * @default - none
   */
  readonly modulePath?: string;
  /**
   * Custom extensions: packages the module may import that are not bundled in but required at run time from the
   * gateway's own node_modules (cdktf-ai-gateway's dependencies, such as `zod`); a subpath of one is allowed too.
   * Any other package the module imports fails synth. Node's builtins are always available.
   * @default - none
   */
  readonly allowedModules?: string[];
  /** @default - the catalog's phase for a system or marketplace extension, else 'default' */
  readonly phase?: 'authn' | 'authz' | 'stats' | 'default';
  /** Higher runs first within a phase. @default - the catalog's priority for a system or marketplace extension, else 100 */
  readonly priority?: number;
  /** What happens to a request when the extension fails. @default - the catalog's for a system or marketplace extension (open for caches, statistics and audit lines), else 'closed' */
  readonly failPolicy?: 'open' | 'closed';
  /**
   * The time a synchronous hook call should take, from 0.1 to 1,000 ms: an overrun is measured, logged and counted
   * (`aigw_extension_budget_overruns_total`), never stopped (JavaScript cannot preempt a running function).
   * @default 5
   */
  readonly syncBudgetMs?: number;
  /**
   * The time an async hook call may take, from 1 to 60,000 ms: past it the call is abandoned (its `ctx.signal`
   * aborts) and `failPolicy` decides the request.
   * @default - the catalog's for a system or marketplace extension (token-quota: 500), else 50
   */
  readonly asyncBudgetMs?: number;
  /**
   * Config fields whose values are Secret keys, e.g. `{ secret: { secretName: 'hmac', key: 'v1' } }` for hmac-auth:
   * the Secret is mounted in the gateway's pods and the data plane puts its value under that field at load (and on a
   * rotation), so the value is never in the config, the ConfigMap or Terraform state. A field is given here or in
   * `config`, not both.
   * @default - none
   */
  readonly secrets?: { readonly [configField: string]: SecretRef };
  /** @default true */
  readonly enabled?: boolean;
}

/** A system extension: its name is one the gateway ships, and `config` is typed by it (`config: { ttlSeconds: 60 }` for `ai-cache`). */
export type SystemExtensionOptions = {
  readonly [N in SystemExtensionName]: ExtensionCommonOptions & {
    /** The system extension's catalog name. */
    readonly name: N;
    readonly source: 'system';
    /** Its settings, checked against its schema at synth. @default {} */
    readonly config?: SystemExtensionConfigs[N];
  };
}[SystemExtensionName];

/** A marketplace or custom extension (Dedicated gateways only). */
export interface PluggedExtensionOptions<E extends Edition = Edition> extends ExtensionCommonOptions {
  /** The marketplace's catalog name, or the custom module's `name`. */
  readonly name: string;
  readonly source: NoInfer<Exclude<ExtensionSourceFor<E>, 'system'>>;
  /** Its settings (a marketplace extension's are checked against its manifest's schema at synth). @default {} */
  readonly config?: { [key: string]: JsonValue };
}

/** An extension of a gateway of edition E: built in (typed by name), or, on Dedicated, from the marketplace or your own module. */
export type ExtensionOptions<E extends Edition = Edition> = SystemExtensionOptions | PluggedExtensionOptions<E>;

export type ExtensionProps<E extends Edition = Edition> = ExtensionOptions<E> & {
  readonly gateway: AiGateway<E>;
};

/** A plugin in the gateway's request path. Marketplace and custom extensions need a Dedicated gateway. */
export class Extension<E extends Edition = Edition> extends GatewayChild<ExtensionProps<E>> {
  /** The extension's name (for system and marketplace extensions, the catalog name). */
  public readonly name: string;
  /** Built in, from the marketplace, or your own module. */
  public readonly source: ExtensionSource;
  /** @default - the latest for marketplace extensions */
  public readonly version?: string;
  /** Custom extensions: the path to the local module. @default - none */
  public readonly modulePath?: string;
  /** Custom extensions: packages required at run time instead of bundled. @default - none */
  public readonly allowedModules: readonly string[];
  /** @default - the catalog's phase for a system or marketplace extension, else 'default' */
  public readonly phase: 'authn' | 'authz' | 'stats' | 'default';
  /** Higher runs first within a phase. @default - the catalog's priority for a system or marketplace extension, else 100 */
  public readonly priority: number;
  /** What happens to a request when the extension fails. @default - the catalog's for a system or marketplace extension (open for caches, statistics and audit lines), else 'closed' */
  public readonly failPolicy: 'open' | 'closed';
  /** A synchronous hook call's budget (measured, never stopped). @default 5 */
  public readonly syncBudgetMs: number;
  /** An async hook call's budget (abandoned past it). @default - the catalog's (token-quota: 500), else 50 */
  public readonly asyncBudgetMs: number;
  /** @default {} */
  public readonly config: { readonly [key: string]: JsonValue };
  /** Config fields read from Secret keys at load. @default - none */
  public readonly secrets: { readonly [configField: string]: SecretRef };
  /** @default true */
  public readonly enabled: boolean;

  public constructor(scope: Construct, id: string, props: ExtensionProps<E>) {
    super(scope, id, props, 'extensions');
    const p = this.props;
    this.name = p.name;
    this.source = p.source as ExtensionSource;
    this.version = p.version;
    this.modulePath = p.modulePath;
    this.allowedModules = p.allowedModules ?? [];
    // A system or marketplace extension runs where its catalog entry says unless the props say otherwise.
    const listed = cataloged(p.source as ExtensionSource, p.name, p.version);
    this.phase = p.phase ?? listed?.phase ?? 'default';
    // Only an absent priority takes the default: a plain-JS `null` stays, for the extensions rule to report.
    this.priority = p.priority === undefined ? (listed?.priority ?? 100) : p.priority;
    this.failPolicy = p.failPolicy ?? listed?.failPolicy ?? 'closed';
    this.syncBudgetMs = p.syncBudgetMs ?? EXTENSION_BUDGETS_MS.sync.default;
    this.asyncBudgetMs = p.asyncBudgetMs ?? listed?.asyncBudgetMs ?? EXTENSION_BUDGETS_MS.async.default;
    this.config = p.config ?? {};
    this.secrets = p.secrets ?? {};
    this.enabled = p.enabled ?? true;
  }

  /**
   * @internal A custom extension's module, bundled at synth, never in the constructor: once per App (a synth
   * builds its App anew) for each module and allow-list, however many extensions share them. Undefined for other
   * sources and for a modulePath that is not a string (the extensions rule reports it).
   */
  public _bundle(): BundleResult | undefined {
    if (this.source !== 'custom' || typeof this.modulePath !== 'string') return undefined;
    // A plain-JS caller's allowedModules that is not a list of strings is the bundle rule's to report.
    const allowed = Array.isArray(this.allowedModules) ? this.allowedModules.filter((m) => typeof m === 'string') : [];
    let bundles = BUNDLES.get(this.node.root);
    if (!bundles) BUNDLES.set(this.node.root, (bundles = new Map()));
    const key = JSON.stringify([resolve(this.modulePath), allowed]);
    let result = bundles.get(key);
    if (!result) bundles.set(key, (result = bundleExtension(this.modulePath, allowed)));
    return result;
  }

  /**
   * @internal What the uploaded-custom-extensions quota counts: the bundle's SHA-256, so that one bundle counts
   * once; a module that does not bundle counts as its own (the bundle rule reports it).
   */
  public _bundleIdentity(): string {
    const result = this._bundle();
    return result?.ok ? result.bundle.sha256 : `unbundled:${this.node.path}`;
  }

  /** @internal The extension's entry in `extensions`. */
  public _toConfig(): ExtensionConfig {
    const version = this.version ?? (this.source === 'marketplace' ? findMarketplaceExtension(this.name)?.version : undefined);
    let bundle: ExtensionConfig['bundle'];
    if (this.source === 'custom') {
      const result = this._bundle();
      // The bundle rule reports each problem at this construct; this only stops the render.
      if (!result?.ok) throw new Error(result ? result.problems[0] : `modulePath must be a path, found ${JSON.stringify(this.modulePath)}`);
      bundle = result.bundle;
    }
    return {
      name: this.name,
      source: this.source,
      // A marketplace extension without a version is pinned to the catalog's latest at synth: a later image never changes what runs.
      ...(version !== undefined && { version }),
      ...(bundle && { bundle }),
      phase: this.phase,
      priority: this.priority,
      failPolicy: this.failPolicy,
      // Only a budget that differs from the default is written: configs of extensions that keep them stay as they were.
      ...(this.syncBudgetMs !== EXTENSION_BUDGETS_MS.sync.default && { syncBudgetMs: this.syncBudgetMs }),
      ...(this.asyncBudgetMs !== EXTENSION_BUDGETS_MS.async.default && { asyncBudgetMs: this.asyncBudgetMs }),
      enabled: this.enabled,
      config: this.config as ExtensionConfig['config'],
      ...(Object.keys(this.secrets).length > 0 && { secrets: { ...this.secrets } }),
    };
  }
}
