import { LIBRARY_VERSION } from '../specs';
import type { AiGateway, DedicatedGatewayProps } from './gateway';
import type { LockEntry } from './lock-file';
import { imageChannel } from './serverless-scaling';

/** The image tag a gateway runs. Dedicated: pinned (prop, then lock, then this library's version). Serverless: the fleet's floating channel. */
export function gatewayImageTag(g: AiGateway, locked: LockEntry | undefined): string {
  if (g.edition === 'serverless') return imageChannel(g.fleet);
  return (g.props as DedicatedGatewayProps).version ?? (locked?.edition === 'dedicated' ? locked.imageVersion : undefined) ?? LIBRARY_VERSION;
}
