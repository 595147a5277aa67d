import { LIBRARY_VERSION } from '../specs';
import type { AiGateway } from './gateway';
import type { LockEntry } from './lock-file';

/** The image tag a gateway runs. Dedicated: pinned (prop, then lock, then this library's version). Serverless: the fleet's floating channel. */
export function gatewayImageTag(g: AiGateway, locked: LockEntry | undefined): string {
  if (g.edition === 'serverless') return g.fleet.serverless.imageChannel;
  return g.version ?? (locked?.edition === 'dedicated' ? locked.imageVersion : undefined) ?? LIBRARY_VERSION;
}
