import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import type { AiGateway, GatewayChildren } from './gateway';

/**
 * A construct that belongs to one gateway (a route, MCP server, extension, consumer, service,
 * service source or domain): it records its gateway and registers with it. A plain-JS caller may
 * pass no props at all: the constructor never throws, and the rules say what is missing.
 */
export abstract class GatewayChild<P extends { readonly gateway: unknown }> extends Construct {
  /** The gateway this belongs to. */
  public readonly gateway: P['gateway'];
  /**
   * The props as given (an empty object when a plain-JS caller passed none). The construct's own:
   * each one resolves what it needs into public readonly fields, defaults filled in.
   */
  protected readonly props: P;

  protected constructor(scope: Construct, id: string, props: P | undefined, kind: keyof GatewayChildren) {
    super(scope, id);
    this.props = props ?? ({} as P);
    this.gateway = this.props.gateway;
    const gateway = this.gateway as Partial<AiGateway> | undefined;
    if (!gateway || typeof gateway._attach !== 'function') {
      // Synth fails naming the construct, instead of a constructor crash.
      Annotations.of(this).addError(`${this.node.path}: props.gateway must be an AiGateway, found ${gateway === undefined ? 'nothing' : typeof gateway}. Pass { gateway }.`);
      return;
    }
    gateway._attach(kind, this as never);
  }
}
