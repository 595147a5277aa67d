/**
 * OpenAI images: `POST .../images/generations` (JSON), `POST .../images/edits` (multipart, image files
 * hashed as they stream in), and `GET .../sim-images/{rgba}.png` serving the URLs `response_format: 'url'` returns.
 */
import type { Exchange, HandlerContext } from './exchange';
import { imageRequestProblem, type ImageRequest, imagesResponse, pngForUrlPath } from './images';
import { fieldOf, filesOf, type MultipartPart } from './multipart';
import { apiError } from './responses';

export function imageGenerations(ctx: HandlerContext, exchange: Exchange, body: Record<string, unknown>): void {
  respond(ctx, exchange, {
    model: typeof body.model === 'string' && body.model !== '' ? body.model : 'dall-e-2',
    prompt: typeof body.prompt === 'string' ? body.prompt : '',
    n: body.n === undefined || body.n === null ? 1 : typeof body.n === 'number' ? body.n : Number.NaN,
    size: stringOrUndefined(body.size),
    quality: stringOrUndefined(body.quality),
    responseFormat: stringOrUndefined(body.response_format),
    inputImages: 0,
  });
}

export function imageEdits(ctx: HandlerContext, exchange: Exchange, parts: readonly MultipartPart[]): void {
  const images = filesOf(parts, 'image', 'image[]');
  if (images.length === 0) {
    ctx.responder.json(exchange, 400, apiError('Missing required parameter: \'image\'.', 'invalid_request_error', 'image', 'missing_required_parameter'));
    return;
  }
  const n = fieldOf(parts, 'n');
  respond(ctx, exchange, {
    model: fieldOf(parts, 'model') || 'dall-e-2',
    prompt: fieldOf(parts, 'prompt') ?? '',
    n: n === undefined ? 1 : /^\d+$/.test(n) ? Number(n) : Number.NaN,
    size: fieldOf(parts, 'size'),
    quality: fieldOf(parts, 'quality'),
    responseFormat: fieldOf(parts, 'response_format'),
    inputImages: images.length,
  });
}

export function simulatedImage(ctx: HandlerContext, exchange: Exchange): void {
  const png = pngForUrlPath(exchange.path)!;
  ctx.responder.payload(exchange, 200, png, { 'content-type': 'image/png' });
}

function respond(ctx: HandlerContext, exchange: Exchange, request: ImageRequest): void {
  const problem = imageRequestProblem(request);
  if (problem) {
    ctx.responder.json(exchange, 400, apiError(problem[0], 'invalid_request_error', problem[1]));
    return;
  }
  ctx.responder.json(exchange, 200, imagesResponse(ctx.name, request, ctx.baseUrl, Math.floor(Date.now() / 1000)));
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
