import { sizeGateway } from '../../specs';
import type { AiGateway } from '../gateway';
import { serverlessScaling } from '../serverless-scaling';
import { finding, type Finding } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

/**
 * Its own rule rather than an `unserved-features` entry: that list names what the data plane does
 * not serve yet and shrinks as features land, while this is a served choice (a key of each
 * replica's own) whose effect stays as long as the gateway runs several replicas without a shared key.
 */

/** How many replicas can serve at once: a Serverless gateway's autoscaling maximum, a Dedicated one's fixed count. */
function mostReplicas(g: AiGateway): number {
  const sizing = sizeGateway(g.edition, g.spec, serverlessScaling(g.fleet));
  return sizing.kind === 'fixed' ? sizing.replicas : sizing.maxReplicas;
}

function check(g: AiGateway): Finding[] {
  const servers = g.children.mcpServers.length;
  if (servers === 0 || g.mcpSessionKey !== undefined) return [];
  // Serverless always: even at one replica, its autoscaler and rolling updates run a second one beside it.
  const replicas = mostReplicas(g);
  if (g.edition !== 'serverless' && replicas <= 1) return [];
  const many = g.edition === 'serverless' ? `autoscales up to ${replicas} replicas` : `runs ${replicas} replicas`;
  return [
    finding(
      g,
      `${gw(g)}: has ${servers} MCP server(s) and ${many}, but no mcpSessionKey: each replica seals MCP session ids with a random key of its own, so a session breaks (the client must initialize again) whenever one of its requests lands on another replica. Set mcpSessionKey: { secretName, key } naming a Secret key that holds 32 random bytes (e.g. openssl rand -base64 32).`,
    ),
  ];
}

export const mcpSessionKeyRule: Rule = {
  id: 'mcp-session-key',
  description: 'A gateway with MCP servers that can run more than one replica (Serverless always, Dedicated when its spec sizes it so) names an mcpSessionKey, so that every replica serves every MCP session.',
  level: 'warning',
  errors: { suppressible: true },
  check: (ctx) => ctx.gateways.flatMap(check),
};
