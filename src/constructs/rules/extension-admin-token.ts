import { findMarketplaceExtension } from '../../extensions/marketplace';
import { SYSTEM_EXTENSIONS } from '../../extensions/system';
import type { AiGateway } from '../gateway';
import { finding, type Finding } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

/**
 * A warning, not an error: the gateway serves traffic without the token, only the operator's API is off. Custom
 * extensions are not looked at: what their modules define is known once they are bundled.
 */

/** The enabled system and marketplace extensions of a gateway that have an admin API (onAdmin), by name. */
function withAdminApi(g: AiGateway): string[] {
  return g.children.extensions
    .filter((e) => e.enabled !== false)
    .filter((e) => {
      const catalog =
        e.source === 'system'
          ? (Object.hasOwn(SYSTEM_EXTENSIONS, e.name) ? SYSTEM_EXTENSIONS[e.name] : undefined)
          : e.source === 'marketplace'
            ? findMarketplaceExtension(e.name, e.version)
            : undefined;
      return typeof catalog?.definition.onAdmin === 'function';
    })
    .map((e) => e.name);
}

function check(g: AiGateway): Finding[] {
  if (g.adminToken !== undefined) return [];
  const names = withAdminApi(g);
  if (names.length === 0) return [];
  return [
    finding(
      g,
      `${gw(g)}: has ${names.map((n) => `'${n}'`).join(', ')}, whose admin API (balances, top-ups) is off without an adminToken: every call to /extensions/… on the admin port answers 403. Set adminToken: { secretName, key } naming a Secret key that holds a long random token (e.g. openssl rand -hex 32).`,
    ),
  ];
}

export const extensionAdminTokenRule: Rule = {
  id: 'extension-admin-token',
  description: 'A gateway with an extension that has an admin API (token-quota) names an adminToken, without which that API answers 403.',
  level: 'warning',
  errors: { suppressible: true },
  check: (ctx) => ctx.gateways.flatMap(check),
};
