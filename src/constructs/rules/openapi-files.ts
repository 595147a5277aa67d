import { describe, violation } from '../violation';
import type { Rule } from './context';

export const openApiFilesRule: Rule = {
  id: 'openapi-files',
  description: "An HTTP-to-MCP server's OpenAPI file can be read and converted to tools.",
  check: (ctx) =>
    [...ctx.openApi].flatMap(([server, result]) =>
      result.ok ? [] : [violation('openapi-files', server, `${describe('McpServer', server.serverName, server)}: ${result.reason}. Fix the file or openApiFile (relative paths are from the working directory).`)],
    ),
};
