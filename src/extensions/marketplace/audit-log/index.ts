import { createHash } from 'crypto';
import { z } from 'zod';
import type { MarketplaceManifest } from '../../catalog-types';
import type { ExtensionDefinition } from '../../types';
import { configParser } from '../config';

const AuditLogConfig = z.strictObject({
  /** Whether the record carries the request body's sha256 (proof of what was sent, without the text). @default true */
  includeBodyHash: z.boolean().default(true),
});
type AuditLogConfig = z.output<typeof AuditLogConfig>;

/** The longest model name the record carries: the client chooses it, and the line must stay bounded. */
const MAX_MODEL_LENGTH = 128;

/** What the hooks before onLog leave in the scratch space. */
interface AuditScratch {
  requestSha256?: string;
  responseBytes?: number;
  status?: number;
}

const definition: ExtensionDefinition<AuditLogConfig> = {
  name: 'audit-log',
  parseConfig: configParser(AuditLogConfig),
  onRequest(ctx) {
    // The bytes as the client sent them, never a re-serialization (which would prove nothing the client can check).
    // An upload or a streamed body has none to hash: its record has no requestSha256.
    if (!ctx.config.includeBodyHash) return;
    const raw = ctx.request.rawBody;
    if (!raw) return;
    (ctx.scratch as AuditScratch).requestSha256 = createHash('sha256').update(raw).digest('hex');
  },
  onResponse(ctx) {
    const scratch = ctx.scratch as AuditScratch;
    scratch.status = ctx.response.status;
    if (ctx.response.streamed) return;
    // The size of the body as the client gets it: the JSON as the gateway writes it back, else what the upstream declared.
    if (ctx.response.body !== undefined) scratch.responseBytes = Buffer.byteLength(JSON.stringify(ctx.response.body));
    else if (/^\d+$/.test(ctx.response.headers['content-length'] ?? '')) scratch.responseBytes = Number(ctx.response.headers['content-length']);
  },
  onStreamChunk(ctx) {
    const scratch = ctx.scratch as AuditScratch;
    scratch.responseBytes = (scratch.responseBytes ?? 0) + Buffer.byteLength(ctx.event.data);
  },
  onLog(ctx) {
    const scratch = ctx.scratch as AuditScratch;
    const { fields, record } = ctx;
    fields.audit = true;
    if (ctx.consumer !== undefined) fields.consumer = ctx.consumer;
    fields.route = ctx.route.name;
    if (ctx.model !== undefined) fields.model = ctx.model.slice(0, MAX_MODEL_LENGTH);
    const status = typeof record.status === 'number' ? record.status : scratch.status;
    if (status !== undefined) fields.status = status;
    if (scratch.requestSha256 !== undefined) fields.requestSha256 = scratch.requestSha256;
    if (scratch.responseBytes !== undefined) fields.responseBytes = scratch.responseBytes;
  },
};

export const AUDIT_LOG_1_0_0: MarketplaceManifest = {
  name: 'audit-log',
  version: '1.0.0',
  description:
    'Adds an audit record to each request\'s access line (the sink, for now: the access log): consumer, route, model, status, the request ' +
    "body's sha256 (of its bytes as sent; none for an upload or a streamed body) and the response's size in bytes (a streamed answer's: " +
    "its events' data). Config: { includeBodyHash?: boolean (default true) }.",
  phase: 'stats',
  priority: 100,
  // It only observes: a failure of its hooks must not fail traffic.
  failPolicy: 'open',
  editions: ['dedicated'],
  definition,
};
