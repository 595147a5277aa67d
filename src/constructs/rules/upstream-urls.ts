import type { IConstruct } from 'constructs';
import type { AiGateway } from '../gateway';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';

/** Why a URL cannot be an upstream's (absolute http(s), no credentials), or undefined when it can. */
export function upstreamUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || !URL.canParse(url)) return 'is not an absolute URL';
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `has scheme '${parsed.protocol.slice(0, -1)}', not http or https`;
  if (parsed.hostname === '') return 'has no host';
  if (parsed.username !== '' || parsed.password !== '') return 'carries credentials (user:password@); they would sit in plain config';
  return undefined;
}

function check(g: AiGateway): Finding[] {
  const out: Finding[] = [];
  const report = (construct: IConstruct, at: string, what: string, url: unknown, problem: string, fix: string) =>
    out.push(finding(construct, `${at}: ${what} ${JSON.stringify(url)} ${problem}. ${fix}`));
  const credentialsFix = (problem: string, secretProp: string) => (problem.startsWith('carries credentials') ? ` Put the credential in ${secretProp} (a SecretRef) instead.` : '');

  for (const route of g.children.modelRoutes) {
    const at = describe('ModelRoute', route.routeName, route);
    // A Backend shared by several models of the route is reported once.
    const seen = new Set<unknown>();
    for (const model of route.models) {
      for (const target of model.targets ?? []) {
        const baseUrl: unknown = target.backend?.baseUrl;
        if (baseUrl === undefined || baseUrl === '' || seen.has(target.backend)) continue; // a missing URL is route-backends' to report
        seen.add(target.backend);
        const problem = upstreamUrlProblem(baseUrl);
        if (problem) {
          report(route, at, `model '${model.name}' goes to a backend whose baseUrl`, baseUrl, problem, `Set the Backend's baseUrl to an http(s) URL such as 'https://llm.example.com/v1'.${credentialsFix(problem, 'the Backend\'s apiKey')}`);
        }
      }
    }
  }
  for (const route of g.children.agentRoutes) {
    const baseUrl: unknown = route.baseUrl;
    const problem = baseUrl === undefined || baseUrl === '' ? undefined : upstreamUrlProblem(baseUrl);
    if (problem) {
      report(route, describe('AgentRoute', route.routeName, route), 'baseUrl', baseUrl, problem, `Set baseUrl to the agent API's http(s) URL, e.g. 'https://agent.example.com/v1'.${credentialsFix(problem, 'apiKey')}`);
    }
  }
  for (const server of g.children.mcpServers) {
    const p = server;
    const [prop, url]: [string, unknown] = p.kind === 'proxy' ? ['url', p.url] : ['baseUrl', p.kind === 'http-to-mcp' ? p.baseUrl : undefined];
    // A missing URL is route-backends' to report.
    const problem = url === undefined || url === '' ? undefined : upstreamUrlProblem(url);
    if (problem) {
      report(
        server,
        describe('McpServer', server.serverName, server),
        prop,
        url,
        problem,
        `Set ${prop} to an http(s) URL, e.g. '${p.kind === 'proxy' ? 'https://mcp.example.com/mcp' : 'https://api.example.com'}'.${credentialsFix(problem, 'auth')}`,
      );
    }
  }
  return out;
}

export const upstreamUrlsRule: Rule = {
  id: 'upstream-urls',
  description: "Every upstream URL (a Backend's baseUrl, an agent route's baseUrl, an MCP server's url or baseUrl) is an absolute http(s) URL without credentials.",
  level: 'error',
  errors: { suppressible: false, because: 'the data plane rejects an upstream URL that is not absolute http(s), and credentials in a URL would sit in plain config' },
  check: (ctx) => ctx.gateways.flatMap(check),
};
