import type { CompressibleResponse } from './encoded-response';
import { encodeWhenAllowed } from './encoded-response';
import { codingsFor } from './negotiate';

/** What compression reads of the request: the same on HTTP/1.1 and HTTP/2. */
export interface CompressionRequest {
  readonly method?: string;
  readonly headers: { readonly 'accept-encoding'?: string | string[] };
}

/**
 * Compresses the response when the client accepts it (`Accept-Encoding`, see `negotiateCoding`) and
 * the response allows it (see `shouldCompress`). Called once per request, before anything is written.
 * A request that accepts no coding the gateway has (no `Accept-Encoding`, `identity`), and a HEAD,
 * cost nothing more: the response is left as it is.
 */
export function compressResponse(req: CompressionRequest, res: CompressibleResponse): void {
  const accept = req.headers['accept-encoding'];
  if (accept === undefined || req.method === 'HEAD') return;
  const codings = codingsFor(Array.isArray(accept) ? accept.join(',') : accept);
  if (codings) encodeWhenAllowed(res, codings);
}
