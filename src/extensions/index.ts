/**
 * The extension API: what an extension author imports (`cdktf-ai-gateway/extensions`), and what the
 * gateway's system and marketplace extensions are written against. No cdktf here: the data plane loads
 * it, and a custom extension's bundle includes it.
 *
 * ```ts
 * import { defineExtension } from 'cdktf-ai-gateway/extensions';
 * export default defineExtension({
 *   name: 'tagger',
 *   onRequest(ctx) { if (ctx.request.headers['x-block'] === '1') return ctx.respond(403, { error: { message: 'blocked by tagger' } }); },
 *   onResponse(ctx) { ctx.response.headers['x-tagger'] = 'on'; },
 * });
 * ```
 */
export type {
  AdminAnswer,
  AdminContext,
  AdminRequest,
  ExtensionDefinition,
  ExtensionPhase,
  ExtensionKv,
  ExtensionLogger,
  HookContext,
  JsonObject,
  JsonValue,
  LogContext,
  Responded,
  ExtensionRequest,
  ExtensionResponse,
  RequestHookContext,
  ResponseHookContext,
  StreamChunkContext,
  StreamEvent,
  RouteKind,
  ToolCall,
  ToolCallContext,
  ToolResultContext,
} from './types';
export { EXTENSION_PHASES, KV_MAX_TTL_SECONDS } from './types';

import type { ExtensionDefinition, JsonObject } from './types';

/**
 * An extension: its name and its hooks, typed. Returns its argument: the gateway reads the definition,
 * so that a module's default export is all it needs.
 */
export function defineExtension<C extends JsonObject = JsonObject>(definition: ExtensionDefinition<C>): ExtensionDefinition<C> {
  return definition;
}
