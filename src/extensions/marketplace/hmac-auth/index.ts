import { createHmac, timingSafeEqual } from 'crypto';
import { z } from 'zod';
import type { MarketplaceManifest } from '../../catalog-types';
import type { ExtensionDefinition, ExtensionRequest, RequestHookContext } from '../../types';
import { errorBody } from '../answers';
import { configParser } from '../config';

export const SIGNATURE_HEADER = 'x-aigw-signature';

const BaseConfig = z.strictObject({
  /**
   * The secret the callers share with the gateway: give it as a Secret key (the construct's `secrets: { secret: … }`), which the gateway reads into this field at load. At least 32
   * characters. Its errors are worded here, never zod's defaults, so that no message can ever quote the value.
   */
  secret: z
    .string({ error: 'must be a string (the shared secret, e.g. `openssl rand -hex 32`)' })
    .min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)'),
  /** How far the signature's timestamp may be from the gateway's clock, either way. @default 300 */
  maxSkewSeconds: z.int().min(1).max(3_600).default(300),
});
const ReplayConfig = BaseConfig.extend({
  /** Whether a signature is refused the second time it is seen (within twice the skew, across replicas through the KV). @default true */
  rejectReplays: z.boolean().default(true),
});
type HmacAuthConfig = z.output<typeof BaseConfig> & { rejectReplays?: boolean };

/**
 * The text a caller signs: `<t>.<METHOD>.<path with its query>.<body>`, the body as the client sent its bytes
 * (`rawBody`), '' when the request has none. Never a re-serialization: a caller's own JSON spacing or key order
 * would then fail, and bytes the gateway did not read would go unsigned.
 */
export function signedText(t: string, request: Pick<ExtensionRequest, 'method' | 'path' | 'query'>, rawBody: string | undefined): string {
  return `${t}.${request.method.toUpperCase()}.${request.path}${request.query}.${rawBody ?? ''}`;
}

/**
 * Whether the request has a body the hook cannot read as it was sent (a multipart upload, a streamed body): the
 * signature cannot cover it. HTTP/1.1 announces a body by a non-zero `content-length` or any `transfer-encoding`.
 * The parsed `body` is not looked at: reading it makes the gateway send the body re-serialized.
 */
export function bodyUnverifiable(headers: Readonly<Record<string, string>>, rawBody: string | undefined): boolean {
  if (rawBody !== undefined) return false;
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && !/^\s*0+\s*$/.test(length));
}

/** `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; several v1 let a caller sign with an old and a new secret while they rotate. */
function parseSignature(header: string): { t: string; v1: string[] } | undefined {
  let t: string | undefined;
  const v1: string[] = [];
  for (const pair of header.split(',')) {
    const [key, value] = pair.trim().split('=', 2) as [string, string | undefined];
    if (key === 't' && value !== undefined && /^\d{1,12}$/.test(value)) t = value;
    else if (key === 'v1' && value !== undefined && /^[0-9a-fA-F]{64}$/.test(value)) v1.push(value.toLowerCase());
  }
  return t !== undefined && v1.length > 0 && v1.length <= 4 ? { t, v1 } : undefined;
}

function refuse(ctx: RequestHookContext<HmacAuthConfig>, code: string, message: string) {
  return ctx.respond(401, errorBody(ctx.request, 'authentication_error', code, message));
}

function hmacAuth(replays: boolean): ExtensionDefinition<HmacAuthConfig> {
  return {
    name: 'hmac-auth',
    parseConfig: configParser(replays ? ReplayConfig : BaseConfig),
    async onRequest(ctx) {
      const header = ctx.request.headers[SIGNATURE_HEADER];
      const form = 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.METHOD.path.body" with the shared secret>';
      if (header === undefined) return refuse(ctx, 'missing_signature', `This route needs a signed request: send ${SIGNATURE_HEADER}: ${form}.`);
      const signature = parseSignature(header);
      if (!signature) return refuse(ctx, 'invalid_signature', `The ${SIGNATURE_HEADER} header is not of the form ${form}.`);
      // Read once: the gateway decodes the bytes on each read.
      const rawBody = ctx.request.rawBody;
      if (bodyUnverifiable(ctx.request.headers, rawBody)) {
        return refuse(
          ctx,
          'unverifiable_body',
          'The signature cannot cover this request\'s body: the gateway does not keep the bytes of an upload (multipart) or a streamed ' +
            'body to check them. Send a JSON body, or send uploads and streamed bodies to a route without hmac-auth.',
        );
      }
      const skew = Math.abs(Math.floor(Date.now() / 1000) - Number(signature.t));
      if (skew > ctx.config.maxSkewSeconds) {
        return refuse(
          ctx,
          'invalid_signature',
          `The signature's timestamp is ${skew} s from the gateway's clock; at most ${ctx.config.maxSkewSeconds} s is allowed. Sign with the current time (check the caller's clock).`,
        );
      }
      const expected = createHmac('sha256', ctx.config.secret).update(signedText(signature.t, ctx.request, rawBody)).digest();
      // Every candidate is compared, in constant time, so that the time taken says nothing of which or how much matched.
      let matched = false;
      for (const candidate of signature.v1) matched = timingSafeEqual(expected, Buffer.from(candidate, 'hex')) || matched;
      if (!matched) return refuse(ctx, 'invalid_signature', 'The request signature does not match: sign "t.METHOD.path.body" of this request with the shared secret.');
      if (ctx.config.rejectReplays && (await ctx.kv.incrBy(`seen:${expected.toString('hex')}`, 1, 2 * ctx.config.maxSkewSeconds)) > 1) {
        return refuse(ctx, 'replayed_signature', 'This signature was already used: sign each request anew, with the current time.');
      }
      // The upstream has no use for it.
      delete ctx.request.headers[SIGNATURE_HEADER];
      return undefined;
    },
  };
}

const description = (extra: string) =>
  `Verifies callers' request signatures: ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.METHOD.path.body">, with a shared secret and ` +
  'a maximum clock skew, compared in constant time; answers 401 otherwise, and for a body it cannot read as sent (an upload, a streamed body).' +
  `${extra} Config: { secret: string, maxSkewSeconds?: number (default 300)`;

export const HMAC_AUTH_1_0_0: MarketplaceManifest = {
  name: 'hmac-auth',
  version: '1.0.0',
  description: `${description('')} }.`,
  phase: 'authn',
  priority: 200,
  failPolicy: 'closed',
  editions: ['dedicated'],
  definition: hmacAuth(false),
};

/** 1.1.0: a signature is good once (replays refused through the gateway's KV, shared by every replica). */
export const HMAC_AUTH_1_1_0: MarketplaceManifest = {
  ...HMAC_AUTH_1_0_0,
  version: '1.1.0',
  description: `${description(' A signature seen before (within twice the skew) is refused as a replay.')}, rejectReplays?: boolean (default true) }.`,
  definition: hmacAuth(true),
};
