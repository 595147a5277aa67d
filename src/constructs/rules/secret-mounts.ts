import { MAX_SECRETS_PER_GATEWAY } from '../../specs';
import { distinctSecrets } from '../secret-mounts';
import { finding } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

export const secretMountsRule: Rule = {
  id: 'secret-mounts',
  description: `A gateway mounts at most ${MAX_SECRETS_PER_GATEWAY} distinct Secrets (each once, however many keys it is referenced by).`,
  level: 'error',
  errors: { suppressible: false, because: `the gateway's pods mount at most ${MAX_SECRETS_PER_GATEWAY} Secrets` },
  check: (ctx) =>
    ctx.gateways.flatMap((g) => {
      const { config } = ctx.configOf(g);
      if (!config) return [];
      const secrets = distinctSecrets(config);
      if (secrets.size <= MAX_SECRETS_PER_GATEWAY) return [];
      return [
        finding(
          g,
          `${gw(g)}: references ${secrets.size} distinct Secrets, at most ${MAX_SECRETS_PER_GATEWAY} can be mounted. Put many keys in one Secret (e.g. every consumer's API key in one 'consumer-keys' Secret).`,
        ),
      ];
    }),
};
