import { LIBRARY_VERSION } from '../../specs';
import type { AiGatewayFleet } from '../fleet';
import type { AiGateway } from '../gateway';
import { DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX, isDns1035Label, isDnsLabel, isDnsSubdomain, isLabelValue } from '../names';
import { gatewayLabels, placementOf } from '../placement';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

/** A name or label value the render derives from the gateway name, with the rule the API server applies to it. */
interface DerivedName {
  readonly what: string;
  readonly value: string;
  readonly valid: (value: string) => boolean;
  readonly limit: number;
  /** Whether it grows with the gateway name (what bounds the name's length). */
  readonly fromName: boolean;
}

/**
 * Every name and label value the render derives from the gateway name (see placement.ts and
 * render/): read from the same functions the render uses, so that a new derived name is checked
 * as soon as it is added there.
 */
function derivedNames(g: AiGateway): DerivedName[] {
  const p = placementOf(g);
  const names: DerivedName[] = [
    { what: 'Service name', value: p.workloadName, valid: isDns1035Label, limit: DNS_LABEL_MAX, fromName: true },
    { what: 'ConfigMap name', value: p.configMapName(0), valid: isDnsSubdomain, limit: DNS_SUBDOMAIN_MAX, fromName: true },
    ...Object.entries(gatewayLabels(g, LIBRARY_VERSION))
      // The version label is the image rule's (image-references).
      .filter(([key]) => key !== 'app.kubernetes.io/version')
      .map(([key, value]) => ({ what: `label ${key}`, value, valid: isLabelValue, limit: DNS_LABEL_MAX, fromName: value === g.gatewayName })),
  ];
  if (g.edition === 'dedicated') {
    // A Dedicated gateway has its own namespace and its own Redis, named after it.
    const redisName = p.redisHost.split('.')[0];
    names.push(
      { what: 'namespace', value: p.namespace, valid: isDnsLabel, limit: DNS_LABEL_MAX, fromName: true },
      { what: 'Redis Service name', value: redisName, valid: isDns1035Label, limit: DNS_LABEL_MAX, fromName: true },
      { what: 'Redis label app.kubernetes.io/instance', value: redisName, valid: isLabelValue, limit: DNS_LABEL_MAX, fromName: true },
    );
  }
  return names;
}

function checkGateway(g: AiGateway): Finding[] {
  const name = g.gatewayName;
  if (typeof name !== 'string') return [finding(g, `${gw(g)}: gatewayName must be a string, found ${JSON.stringify(name)}. Set gatewayName.`)];
  const names = derivedNames(g);
  // The longest gateway name every derived name still fits: the limit minus what the render adds around the name.
  const max = Math.min(...names.filter((n) => n.fromName).map((n) => n.limit - (n.value.length - name.length)));
  const tooLong = names.filter((n) => n.value.length > n.limit);
  const charsOk = isDnsLabel(name);
  const invalid = names.filter((n) => !n.valid(n.value) && n.value.length <= n.limit);
  if (charsOk && tooLong.length === 0 && invalid.length === 0) return [];
  const edition = g.edition === 'dedicated' ? `a Dedicated gateway in fleet namespace '${g.fleet.namespace}'` : 'a Serverless gateway';
  const over = tooLong.map((n) => `its ${n.what} '${n.value}' has ${n.value.length} characters (limit ${n.limit})`);
  const fix =
    max >= 1
      ? `Set a gatewayName of ${charsOk ? '' : "lowercase letters, digits and '-', "}at most ${max} characters${g.edition === 'dedicated' ? ', or a shorter fleet namespace' : ''}.`
      : `The fleet namespace '${g.fleet.namespace}' leaves no room for a gateway name: set a shorter fleet namespace.`;
  return [
    finding(
      g,
      `${gw(g)}: the gateway name must be a DNS label ([a-z0-9-], starting and ending with a letter or digit) of at most ${Math.max(max, 0)} characters for ${edition}, found '${name}' (${name.length} characters)${over.length > 0 ? `: ${over.join('; ')}` : ''}. ${fix}`,
    ),
  ];
}

function checkFleet(fleet: AiGatewayFleet): Finding[] {
  const at = describe('Fleet', fleet.node.id, fleet);
  const out: Finding[] = [];
  const subdomain = (prop: string, value: unknown, what: string) => {
    if (value === undefined || (typeof value === 'string' && isDnsSubdomain(value))) return;
    out.push(
      finding(
        fleet,
        `${at}: ${prop} must be the name of ${what}, a lowercase RFC 1123 subdomain ([a-z0-9-.], starting and ending with a letter or digit, at most ${DNS_SUBDOMAIN_MAX} characters), found ${JSON.stringify(value)}. Set ${prop} to the name as Kubernetes has it (e.g. '${String(value).toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'nginx'}').`,
      ),
    );
  };
  subdomain('ingressClassName', fleet.ingressClassName, 'an IngressClass');
  subdomain('redisAclSecretName', fleet.redisAclSecretName, 'a Secret');
  return out;
}

export const kubernetesNamesRule: Rule = {
  id: 'kubernetes-names',
  description:
    'Every Kubernetes name and label value derived from a gateway name fits the API server\'s rules (a Dedicated gateway\'s Redis Service `aigw-<name>-redis` and namespace `<fleet namespace>-<name>` included: the message states the longest name that fits), and a fleet\'s ingressClassName and redisAclSecretName are RFC 1123 subdomains.',
  level: 'error',
  errors: { suppressible: false, because: 'Kubernetes rejects the names and labels it would produce' },
  check: (ctx) => [...ctx.fleets.flatMap(checkFleet), ...ctx.gateways.flatMap(checkGateway)],
};
