import type { Stage } from './stage';

/**
 * Extensions that see or change the answer and its stream, chunk by chunk, inside the attempts' relay.
 * Nothing to do yet (a later issue), so it is not run.
 */
export const responseExtensions: Stage = { name: 'response-extensions', run: undefined };
