import type { AgentRouteConfig } from '../../specs';
import { PROVIDER_ADAPTERS, type ProviderAdapter } from '../providers';
import { agentTranslators } from '../translate/agents';
import { agentProtocol, DIFY_APP_PATHS } from './protocol';

/**
 * How the gateway calls an agent route's upstream. Dify and Model Studio: their own protocol, the one
 * endpoint their app answers on (`<baseUrl>/chat-messages`…, `<baseUrl>/apps/<appId>/completion`) for the
 * OpenAI mapping (`asModel`), the route's own translators, the key as a Bearer token (both document it
 * so). A custom agent has no protocol the gateway reads: an OpenAI-compatible adapter, for its key only.
 */
export function agentAdapter(route: AgentRouteConfig): ProviderAdapter {
  const protocol = agentProtocol(route);
  const fallback = PROVIDER_ADAPTERS['openai-compatible']!;
  if (protocol === undefined) return fallback;
  const appPath = protocol === 'dify' ? DIFY_APP_PATHS[route.appType ?? 'chat'] : `/apps/${encodeURIComponent(route.appId ?? '')}/completion`;
  return {
    protocol,
    authHeaders: fallback.authHeaders,
    // One endpoint: the route's translators (chat, messages) decide which client endpoints reach it.
    path: (basePath) => `${basePath}${appPath}`,
    // Usage comes from the agent's terminal events, whatever the client asked.
    streamUsage: false,
    translators: agentTranslators(route),
  };
}
