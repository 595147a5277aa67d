/** Maps a method and path (any prefix: `/v1`, `/compatible-mode/v1`, Azure's deployments, a gateway's own) to an operation. */
import { IMAGE_URL_PATH } from './images';

export type Operation =
  | 'chat' | 'completions' | 'embeddings' | 'models' | 'model'
  | 'anthropic-messages' | 'anthropic-count-tokens'
  | 'image-generations' | 'image-edits' | 'image-file'
  | 'transcriptions' | 'translations' | 'speech';

export const MODEL_BY_ID = /\/models\/([^/]+)$/;

const POST_SUFFIXES: readonly [string, Operation][] = [
  ['/v1/messages', 'anthropic-messages'],
  ['/v1/messages/count_tokens', 'anthropic-count-tokens'],
  ['/chat/completions', 'chat'],
  ['/completions', 'completions'],
  ['/embeddings', 'embeddings'],
  ['/images/generations', 'image-generations'],
  ['/images/edits', 'image-edits'],
  ['/audio/transcriptions', 'transcriptions'],
  ['/audio/translations', 'translations'],
  ['/audio/speech', 'speech'],
];

/** Operations whose body is `multipart/form-data`. */
export const MULTIPART_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>(['image-edits', 'transcriptions', 'translations']);

export function route(method: string, path: string): Operation | undefined {
  if (method === 'POST') return POST_SUFFIXES.find(([suffix]) => path.endsWith(suffix))?.[1];
  if (method === 'GET') {
    if (path.endsWith('/models')) return 'models';
    if (IMAGE_URL_PATH.test(path)) return 'image-file';
    if (MODEL_BY_ID.test(path)) return 'model';
  }
  return undefined;
}

export function isAnthropic(operation: Operation | undefined): boolean {
  return operation === 'anthropic-messages' || operation === 'anthropic-count-tokens';
}
