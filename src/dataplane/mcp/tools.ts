import type { CompiledMcpRoute } from './compile';
import type { CompiledConsumer } from '../compile/snapshot';

/** Which tools a caller may list and call: the server's `allowTools` (if any) ∩ the caller's tool grant (if any). */
export type ToolFilter = (tool: string) => boolean;

const ALL: ToolFilter = () => true;

export function toolFilter(route: CompiledMcpRoute, consumer: CompiledConsumer): ToolFilter {
  const allow = route.allowTools;
  const granted = consumer.mcpTools.get(route.name);
  if (!allow && !granted) return ALL;
  return (tool) => (!allow || allow.has(tool)) && (!granted || granted.has(tool));
}

/**
 * A `tools/list` result with the tools the caller may not use taken out (and a 2026-07-28 `cacheScope` made
 * `private`), or undefined when nothing was
 * (the caller then relays the upstream's bytes untouched). Recognized by shape (a `tools` array in a
 * result), so a list is filtered wherever it comes: a JSON answer, an SSE event, a replayed stream.
 * An entry without a string name is taken out too: the caller cannot be shown to be allowed it.
 */
export function filteredToolsResult(result: unknown, may: ToolFilter): Record<string, unknown> | undefined {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const tools = (result as { tools?: unknown }).tools;
  if (!Array.isArray(tools)) return undefined;
  const kept = tools.filter((t) => t !== null && typeof t === 'object' && typeof (t as { name?: unknown }).name === 'string' && may((t as { name: string }).name));
  // 2026-07-28 results say who may cache them: through the gateway a tool list is the caller's own (its grants), never a shared cache's.
  const scope = (result as { cacheScope?: unknown }).cacheScope;
  const shared = scope !== undefined && scope !== 'private';
  if (kept.length === tools.length && !shared) return undefined;
  return { ...(result as Record<string, unknown>), tools: kept, ...(shared && { cacheScope: 'private' }) };
}

/** The tool label metrics carry: a tool the config declares for this server, else `other` (the client's string never is one). */
export function toolLabel(route: CompiledMcpRoute, tool: string | undefined): string {
  return tool !== undefined && route.toolLabels.has(tool) ? tool : OTHER;
}

export const OTHER = 'other';
