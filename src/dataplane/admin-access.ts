import { isIP } from 'net';

/**
 * Whether a connection comes from inside the pod (loopback). The admin port is reachable from the
 * whole cluster (Prometheus scrapes it); the paths that change the replica's state answer only here.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}
