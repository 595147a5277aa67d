import type { Stage } from './stage';

/** The WAF: inspects the request before anything trusts it. Nothing to do yet (a later issue), so it is not run. */
export const inspect: Stage = { name: 'inspect', run: undefined };
