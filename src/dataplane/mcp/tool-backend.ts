/**
 * The seam between the MCP front (sessions, JSON-RPC, grants, metrics) and the engine that serves an
 * HTTP-to-MCP server's tools by calling a plain HTTP API. The front never knows how a tool is executed;
 * the engine never sees JSON-RPC or sessions.
 */
export interface McpToolDescriptor {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
}

export interface McpToolResult {
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** An MCP server whose tools the gateway serves itself (HTTP-to-MCP). */
export interface McpToolBackend {
  readonly tools: readonly McpToolDescriptor[];
  /** Never rejects for the upstream's or the arguments' faults: those are `isError` results. Rejects only when `signal` aborts. */
  call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<McpToolResult>;
  close(): Promise<void>;
}
