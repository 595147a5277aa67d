import type { Construct } from 'constructs';
import type { Edition, GatewayConfig } from '../specs';
import type { AiGateway } from './gateway';
import { GatewayChild } from './gateway-child';

/** Serverless gateways have only the built-in system extensions. */
export type ExtensionSourceFor<E extends Edition> = E extends 'dedicated' ? 'system' | 'marketplace' | 'custom' : 'system';
export type ExtensionSource = ExtensionSourceFor<'dedicated'>;
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type ExtensionConfig = GatewayConfig['extensions'][number];

export interface ExtensionOptions<E extends Edition = Edition> {
  /** The extension's name (for system and marketplace extensions, the catalog name). */
  readonly name: string;
  /** Built in, from the marketplace, or your own module (Dedicated only for the last two). */
  readonly source: NoInfer<ExtensionSourceFor<E>>;
  /** @default - the latest for marketplace extensions */
  readonly version?: string;
  /** Custom extensions: the path to the local module. Required for 'custom'. @default - none */
  readonly modulePath?: string;
  /** @default 'default' */
  readonly phase?: 'authn' | 'authz' | 'stats' | 'default';
  /** Higher runs first within a phase. @default 100 */
  readonly priority?: number;
  /** What happens to a request when the extension fails. @default 'closed' */
  readonly failPolicy?: 'open' | 'closed';
  /** @default {} */
  readonly config?: { [key: string]: JsonValue };
  /** @default true */
  readonly enabled?: boolean;
}

export interface ExtensionProps<E extends Edition = Edition> extends ExtensionOptions<E> {
  readonly gateway: AiGateway<E>;
}

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
  /** @default 'default' */
  public readonly phase: 'authn' | 'authz' | 'stats' | 'default';
  /** Higher runs first within a phase. @default 100 */
  public readonly priority: number;
  /** What happens to a request when the extension fails. @default 'closed' */
  public readonly failPolicy: 'open' | 'closed';
  /** @default {} */
  public readonly config: { readonly [key: string]: JsonValue };
  /** @default true */
  public readonly enabled: boolean;

  public constructor(scope: Construct, id: string, props: ExtensionProps<E>) {
    super(scope, id, props, 'extensions');
    const p = this.props;
    this.name = p.name;
    this.source = p.source as ExtensionSource;
    this.version = p.version;
    this.modulePath = p.modulePath;
    this.phase = p.phase ?? 'default';
    // Only an absent priority takes the default: a plain-JS `null` stays, for the extensions rule to report.
    this.priority = p.priority === undefined ? 100 : p.priority;
    this.failPolicy = p.failPolicy ?? 'closed';
    this.config = p.config ?? {};
    this.enabled = p.enabled ?? true;
  }

  /** @internal The extension's entry in `extensions`. */
  public _toConfig(): ExtensionConfig {
    return {
      name: this.name,
      source: this.source,
      ...(this.version !== undefined && { version: this.version }),
      ...(this.modulePath !== undefined && { module: this.modulePath }),
      phase: this.phase,
      priority: this.priority,
      failPolicy: this.failPolicy,
      enabled: this.enabled,
      config: this.config as ExtensionConfig['config'],
    };
  }
}
