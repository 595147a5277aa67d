import { PORTS, PROBE_PATHS, TERMINATION_GRACE_PERIOD_SECONDS } from '../specs';
import { parseFlags, portFlag } from './args';

export const PRESTOP_USAGE = 'aigw prestop [--admin-port N]';

/**
 * The Deployment's preStop hook, run by kubelet inside the container: asks the gateway on the
 * loopback admin port to report not-ready and waits until its drain delay has passed. An exec hook
 * (not an httpGet) because the admin port is reachable from the whole cluster, and only the pod
 * itself may take a replica out of service: the gateway answers this path on loopback only.
 */
export async function prestop(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, { 'admin-port': 'string' });
  const port = portFlag('admin-port', flags['admin-port']) ?? PORTS.admin;
  const url = `http://127.0.0.1:${port}${PROBE_PATHS.preStop}`;
  try {
    // kubelet stops waiting at the grace period anyway; this bound only keeps a wedged hook from outliving it.
    const res = await fetch(url, { signal: AbortSignal.timeout(TERMINATION_GRACE_PERIOD_SECONDS * 1000) });
    const text = (await res.text()).trim();
    if (res.ok) return 0;
    process.stderr.write(`aigw prestop: ${url} answered ${res.status}: ${text}\n`);
  } catch (e) {
    process.stderr.write(`aigw prestop: ${url}: ${(e as Error).message}. Is 'aigw serve' running with '--admin-port ${port}'?\n`);
  }
  return 1;
}
