/**
 * Pure builders for OpenAI's image endpoints: `{ created, data: [{ b64_json | url, revised_prompt }] }`, with
 * gpt-image-style `usage`. Every image is a valid 1×1 PNG whose colour follows the model, prompt and index.
 */
import { onePixelPng, pixelOf } from './png';
import { estimateTokens, replyText } from './responses';

/** Path of the simulated image URLs (`response_format: 'url'`), served by `GET` with the pixel in hex. */
export const IMAGE_URL_PATH = /\/sim-images\/([0-9a-f]{8})\.png$/;

export const MAX_IMAGES = 10;

/** Input tokens billed per input image of an edit. */
export const IMAGE_INPUT_TOKENS = 65;

/** Output tokens per 1024×1024 image by `quality`, as gpt-image-1 bills them. */
const OUTPUT_TOKENS_BY_QUALITY: Record<string, number> = { low: 272, medium: 1056, high: 4160 };

export interface ImageRequest {
  readonly model: string;
  readonly prompt: string;
  readonly n: number;
  readonly size?: string;
  readonly quality?: string;
  readonly responseFormat?: string;
  /** Images given to an edit. */
  readonly inputImages: number;
}

/** `[message, param]` of the first problem, or `undefined`. */
export function imageRequestProblem(request: ImageRequest): [string, string] | undefined {
  if (request.prompt === '') return ['Missing required parameter: \'prompt\'.', 'prompt'];
  if (!Number.isInteger(request.n) || request.n < 1 || request.n > MAX_IMAGES) {
    return [`Invalid 'n': expected an integer from 1 to ${MAX_IMAGES}, got ${request.n}.`, 'n'];
  }
  if (request.responseFormat !== undefined && request.responseFormat !== 'url' && request.responseFormat !== 'b64_json') {
    return [`Invalid value: '${request.responseFormat}'. Supported values are: 'url' and 'b64_json'.`, 'response_format'];
  }
  return undefined;
}

export function isGptImage(model: string): boolean {
  return model.startsWith('gpt-image');
}

/** GPT image models always return `b64_json`; DALL·E models default to `url`. */
export function imagesResponse(name: string, request: ImageRequest, baseUrl: string, created: number): Record<string, unknown> {
  const format = isGptImage(request.model) ? 'b64_json' : request.responseFormat ?? 'url';
  const data = Array.from({ length: request.n }, (_, index) => {
    const pixel = pixelOf(`${request.model}\u0000${request.prompt}\u0000${index}`);
    const image = format === 'url'
      ? { url: `${baseUrl}/v1/sim-images/${pixel.toString('hex')}.png` }
      : { b64_json: onePixelPng(pixel).toString('base64') };
    return { ...image, revised_prompt: replyText(name, request.model, request.prompt) };
  });
  return { created, data, ...(isGptImage(request.model) ? { usage: imageUsage(request) } : {}) };
}

export function imageUsage(request: ImageRequest): Record<string, unknown> {
  const textTokens = estimateTokens([request.prompt]);
  const imageTokens = request.inputImages * IMAGE_INPUT_TOKENS;
  const [width, height] = /^(\d+)x(\d+)$/.exec(request.size ?? '')?.slice(1).map(Number) ?? [1024, 1024];
  const perImage = Math.round((OUTPUT_TOKENS_BY_QUALITY[request.quality ?? ''] ?? OUTPUT_TOKENS_BY_QUALITY.medium) * (width * height) / (1024 * 1024));
  const outputTokens = perImage * request.n;
  return {
    input_tokens: textTokens + imageTokens,
    input_tokens_details: { text_tokens: textTokens, image_tokens: imageTokens },
    output_tokens: outputTokens,
    total_tokens: textTokens + imageTokens + outputTokens,
  };
}

/** The PNG a simulated image URL points at. */
export function pngForUrlPath(path: string): Buffer | undefined {
  const match = IMAGE_URL_PATH.exec(path);
  return match ? onePixelPng(Buffer.from(match[1], 'hex')) : undefined;
}
