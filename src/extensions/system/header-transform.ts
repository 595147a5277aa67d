import { z } from 'zod';
import type { SystemExtension } from '../catalog-types';
import { defineExtension } from '../index';
import { configParser } from './config';
import { CREDENTIAL_HEADERS, FRAMING_HEADERS, HEADER_NAME, HEADER_VALUE } from './http';

const MAX_HEADERS = 64;
const MAX_VALUE_LENGTH = 8192;

const headerName = z
  .string({ error: 'must be a header name (a string)' })
  .regex(HEADER_NAME, 'must be a header name (letters, digits and !#$%&\'*+-.^_`|~ only, no spaces or colons)')
  .transform((name) => name.toLowerCase())
  .refine((name) => !CREDENTIAL_HEADERS.includes(name), {
    error: `is a credential header the gateway sets or checks itself (${CREDENTIAL_HEADERS.join(', ')}): no extension may change it; remove it`,
  })
  .refine((name) => !FRAMING_HEADERS.includes(name), {
    error: `frames the message or is hop-by-hop, and is written by the gateway (${FRAMING_HEADERS.join(', ')}): remove it`,
  });

const headerValues = z
  .record(
    headerName,
    z
      .string({ error: 'must be the header value (a string)' })
      .max(MAX_VALUE_LENGTH, `must be at most ${MAX_VALUE_LENGTH} characters`)
      .regex(HEADER_VALUE, 'must not contain CR, LF or NUL (a value cannot start another header)'),
  )
  .refine((m) => Object.keys(m).length <= MAX_HEADERS, `must have at most ${MAX_HEADERS} headers`);

const transform = z.strictObject({
  /** Headers added: appended to an existing value with `, ` (a list, as RFC 9110 combines fields), else set. */
  add: headerValues.optional(),
  /** Headers set, replacing any value. */
  set: headerValues.optional(),
  /** Headers removed. */
  remove: z.array(headerName).max(MAX_HEADERS, `must have at most ${MAX_HEADERS} headers`).optional(),
});

const HeaderTransformSchema = z
  .strictObject({
    request: transform.optional(),
    response: transform.optional(),
  })
  .refine((c) => c.request !== undefined || c.response !== undefined, 'set request or response (or both): with neither, the extension does nothing');

/** The `header-transform` config as a construct declares it. */
export type HeaderTransformConfig = z.input<typeof HeaderTransformSchema>;
export type ParsedHeaderTransformConfig = z.output<typeof HeaderTransformSchema>;
type Transform = z.output<typeof transform>;

/**
 * `header-transform`: adds, sets and removes request headers (what the upstream gets) and response headers (what
 * the client gets), in that order within each: `remove`, then `set`, then `add`. Names are case-insensitive.
 *
 * Removing a request header only matters for the headers the gateway forwards: on agent routes, and the protocol
 * headers of model routes (anthropic-version, anthropic-beta, openai-beta); a model route never forwards the
 * client's other headers, so removing them there changes nothing.
 *
 * It does not: touch the credential headers (authorization, x-api-key, api-key, x-goog-api-key, cookie,
 * proxy-authorization, host) or the framing and hop-by-hop ones (content-length, transfer-encoding, connection, te,
 * upgrade, keep-alive, trailer, expect, proxy-connection), refused at config load; compute values (they are fixed
 * strings); or change the headers of the events of a stream (there are none).
 */
export const headerTransform = defineExtension<ParsedHeaderTransformConfig>({
  name: 'header-transform',
  parseConfig: configParser('header-transform', HeaderTransformSchema),

  onRequest(ctx) {
    if (ctx.config.request) apply(ctx.config.request, ctx.request.headers);
  },

  onResponse(ctx) {
    if (ctx.config.response) apply(ctx.config.response, ctx.response.headers);
  },
});

function apply(t: Transform, headers: Record<string, string>): void {
  for (const name of t.remove ?? []) delete headers[name];
  for (const [name, value] of Object.entries(t.set ?? {})) headers[name] = value;
  for (const [name, value] of Object.entries(t.add ?? {})) headers[name] = headers[name] === undefined || headers[name] === '' ? value : `${headers[name]}, ${value}`;
}

export const HEADER_TRANSFORM: SystemExtension = {
  definition: headerTransform,
  description: 'Adds, sets and removes request and response headers (never the credential headers).',
  phase: 'default',
  priority: 500,
  failPolicy: 'closed',
};
