import type { IConstruct } from 'constructs';
import { QAT_NODE_LABEL } from '../specs';
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
  qatSoftwareFallback: {
    // TLS with fallback 'fail' is served whole (the device is requested); 'software' cannot request one (see qatScheduling).
    declaredBy: (g) => {
      const accel = g.hardwareAcceleration;
      return accel.tls && accel.fallback === 'software' ? [{ construct: g, name: `the QAT offload of TLS of gateway '${g.gatewayName}' (fallback: 'software')` }] : [];
    },
    effect: `with fallback 'software' the pods request no QAT device (Kubernetes has no optional device request, and a required one would keep them off nodes without QAT): they prefer nodes labelled ${QAT_NODE_LABEL}=true, but the device plugin mounts no device into them, so they run in software`,
    instead: "Set fallback: 'fail' to request the device (pods then run only on nodes that have one, and stay not ready if it cannot be used), or remove hardwareAcceleration.",
  },
  qatEngineInImage: {
    // The data plane detects the engine or provider honestly; the bundled image just has neither.
    declaredBy: (g) => {
      const accel = g.hardwareAcceleration;
      return accel.tls && accel.fallback === 'fail' ? [{ construct: g, name: `the QAT offload of TLS of gateway '${g.gatewayName}' (fallback: 'fail')` }] : [];
    },
    effect:
      "the bundled image has no OpenSSL QAT engine or provider (Intel's qatengine or qatprovider): even on a node with a QAT device, every replica stays not ready, its /readyz naming what is missing",
    instead: "Build the image with Intel's QAT engine or provider (OPENSSL_CONF activating it) and set the fleet's imageRepository to it, or use fallback: 'software'.",
  },
  qatCompression: {
    declaredBy: (g) => (g.hardwareAcceleration.compression ? [{ construct: g, name: `the QAT compression of gateway '${g.gatewayName}'` }] : []),
    effect:
      "the data plane has no QATzip path (no Node binding of QATzip exists): compression runs in software with fallback 'software', and with fallback 'fail' every replica stays not ready, its /readyz naming what is missing",
    instead: 'Remove compression from hardwareAcceleration (responses are still compressed, in software).',
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
