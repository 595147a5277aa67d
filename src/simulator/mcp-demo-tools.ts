/**
 * The demo MCP server's tools: small, deterministic where they can be, and each showing one part of
 * a tool result (plain text, structured content with an output schema, a value from the server).
 */

export interface DemoToolResult {
  readonly content: { type: 'text'; text: string }[];
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
}

interface DemoTool {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  readonly outputSchema?: Record<string, unknown>;
  /** Returns the result, or a string saying what is wrong with the arguments. */
  readonly run: (args: Record<string, unknown>) => DemoToolResult | string;
}

const TOOLS: readonly DemoTool[] = [
  {
    name: 'echo',
    title: 'Echo',
    description: 'Returns the message it is given.',
    inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'What to echo' } }, required: ['message'] },
    run: ({ message }) => (typeof message === 'string' ? text(message) : `'message' must be a string, found ${shown(message)}`),
  },
  {
    name: 'add',
    title: 'Add',
    description: 'Adds two numbers.',
    inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
    run: ({ a, b }) => {
      if (typeof a !== 'number' || typeof b !== 'number') return `'a' and 'b' must be numbers, found ${shown(a)} and ${shown(b)}`;
      return { ...text(String(a + b)), structuredContent: { sum: a + b } };
    },
  },
  {
    name: 'time',
    title: 'Time',
    description: "The server's current time, as an ISO 8601 string.",
    inputSchema: { type: 'object', properties: {} },
    run: () => text(new Date().toISOString()),
  },
];

/** What `tools/list` returns for each tool. */
export function demoToolList(): Record<string, unknown>[] {
  return TOOLS.map(({ run: _run, ...tool }) => tool);
}

/**
 * Runs a tool: undefined when there is no such tool (a JSON-RPC error, as the spec says); bad
 * arguments are a tool error (`isError`), which the model calling it can read and correct.
 */
export function callDemoTool(name: unknown, args: unknown): DemoToolResult | undefined {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) return undefined;
  const given = args === undefined ? {} : args;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return error(`Invalid arguments for tool ${tool.name}: must be an object, found ${shown(given)}`);
  const result = tool.run(given as Record<string, unknown>);
  return typeof result === 'string' ? error(`Invalid arguments for tool ${tool.name}: ${result}`) : result;
}

function text(value: string): DemoToolResult {
  return { content: [{ type: 'text', text: value }] };
}

function error(message: string): DemoToolResult {
  return { ...text(message), isError: true };
}

function shown(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 100);
}
