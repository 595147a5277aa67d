/**
 * When the simulated model calls a tool, on every protocol (chat completions, Anthropic messages, the
 * Responses API): a request that offers function tools, and does not turn tools off, gets a call of the
 * first tool offered (or of the tool its tool choice names) with arguments satisfying that tool's JSON
 * schema; a request whose last turn is a tool result gets text. A client's tool loop therefore always
 * runs exactly one round trip, whatever the prompt says, so gateway tests can drive it deterministically.
 */
import { isRecord } from './responses';

/** A function tool as every protocol offers one: a name and a JSON schema for its arguments. */
export interface FunctionTool {
  readonly name: string;
  readonly parameters: unknown;
}

/** The tool choice, reduced to what decides the call: tools turned off, or one tool named. */
export interface ToolChoice {
  readonly none?: boolean;
  readonly name?: string;
}

/** The tool to call, or `undefined` for a text answer (no tools, tools turned off, or a named tool not offered). */
export function toolToCall(tools: readonly FunctionTool[], choice: ToolChoice): FunctionTool | undefined {
  if (tools.length === 0 || choice.none === true) return undefined;
  if (choice.name !== undefined) return tools.find((tool) => tool.name === choice.name);
  return tools[0];
}

/** Chat completions: `tools: [{ type: 'function', function: { name, parameters } }]`. */
export function chatTool(body: Record<string, unknown>): FunctionTool | undefined {
  const tools = listOf(body.tools).flatMap((tool): FunctionTool[] => (
    tool.type === 'function' && isRecord(tool.function) && nameOf(tool.function) !== undefined
      ? [{ name: nameOf(tool.function)!, parameters: tool.function.parameters }]
      : []
  ));
  const choice = body.tool_choice;
  if (choice === 'none') return undefined;
  let name: string | undefined;
  if (isRecord(choice) && choice.type === 'function' && isRecord(choice.function)) name = nameOf(choice.function);
  if (isRecord(choice) && choice.type === 'allowed_tools' && isRecord(choice.allowed_tools)) {
    const allowed = listOf(choice.allowed_tools.tools).find((t) => isRecord(t.function));
    name = allowed ? nameOf(allowed.function as Record<string, unknown>) : undefined;
  }
  return toolToCall(tools, { name });
}

/** The Responses API: `tools: [{ type: 'function', name, parameters }]`; built-in tools (web search, ...) are never called. */
export function responsesTool(body: Record<string, unknown>): FunctionTool | undefined {
  const tools = listOf(body.tools).flatMap((tool): FunctionTool[] => (
    tool.type === 'function' && nameOf(tool) !== undefined ? [{ name: nameOf(tool)!, parameters: tool.parameters }] : []
  ));
  const choice = body.tool_choice;
  if (choice === 'none') return undefined;
  let name: string | undefined;
  if (isRecord(choice) && choice.type === 'function') name = nameOf(choice);
  if (isRecord(choice) && choice.type === 'allowed_tools') name = nameOf(listOf(choice.tools).find((t) => t.type === 'function') ?? {});
  return toolToCall(tools, { name });
}

/** Anthropic: client tools `[{ name, input_schema }]` (no `type`, or `custom`); server tools (`web_search_…`, `bash_…`) are never called. */
export function anthropicTool(body: Record<string, unknown>): FunctionTool | undefined {
  const tools = listOf(body.tools).flatMap((tool): FunctionTool[] => (
    (tool.type === undefined || tool.type === 'custom') && nameOf(tool) !== undefined ? [{ name: nameOf(tool)!, parameters: tool.input_schema }] : []
  ));
  const choice = isRecord(body.tool_choice) ? body.tool_choice : {};
  return toolToCall(tools, { none: choice.type === 'none', name: choice.type === 'tool' ? nameOf(choice) : undefined });
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function nameOf(record: Record<string, unknown>): string | undefined {
  return typeof record.name === 'string' && record.name !== '' ? record.name : undefined;
}
