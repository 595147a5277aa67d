import type { IConstruct } from 'constructs';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';

/** Headers that carry credentials: their values would land in ConfigMaps and Terraform state. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'cookie', 'x-goog-api-key']);

function check(by: IConstruct, label: string, where: string, headers: Record<string, string> | undefined, fix: string): Finding[] {
  return Object.keys(headers ?? {})
    .filter((h) => CREDENTIAL_HEADERS.has(h.toLowerCase()))
    .map((h) => finding(by, `${label}: ${where} sets the credential header '${h}' in plain config. ${fix}`));
}

export const inlineCredentialsRule: Rule = {
  id: 'inline-credentials',
  description: 'No credential header (Authorization, api-key, x-api-key, cookie …) is set inline: credentials are SecretRefs, never values in config.',
  level: 'error',
  errors: { suppressible: false, because: 'the credential would sit in plain ConfigMaps and Terraform state' },
  check: (ctx) =>
    ctx.gateways.flatMap((g) => [
      ...g.children.modelRoutes.flatMap((r) =>
        r.models.flatMap((m) =>
          (m.targets ?? []).flatMap((t) =>
            check(r, describe('ModelRoute', r.routeName, r), `the backend of model '${m.name}'`, t.backend?.headers, 'Use the Backend\'s apiKey (a SecretRef).'),
          ),
        ),
      ),
      ...g.children.mcpServers.flatMap((m) => {
        const at = describe('McpServer', m.serverName, m);
        if (m.kind === 'proxy') return check(m, at, 'headers', m.headers, 'Use auth (a SecretRef).');
        return m.tools.flatMap((t) => check(m, at, `tool '${t.name}'`, t.request?.headers, 'Use the server\'s auth (a SecretRef).'));
      }),
    ]),
};
