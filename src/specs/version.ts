import { readFileSync } from 'fs';
import { join } from 'path';

/**
 * The library's own version, read from its package.json (the same file from `src/` and from `lib/`).
 * It is the default image tag of the data plane: the constructs and the image ship together.
 */
export const LIBRARY_VERSION: string = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
