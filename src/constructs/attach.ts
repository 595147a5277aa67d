import { Annotations } from 'cdktf';
import type { Construct } from 'constructs';
import type { AiGateway, GatewayChildren } from './gateway';

/**
 * Registers a child with its gateway. A plain-JS caller that passes no gateway gets an error
 * annotation (synth fails, naming the construct) instead of a constructor crash.
 */
export function attachToGateway<K extends keyof GatewayChildren>(
  child: GatewayChildren[K][number] & Construct,
  props: { gateway?: AiGateway } | undefined,
  kind: K,
): void {
  const gateway = props?.gateway;
  if (!gateway || typeof gateway._attach !== 'function') {
    Annotations.of(child).addError(`${child.node.path}: props.gateway must be an AiGateway, found ${gateway === undefined ? 'nothing' : typeof gateway}. Pass { gateway }.`);
    return;
  }
  gateway._attach(kind, child);
}
