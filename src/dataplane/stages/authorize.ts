import { authorize as grantCheck } from '../auth';
import type { Stage } from './stage';

/** Key auth, for every kind of route, and only here: 401 without a valid key, 403 without a grant to the route. */
export const authorize: Stage = {
  name: 'authorize',
  run: (ctx) => grantCheck(ctx.route!, ctx.caller),
};
