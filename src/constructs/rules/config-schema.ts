import type { Rule } from './context';

export const configSchemaRule: Rule = {
  id: 'config-schema',
  description:
    "Each construct's part of the gateway's config parses strictly with its part of GatewayConfig, the schema the data plane loads, reported at the construct and prop (catches bad values the other rules do not name, e.g. a malformed host or a negative rate limit).",
  level: 'error',
  errors: { suppressible: false, because: 'the data plane rejects the config' },
  // Each part is parsed where it is rendered (config-builder.ts); each gateway's in its own try there.
  check: (ctx) => ctx.gateways.flatMap((g) => ctx.configOf(g).issues),
};
