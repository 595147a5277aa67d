import type { IConstruct } from 'constructs';
import type { AiGateway } from '../gateway';
import { DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX, isDnsSubdomain, isIpAddress } from '../names';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';

/** Why a host cannot be an Ingress host (RFC 1123 subdomain, or `*.` and one; never an IP), or undefined when it can. */
export function ingressHostProblem(host: unknown): string | undefined {
  if (typeof host !== 'string') return 'it is not a string';
  if (isIpAddress(host)) return 'it is an IP address, and a published host must be a DNS name';
  const name = host.startsWith('*.') ? host.slice(2) : host;
  const tooLongLabel = name.split('.').find((label) => label.length > DNS_LABEL_MAX);
  if (tooLongLabel) return `its label '${tooLongLabel}' has ${tooLongLabel.length} characters (limit ${DNS_LABEL_MAX})`;
  if (!isDnsSubdomain(name)) {
    return `it must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.', at most ${DNS_SUBDOMAIN_MAX} characters), optionally after '*.'`;
  }
  return undefined;
}

function check(g: AiGateway): Finding[] {
  const out: Finding[] = [];
  const report = (construct: IConstruct, at: string, prop: string, host: unknown, problem: string) =>
    out.push(finding(construct, `${at}: ${prop} ${JSON.stringify(host)} cannot be published: ${problem}. Set ${prop} to a DNS name such as 'ai.example.com' or '*.example.com'.`));
  for (const d of g.children.domains) {
    const problem = ingressHostProblem(d.hostname);
    if (problem) report(d, describe('Domain', String(d.hostname), d), 'hostname', d.hostname, problem);
  }
  // A Serverless gateway's route hosts are Ingress hosts of the fleet's shared endpoint too ('*' is the host-less rule).
  if (g.edition === 'serverless') {
    for (const route of [...g.children.modelRoutes, ...g.children.agentRoutes]) {
      if (route.host === '*') continue;
      const problem = ingressHostProblem(route.host);
      if (problem) report(route, describe('Route', route.routeName, route), 'host', route.host, `${problem} (it is a host of the fleet's shared Ingress)`);
    }
  }
  return out;
}

export const publishedHostsRule: Rule = {
  id: 'published-hosts',
  description:
    "A Domain's hostname, and a Serverless gateway's route hosts (hosts of the shared Ingress), are DNS names as Kubernetes Ingress takes them: a lowercase RFC 1123 subdomain or '*.' and one, never an IP address.",
  level: 'error',
  errors: { suppressible: false, because: 'Kubernetes rejects the Ingress host it would produce' },
  check: (ctx) => ctx.gateways.flatMap(check),
};
