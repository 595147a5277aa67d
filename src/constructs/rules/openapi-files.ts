import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';

export const openApiFilesRule: Rule = {
  id: 'openapi-files',
  description: "An HTTP-to-MCP server's OpenAPI file can be read and converted to tools; a parameter no tool can send (a cookie) is a warning.",
  level: 'error',
  errors: { suppressible: false, because: "the server's tools cannot be built from the file" },
  check: (ctx) =>
    [...ctx.openApi].flatMap(([server, result]): Finding[] => {
      const at = describe('McpServer', server.serverName, server);
      if (!result.ok) return [finding(server, `${at}: ${result.reason}. Fix the file or openApiFile (relative paths are from the working directory).`)];
      // Declared but never sent is said, not dropped in silence.
      return result.notes.map((note) => ({ ...finding(server, `${at}: OpenAPI file ${JSON.stringify(server.openApiFile)}, ${note}`), level: 'warning' as const }));
    }),
};
