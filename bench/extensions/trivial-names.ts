/** The names the trivial extension and the bench share (a file of its own: the extension's bundle takes in what it imports). */

/** The extension's name (the construct's `name` must match it). */
export const TRIVIAL_EXTENSION_NAME = 'bench-trivial';
/** The header its onResponse sets on every answer: the bench checks it on every call, so a call the hook skipped is an error. */
export const TRIVIAL_HEADER = 'x-bench-trivial';
