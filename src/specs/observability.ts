import { z } from 'zod';
import { wafPatternProblem } from './waf';

/**
 * The custom part of a Dedicated gateway's observability: metric labels taken from each request
 * (a header, or an attribute of the consumer that sent it), each bounded by the values it
 * declares, and the access log's fields. Shared by the constructs and the data plane.
 */

/** What a request label is when the request has no such header or its consumer no such attribute (anonymous included). */
export const REQUEST_LABEL_ABSENT = 'none';
/** What a request label is when the value is not one of those declared: the series stay bounded whatever clients send. */
export const REQUEST_LABEL_OTHER = 'other';

export const REQUEST_LABEL_LIMITS = {
  /** Labels per gateway. */
  maxLabels: 5,
  /** Declared values per label (each label's series: these, `other` and `none`). */
  maxValues: 50,
  /** Characters of a declared value. */
  maxValueChars: 64,
} as const;

/** Label names the data plane's metrics already use: a request label cannot take one. */
export const RESERVED_METRIC_LABELS = ['gateway', 'route', 'consumer', 'gen_ai_request_model', 'gen_ai_response_model', 'gen_ai_provider_name', 'gen_ai_token_type', 'status', 'error_type', 'le', 'quantile'] as const;

/** A consumer attribute's name: a key of `consumers[].attributes`. */
export const CONSUMER_ATTRIBUTE_NAME = /^[a-z][a-z0-9_.-]{0,62}$/;

const promLabelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/, 'must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, at most 63 characters)')
  .refine((n) => !n.startsWith('__'), 'names starting with "__" are reserved by Prometheus')
  .refine((n) => !(RESERVED_METRIC_LABELS as readonly string[]).includes(n), `is already a label of the gateway's metrics (${RESERVED_METRIC_LABELS.join(', ')}): choose another name`);

export const RequestLabelSchema = z
  .strictObject({
    /** The label's name on the metrics. */
    name: promLabelName,
    /** Take the value from this request header (lower-case), e.g. `x-tenant`. */
    header: z.string().regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a lower-case HTTP header name').optional(),
    /** Take the value from this attribute of the consumer (`consumers[].attributes`). */
    consumerAttribute: z.string().regex(CONSUMER_ATTRIBUTE_NAME, 'must be a consumer attribute name ([a-z][a-z0-9_.-]*)').optional(),
    /** The values kept as they are; any other is `other`, a missing one `none`. */
    values: z
      .array(z.string().min(1).max(REQUEST_LABEL_LIMITS.maxValueChars))
      .min(1)
      .max(REQUEST_LABEL_LIMITS.maxValues)
      .refine((v) => new Set(v).size === v.length, 'must not repeat a value')
      .refine((v) => !v.includes(REQUEST_LABEL_OTHER) && !v.includes(REQUEST_LABEL_ABSENT), `must not include '${REQUEST_LABEL_OTHER}' or '${REQUEST_LABEL_ABSENT}' (what the label says for any other value, and for none)`),
  })
  .refine((l) => (l.header === undefined) !== (l.consumerAttribute === undefined), { message: 'takes its value from exactly one of header and consumerAttribute' });

export type RequestLabelConfig = z.infer<typeof RequestLabelSchema>;

/** The access log's fields, as `writeAccessLine` names them: `fields` picks among them. */
export const ACCESS_LOG_FIELDS = [
  'method',
  'path',
  'host',
  'status',
  'durationMs',
  'overheadMs',
  'ttftMs',
  'route',
  'consumer',
  'requestedModel',
  'modelEntry',
  'servedModel',
  'targetModel',
  'backend',
  'provider',
  'inputTokens',
  'outputTokens',
  'estimatedTokens',
  'stream',
  'error',
  'errorDetail',
  'aborted',
  'retries',
  'requestId',
  'wafRules',
  'protocol',
] as const;

export type AccessLogField = (typeof ACCESS_LOG_FIELDS)[number];

export const AccessLogSchema = z.strictObject({
  /** The fields each access line has (when set), in the order of ACCESS_LOG_FIELDS. @default - every field */
  fields: z
    .array(z.enum(ACCESS_LOG_FIELDS))
    .min(1)
    .refine((f) => new Set(f).size === f.length, 'must not repeat a field'),
});

/** The request labels as a whole: few, and each name once. */
export const RequestLabelsSchema = z
  .array(RequestLabelSchema)
  .max(REQUEST_LABEL_LIMITS.maxLabels)
  .refine((labels) => new Set(labels.map((l) => l.name)).size === labels.length, 'must not declare a label name twice');

/** Bounds of a route's payload log (`logPayloads`). */
export const PAYLOAD_LOG_LIMITS = {
  /** Default bytes kept of the prompt and of the completion each. */
  defaultMaxBytes: 16_384,
  /** Redaction runs on the event loop when the request ends (RE2, linear time): its text is kept small. */
  maxBytes: 65_536,
  maxRedactPatterns: 20,
} as const;

/** What the payload log replaces a redacted match with. */
export const REDACTED = '[redacted]';

/**
 * A model route's payload log (Kong's `logging.log_payloads`): each request's prompt (the JSON body
 * the client sent) and completion (the bytes the client got: JSON, or SSE as streamed) on a `payload`
 * log line, cut at `maxBytes` each, with credentials and `redact` matches replaced by `[redacted]`.
 * Off unless a route sets it: prompts hold what users typed.
 */
export const PayloadLogSchema = z.strictObject({
  /** Bytes kept of the prompt and of the completion each. @default 16384 */
  maxBytes: z.int().min(1).max(PAYLOAD_LOG_LIMITS.maxBytes).optional(),
  /** RE2 patterns whose matches are replaced by `[redacted]`, besides the built-in credential patterns. @default [] */
  redact: z
    .array(
      z.string().superRefine((pattern, ctx) => {
        const reason = wafPatternProblem(pattern);
        if (reason) ctx.addIssue({ code: 'custom', message: reason.replace('WAF patterns', 'Redaction patterns') });
      }),
    )
    .max(PAYLOAD_LOG_LIMITS.maxRedactPatterns)
    .optional(),
});

export type PayloadLogConfig = z.infer<typeof PayloadLogSchema>;
