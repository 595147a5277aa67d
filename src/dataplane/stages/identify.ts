import { identify as callerOf } from '../auth';
import type { Stage } from './stage';

/** Who is calling: a consumer (by its key), no key, or a key no consumer has. Nothing is refused yet: routes without key auth admit anyone. */
export const identify: Stage = {
  name: 'identify',
  run: (ctx) => {
    ctx.caller = callerOf(ctx.snapshot, ctx.req.headers);
    if (ctx.caller.kind === 'consumer') ctx.record.consumer = ctx.caller.consumer.name;
  },
};
