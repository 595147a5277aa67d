import type { AgentRouteConfig } from '../../specs';
import { PROVIDER_ADAPTERS, type ProviderAdapter } from '../providers';
import { type AgentProtocol, agentProtocol, DIFY_APP_PATHS } from './protocol';
import { agentTranslators } from '../translate/agents';

/**
 * How the gateway calls an agent route's upstream. Dify and Model Studio: their own protocol, the one
 * endpoint their app answers on (`<baseUrl>/chat-messages`…, `<baseUrl>/apps/<appId>/completion`) for the
 * OpenAI mapping (`asModel`), the route's own translators, the key as a Bearer token (both document it
 * so). A custom agent with a `mapping`: the endpoint the mapping names (`<baseUrl><mapping.path>`), its
 * translators, the key as a Bearer token. A custom agent without one has no protocol the gateway reads:
 * an OpenAI-compatible adapter, for its key only.
 */
export function agentAdapter(route: AgentRouteConfig): ProviderAdapter {
  const fallback = PROVIDER_ADAPTERS['openai-compatible']!;
  const endpoint = mappedEndpoint(route);
  if (endpoint === undefined) return fallback;
  return {
    protocol: endpoint.protocol,
    authHeaders: fallback.authHeaders,
    // One endpoint: the route's translators (chat, messages) decide which client endpoints reach it.
    path: (basePath) => `${basePath}${endpoint.path}`,
    // Usage comes from the agent's terminal events (or the mapping's paths), whatever the client asked.
    streamUsage: false,
    translators: agentTranslators(route),
  };
}

/** The protocol and endpoint (beneath the base URL) of an agent's OpenAI mapping; undefined when it has none. */
function mappedEndpoint(route: AgentRouteConfig): { readonly protocol: AgentProtocol; readonly path: string } | undefined {
  // A custom agent's native paths stay a pass-through (agentProtocol is undefined for it): only its mapping is read here.
  if (route.kind === 'custom') return route.mapping === undefined ? undefined : { protocol: 'custom-mapped', path: route.mapping.path };
  const protocol = agentProtocol(route);
  if (protocol === undefined) return undefined;
  return { protocol, path: protocol === 'dify' ? DIFY_APP_PATHS[route.appType ?? 'chat'] : `/apps/${encodeURIComponent(route.appId ?? '')}/completion` };
}
