import type { AgentRoute } from '../agent-route';
import type { AiGateway } from '../gateway';
import type { McpServer } from '../mcp-server';
import type { ModelRoute } from '../model-route';
import { describe, finding, type Finding, shown } from '../violation';
import type { RouteWafProps } from '../waf';
import type { Rule } from './context';
import { gw } from './labels';
import { RouteWafPropsSchema, WAF_MAX_ANOMALY_THRESHOLD, WAF_MIN_ANOMALY_THRESHOLD } from './waf-props-schema';

/** A route or MCP server that may override its gateway's WAF, and how messages name it. */
interface WafChild {
  readonly construct: ModelRoute | AgentRoute | McpServer;
  readonly label: string;
  readonly waf: Readonly<RouteWafProps> | undefined;
  readonly mcp: boolean;
}

function childrenOf(g: AiGateway): WafChild[] {
  const c = g.children;
  return [
    ...c.modelRoutes.map((r) => ({ construct: r, label: describe('ModelRoute', r.routeName, r), waf: r.waf, mcp: false })),
    ...c.agentRoutes.map((r) => ({ construct: r, label: describe('AgentRoute', r.routeName, r), waf: r.waf, mcp: false })),
    ...c.mcpServers.map((m) => ({ construct: m, label: describe('McpServer', m.serverName, m), waf: m.waf, mcp: true })),
  ];
}

function check(g: AiGateway): Finding[] {
  return childrenOf(g).flatMap((child) => (child.waf === undefined ? [] : [...withoutWaf(g, child), ...badValues(child), ...noEffectOnMcp(child)]));
}

/** A route's waf on a gateway without a WAF would never be applied: the route would go uninspected, its props saying otherwise. */
function withoutWaf(g: AiGateway, { construct, label, waf }: WafChild): Finding[] {
  if (g.waf !== undefined) return [];
  const declared = `declares waf ${shown(waf)}`;
  return [
    finding(
      construct,
      g.edition === 'serverless'
        ? `${label}: ${declared}, but ${gw(g)} is Serverless, which has no WAF (Dedicated only): its requests would never be inspected. Remove its waf, or serve it from a Dedicated gateway with waf.`
        : `${label}: ${declared}, but ${gw(g)} has no WAF: its requests would never be inspected. Add waf to the gateway, or remove its waf.`,
    ),
  ];
}

/** The props as given, for callers TypeScript did not check: the data plane would refuse the config. */
function badValues({ construct, label, waf }: WafChild): Finding[] {
  const result = RouteWafPropsSchema.safeParse(waf);
  return (result.success ? [] : result.error.issues).flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => finding(construct, `${label}: unknown prop '${['waf', ...issue.path, key].join('.')}'. Remove it.`));
    }
    const where = ['waf', ...issue.path].join('.');
    return [finding(construct, `${label}: ${where} ${issue.message}, found ${shown(valueAt(waf, issue.path))}. Fix '${where}'.`)];
  });
}

/** An MCP server has no message text: every string of its JSON-RPC body is read by the families already. */
function noEffectOnMcp({ construct, label, waf, mcp }: WafChild): Finding[] {
  if (!mcp || waf === null || typeof waf !== 'object') return [];
  const out: Finding[] = [];
  if (waf.inspectMessages === true) {
    out.push({
      construct,
      level: 'warning',
      message: `${label}: waf.inspectMessages has no effect on an MCP server: it has no message text, and every string of its JSON-RPC body is inspected already. Remove waf.inspectMessages.`,
    });
  }
  if (waf.rules !== null && typeof waf.rules === 'object' && waf.rules.promptInjection === true) {
    out.push({
      construct,
      level: 'warning',
      message: `${label}: waf.rules.promptInjection has no effect on an MCP server: the prompt-injection rules read the user messages of model and agent routes only. Remove waf.rules.promptInjection.`,
    });
  }
  return out;
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), obj);
}

export const routeWafRule: Rule = {
  id: 'route-waf',
  description: `A route's or MCP server's waf belongs to a gateway that has a WAF (Dedicated, with waf), with values the data plane takes (mode off, detect or block; rule switches true or false; anomalyThreshold a whole number from ${WAF_MIN_ANOMALY_THRESHOLD} to ${WAF_MAX_ANOMALY_THRESHOLD}). Warning: inspectMessages or rules.promptInjection on an MCP server, which has no message text.`,
  level: 'error',
  errors: {
    suppressible: false,
    because: "a route's waf on a gateway without a WAF is never applied (the route would go uninspected while its props say it is inspected), and the data plane rejects a waf it cannot parse",
  },
  check: (ctx) => ctx.gateways.flatMap(check),
};
