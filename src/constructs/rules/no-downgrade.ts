import { LOCK_FILE_NAME } from '../lock-file';
import { finding, type Finding } from '../violation';
import type { Rule, RuleContext } from './context';
import { gw } from './labels';

function check(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  if (ctx.lock.error && ctx.fleets.length > 0) {
    out.push(finding(ctx.fleets[0], `Lock file ${ctx.lock.path}: cannot be read (${ctx.lock.error}). Restore it from version control; it is what prevents a Dedicated gateway from being downgraded.`));
  }
  for (const g of ctx.gateways) {
    const locked = ctx.lock.entries[g.node.path];
    if (locked?.edition === 'dedicated' && g.edition === 'serverless') {
      out.push(
        finding(
          g,
          `${gw(g)}: locked as Dedicated (${locked.spec ?? 'no spec'}) in ${ctx.lock.path}; a Dedicated gateway cannot be downgraded to Serverless. Keep edition 'dedicated', or create the Serverless gateway under a new id.`,
        ),
      );
    } else if (locked?.edition === 'dedicated' && g.spec && locked.spec && locked.spec !== g.spec) {
      // Allowed (Terraform resizes in place); noted so that a resize never goes unseen in review.
      out.push({ construct: g, level: 'info', message: `Gateway '${g.gatewayName}': spec changes from ${locked.spec} to ${g.spec}.` });
    }
  }
  return out;
}

export const noDowngradeRule: Rule = {
  id: 'no-downgrade',
  description: `A gateway locked as Dedicated in ${LOCK_FILE_NAME} can never become Serverless; the lock file must be readable.`,
  level: 'error',
  errors: { suppressible: false, because: "Terraform would destroy the Dedicated gateway's namespace, Redis and endpoint to create a Serverless one" },
  check,
};
