import type { AgentRouteConfig, WireProtocol } from '../../specs';

/**
 * The wire protocols of the agents the gateway understands natively: Dify's app API, and Model Studio's
 * (DashScope) application API. A custom agent has none the gateway reads: on its own paths its bytes pass through.
 */
export type NativeAgentProtocol = 'dify' | 'dashscope-app';

/**
 * What an agent's upstream speaks: a native agent protocol, or `custom-mapped`, a custom agent's JSON
 * API as its route's `mapping` declares it (the OpenAI mapping only, `asModel`).
 */
export type AgentProtocol = NativeAgentProtocol | 'custom-mapped';

/** What an upstream speaks: a model provider's protocol, or an agent's. */
export type UpstreamProtocol = WireProtocol | AgentProtocol;

/**
 * The native protocol of an agent route's kind; undefined for a custom agent, whose native paths pass
 * bytes through whatever its `mapping` (the OpenAI mapping has its own check: agents/adapter.ts).
 */
export function agentProtocol(route: Pick<AgentRouteConfig, 'kind'>): NativeAgentProtocol | undefined {
  if (route.kind === 'dify') return 'dify';
  if (route.kind === 'model-studio') return 'dashscope-app';
  return undefined;
}

/** Longest conversation id the gateway takes or relays (Dify's are UUIDs; DashScope's session ids are shorter still). */
export const MAX_CONVERSATION_ID_CHARS = 256;

/** Whether a conversation id can travel as a header value both ways: printable ASCII without spaces, at most MAX_CONVERSATION_ID_CHARS. */
export function isConversationId(value: string): boolean {
  return value.length <= MAX_CONVERSATION_ID_CHARS && /^[\x21-\x7e]*$/.test(value);
}

/** The header that carries an agent's conversation (Dify `conversation_id`, DashScope `session_id`) both ways, on the OpenAI mapping. */
export const CONVERSATION_HEADER = 'x-aigw-conversation-id';

/** The Dify app endpoint (beneath the API root, `…/v1`) an app type answers on. */
export const DIFY_APP_PATHS = { chat: '/chat-messages', completion: '/completion-messages', workflow: '/workflows/run' } as const;

/** The default Dify variables of the OpenAI mapping (config `variables`). */
export const DIFY_DEFAULT_VARIABLES = { query: 'query', output: 'text' } as const;

/** Longest Dify `user` the client may add under its consumer's namespace (`userMapping: client`). */
export const MAX_CLIENT_USER_CHARS = 128;

/**
 * The Dify `user` for a call: stable per consumer, different between consumers, never a key. Dify
 * scopes conversations, messages and files to it, so one tenant never reads another's. With
 * `userMapping: client` the client's own `user` (OpenAI's field, or Dify's) is kept inside the
 * consumer's namespace: its end users are told apart, and still never meet another tenant's.
 * A route without key auth has no consumer: its callers share `aigw:anonymous`.
 */
export function difyUser(route: Pick<AgentRouteConfig, 'userMapping'>, consumer: string | undefined, clientUser: unknown): string {
  // A consumer name may hold ':' (config refName): escaped, so that `acme` + client user `evil` can never be consumer `acme:evil`.
  const base = consumer === undefined ? 'aigw:anonymous' : `aigw:consumer:${consumer.replaceAll(':', '%3A')}`;
  if (route.userMapping !== 'client' || typeof clientUser !== 'string' || clientUser === '') return base;
  return `${base}:${clientUser.slice(0, MAX_CLIENT_USER_CHARS)}`;
}
