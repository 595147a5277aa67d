import type { IConstruct } from 'constructs';
import { PORTS } from '../specs';
import type { AiGateway } from './gateway';

/** A construct that declares an unserved feature, and how messages call it. */
interface Declaration {
  readonly construct: IConstruct;
  /** e.g. `MCP server 'weather'`. */
  readonly name: string;
}

/** One feature the constructs accept and the config carries, but the data plane does not serve yet. */
interface UnservedFeature {
  /** The constructs of one gateway that declare it: each gets the warning. */
  readonly declaredBy: (gateway: AiGateway) => Declaration[];
  /** What does not happen today. */
  readonly effect: string;
  /** What the user can do until it is served. */
  readonly instead: string;
}

/**
 * What the data plane does not serve yet (the construct side of src/dataplane/unserved.ts). Each
 * entry is one warning at synth, on every construct that declares it; a later issue that serves a
 * feature deletes its entry, and the warning goes with it.
 */
export const UNSERVED_FEATURES = {
  domainTls: {
    // Serverless domains are served: the fleet's shared Ingress terminates their TLS.
    declaredBy: (g) =>
      g.edition === 'dedicated' ? g.children.domains.filter((d) => d.tls).map((d) => ({ construct: d, name: `the TLS of domain '${d.hostname}'` })) : [],
    effect: `the data plane does not terminate TLS: nothing listens on port ${PORTS.trafficTls}, where the LoadBalancer's port 443 forwards`,
    instead:
      'Terminate TLS in front of the gateway for now (e.g. a TLS listener on your cloud load balancer, set with endpoint.serviceAnnotations, forwarding to port 80), or remove tls to silence this warning.',
  },
  hardwareAcceleration: {
    declaredBy: (g) => {
      const accel = g.hardwareAcceleration;
      return accel.tls || accel.compression ? [{ construct: g, name: `hardware acceleration of gateway '${g.gatewayName}'` }] : [];
    },
    effect: 'QAT offload is not used: TLS and compression run in software, yet the pods still request QAT devices and schedule only on nodes that have them',
    instead: 'Remove hardwareAcceleration to schedule on any node.',
  },
  bandwidthMbps: {
    // Only when declared: the default is a cap nobody asked for.
    declaredBy: (g) => (g._input.bandwidthMbps !== undefined ? [{ construct: g, name: `the bandwidth limit of gateway '${g.gatewayName}' (bandwidthMbps: ${g._input.bandwidthMbps})` }] : []),
    effect:
      'the data plane does not shape bandwidth: each pod carries its share as kubernetes.io/ingress-bandwidth and kubernetes.io/egress-bandwidth annotations, which only a cluster whose CNI chain includes the bandwidth plugin enforces',
    instead: 'Enable the CNI bandwidth plugin, or cap bandwidth at the load balancer or EIP; remove bandwidthMbps to silence this warning.',
  },
  kubeconfigServiceSource: {
    declaredBy: (g) =>
      g.children.serviceSources.filter((s) => s.kind === 'kubeconfig').map((s) => ({ construct: s, name: `service source '${s.sourceName}'` })),
    effect: "services are not discovered from another cluster: its services are addressed as <name>.<namespace>.svc in the gateway's own cluster",
    instead: "Use a 'dns' or 'static' UpstreamService with an address the gateway's cluster can reach.",
  },
  staticServiceAddresses: {
    declaredBy: (g) =>
      g.children.services
        .filter((s) => s.kind === 'static' && s.nodeCount > 1)
        .map((s) => ({ construct: s, name: `static service '${s.serviceName}' with ${s.nodeCount} addresses` })),
    effect: 'only the first address gets traffic: the data plane does not balance over them',
    instead: 'Put the addresses behind one load-balanced address (a Kubernetes Service or a DNS name) for now.',
  },
} satisfies Record<string, UnservedFeature>;

/** One finding per construct that declares an unserved feature (see rules/unserved-features.ts). */
export function unservedFindings(gateway: AiGateway): { construct: IConstruct; id: string; message: string }[] {
  return (Object.entries(UNSERVED_FEATURES) as [string, UnservedFeature][]).flatMap(([id, feature]) =>
    feature.declaredBy(gateway).map((d) => {
      const of = d.construct === gateway ? '' : ` of gateway '${gateway.gatewayName}'`;
      return {
        construct: d.construct,
        id: `unserved:${id}`,
        message: `${capitalize(d.name)} (${d.construct.node.path})${of} is not served yet: ${feature.effect}. ${feature.instead}`,
      };
    }),
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
