/** Maps a method and path (any prefix: `/v1`, `/compatible-mode/v1`, Azure's deployments and `/openai/…`, a gateway's own) to an operation. */
import { IMAGE_URL_PATH } from './images';

/** Dify's app API (dify-handler.ts). */
export type DifyOperation =
  | 'dify-chat' | 'dify-completion' | 'dify-workflow' | 'dify-stop'
  | 'dify-conversations' | 'dify-messages' | 'dify-parameters' | 'dify-upload'
  | 'dify-conversation-delete' | 'dify-conversation-rename' | 'dify-feedback' | 'dify-suggested';

/** Dify paths with an id in them: `[method, pattern, operation]`; the id is the pattern's first group. */
export const DIFY_ID_ROUTES: readonly [string, RegExp, DifyOperation][] = [
  ['DELETE', /\/conversations\/([^/]+)$/, 'dify-conversation-delete'],
  ['POST', /\/conversations\/([^/]+)\/name$/, 'dify-conversation-rename'],
  ['POST', /\/messages\/([^/]+)\/feedbacks$/, 'dify-feedback'],
  ['GET', /\/messages\/([^/]+)\/suggested$/, 'dify-suggested'],
];

/** OpenAI's stored-response endpoints (responses-api-handler.ts). */
export type StoredResponseOperation = 'response-get' | 'response-delete' | 'response-cancel' | 'response-input-items';

/** Responses API paths with a response id in them: `[method, pattern, operation]`; the id is the pattern's first group. */
export const RESPONSE_ID_ROUTES: readonly [string, RegExp, StoredResponseOperation][] = [
  ['GET', /\/responses\/([^/]+)$/, 'response-get'],
  ['DELETE', /\/responses\/([^/]+)$/, 'response-delete'],
  ['POST', /\/responses\/([^/]+)\/cancel$/, 'response-cancel'],
  ['GET', /\/responses\/([^/]+)\/input_items$/, 'response-input-items'],
];

export type Operation =
  | 'chat' | 'completions' | 'embeddings' | 'models' | 'model'
  | 'responses' | StoredResponseOperation
  | 'anthropic-messages' | 'anthropic-count-tokens'
  | 'image-generations' | 'image-edits' | 'image-file'
  | 'transcriptions' | 'translations' | 'speech'
  | DifyOperation
  | 'dashscope-app';

export const MODEL_BY_ID = /\/models\/([^/]+)$/;

const POST_SUFFIXES: readonly [string, Operation][] = [
  ['/v1/messages', 'anthropic-messages'],
  ['/v1/messages/count_tokens', 'anthropic-count-tokens'],
  ['/chat/completions', 'chat'],
  ['/responses', 'responses'],
  ['/completions', 'completions'],
  ['/embeddings', 'embeddings'],
  ['/images/generations', 'image-generations'],
  ['/images/edits', 'image-edits'],
  ['/audio/transcriptions', 'transcriptions'],
  ['/audio/translations', 'translations'],
  ['/audio/speech', 'speech'],
  ['/chat-messages', 'dify-chat'],
  ['/completion-messages', 'dify-completion'],
  ['/workflows/run', 'dify-workflow'],
  ['/files/upload', 'dify-upload'],
];

/** Dify's stop endpoints: `chat-messages/:task_id/stop`, `completion-messages/:task_id/stop`, `workflows/tasks/:task_id/stop`. */
const DIFY_STOP = /\/(?:chat-messages|completion-messages|workflows\/tasks)\/[^/]+\/stop$/;

/** Model Studio's application completion: `…/apps/{app_id}/completion`. */
export const DASHSCOPE_APP = /\/apps\/[^/]+\/completion$/;

const GET_SUFFIXES: readonly [string, Operation][] = [
  ['/conversations', 'dify-conversations'],
  ['/messages', 'dify-messages'],
  ['/parameters', 'dify-parameters'],
];

/** Operations whose body is `multipart/form-data`. */
export const MULTIPART_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>(['image-edits', 'transcriptions', 'translations']);

export function route(method: string, path: string): Operation | undefined {
  const withId = [...DIFY_ID_ROUTES, ...RESPONSE_ID_ROUTES].find(([m, pattern]) => m === method && pattern.test(path));
  if (withId) return withId[2];
  if (method === 'POST') {
    if (DIFY_STOP.test(path)) return 'dify-stop';
    if (DASHSCOPE_APP.test(path)) return 'dashscope-app';
    return POST_SUFFIXES.find(([suffix]) => path.endsWith(suffix))?.[1];
  }
  if (method === 'GET') {
    if (path.endsWith('/models')) return 'models';
    if (IMAGE_URL_PATH.test(path)) return 'image-file';
    if (MODEL_BY_ID.test(path)) return 'model';
    return GET_SUFFIXES.find(([suffix]) => path.endsWith(suffix))?.[1];
  }
  return undefined;
}

export function isDify(operation: Operation | undefined): operation is DifyOperation {
  return operation !== undefined && operation.startsWith('dify-');
}

export function isAnthropic(operation: Operation | undefined): boolean {
  return operation === 'anthropic-messages' || operation === 'anthropic-count-tokens';
}

export function isStoredResponse(operation: Operation | undefined): operation is StoredResponseOperation {
  return operation !== undefined && operation.startsWith('response-');
}
