import { describe, finding } from '../violation';
import type { Rule } from './context';

export const openApiFilesRule: Rule = {
  id: 'openapi-files',
  description: "An HTTP-to-MCP server's OpenAPI file can be read and converted to tools.",
  level: 'error',
  errors: { suppressible: false, because: "the server's tools cannot be built from the file" },
  check: (ctx) =>
    [...ctx.openApi].flatMap(([server, result]) =>
      result.ok ? [] : [finding(server, `${describe('McpServer', server.serverName, server)}: ${result.reason}. Fix the file or openApiFile (relative paths are from the working directory).`)],
    ),
};
