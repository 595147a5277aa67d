import type { Stage } from './stage';

/**
 * Extensions that see or change the answer: they run inside the attempts' relay, where the answer is
 * (extensions/response.ts for onResponse, extensions/stream.ts for onStreamChunk and onStreamEnd), so this
 * stage has nothing of its own to run. onLog runs in the account stage.
 */
export const responseExtensions: Stage = { name: 'response-extensions', run: undefined };
