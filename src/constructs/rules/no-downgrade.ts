import { LOCK_FILE_NAME } from '../lock-file';
import { violation, type Violation } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

export const noDowngradeRule: Rule = {
  id: 'no-downgrade',
  description: `A gateway locked as Dedicated in ${LOCK_FILE_NAME} can never become Serverless; the lock file must be readable.`,
  check: (ctx) => {
    const out: Violation[] = [];
    if (ctx.lock.error && ctx.fleets.length > 0) {
      out.push(violation('no-downgrade', ctx.fleets[0], `Lock file ${ctx.lock.path}: cannot be read (${ctx.lock.error}). Restore it from version control; it is what prevents a Dedicated gateway from being downgraded.`));
    }
    for (const g of ctx.gateways) {
      const locked = ctx.lock.entries[g.node.path];
      if (locked?.edition === 'dedicated' && g.edition === 'serverless') {
        out.push(
          violation(
            'no-downgrade',
            g,
            `${gw(g)}: locked as Dedicated (${locked.spec ?? 'no spec'}) in ${ctx.lock.path}; a Dedicated gateway cannot be downgraded to Serverless. Keep edition 'dedicated', or create the Serverless gateway under a new id.`,
          ),
        );
      }
    }
    return out;
  },
};
