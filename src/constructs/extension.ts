import { Construct } from 'constructs';
import { attachToGateway } from './attach';
import type { Edition } from '../specs';
import type { AiGateway } from './gateway';

/** Serverless gateways have only the built-in system extensions. */
export type ExtensionSourceFor<E extends Edition> = E extends 'dedicated' ? 'system' | 'marketplace' | 'custom' : 'system';
export type ExtensionSource = ExtensionSourceFor<'dedicated'>;
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

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
export class Extension<E extends Edition = Edition> extends Construct {
  public readonly gateway: AiGateway<E>;

  public constructor(scope: Construct, id: string, public readonly props: ExtensionProps<E>) {
    super(scope, id);
    props = props ?? ({} as typeof props);
    (this as { props: typeof props }).props = props;
    this.gateway = props.gateway;
    attachToGateway(this as unknown as Extension, props, 'extensions');
  }

  public get enabled(): boolean {
    return this.props.enabled ?? true;
  }

  public get source(): ExtensionSource {
    return this.props.source as ExtensionSource;
  }
}
