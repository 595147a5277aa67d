import type { AiGateway } from '../gateway';
import { ANNOTATIONS_TOTAL_MAX_BYTES, DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX, isQualifiedName } from '../names';
import { finding, type Finding } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

/** The render's own annotation on the endpoint Service, counted with the user's against the size limit. */
const OWN_ANNOTATION_ALLOWANCE_BYTES = 'aigw.dev/bandwidth-mbps'.length + 16;

function check(g: AiGateway): Finding[] {
  if (g.edition !== 'dedicated') return [];
  const annotations: unknown = g.endpoint?.serviceAnnotations;
  if (annotations === undefined || annotations === null || typeof annotations !== 'object') return []; // gateway-props reports a wrong type
  const out: Finding[] = [];
  let bytes = OWN_ANNOTATION_ALLOWANCE_BYTES;
  for (const [key, value] of Object.entries(annotations)) {
    bytes += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
    if (isQualifiedName(key)) continue;
    out.push(
      finding(
        g,
        `${gw(g)}: endpoint.serviceAnnotations key ${JSON.stringify(key)} is not a Kubernetes annotation key: an optional prefix (a lowercase DNS subdomain of at most ${DNS_SUBDOMAIN_MAX} characters) and '/', then a name of at most ${DNS_LABEL_MAX} characters of [A-Za-z0-9-_.] starting and ending with a letter or digit. Fix the key (e.g. 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-id').`,
      ),
    );
  }
  if (bytes > ANNOTATIONS_TOTAL_MAX_BYTES) {
    out.push(
      finding(
        g,
        `${gw(g)}: endpoint.serviceAnnotations total ${bytes} bytes (keys and values, with the gateway's own), over the Kubernetes limit of ${ANNOTATIONS_TOTAL_MAX_BYTES} bytes (256 KiB) per object. Remove or shorten annotations.`,
      ),
    );
  }
  return out;
}

export const serviceAnnotationsRule: Rule = {
  id: 'service-annotations',
  description: "A Dedicated gateway's endpoint.serviceAnnotations have valid Kubernetes annotation keys ([prefix/]name) and stay within 256 KiB in all.",
  level: 'error',
  errors: { suppressible: false, because: 'Kubernetes rejects the Service it would produce' },
  check: (ctx) => ctx.gateways.flatMap(check),
};
