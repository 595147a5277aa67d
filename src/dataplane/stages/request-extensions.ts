import type { Stage } from './stage';

/** Extensions that see or change the request before the attempts. Nothing to do yet (a later issue), so it is not run. */
export const requestExtensions: Stage = { name: 'request-extensions', run: undefined };
