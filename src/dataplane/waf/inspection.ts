import { randomUUID } from 'crypto';
import { Errors } from '../errors';
import type { RequestContext } from '../request-context';
import type { RouteWaf } from './compile';
import type { WafInspection, WafMatch, WafScan } from './engine';
import type { PipelineDeps } from '../stages/stage';

/**
 * The WAF in the request path: the inspect stage reads the head (request line, headers, cookies, the client's
 * address) before the endpoint is looked up; the read of each kind of body (model JSON, a multipart upload's text
 * fields, Dify and Model Studio JSON, MCP messages) hands its parsed body to `inspectBody` before the model or
 * method is looked up. Each step reports its own new matches (log line, metric) and, in block mode, refuses the
 * request once the score reaches the threshold, with a 403 that names the rules and a request id, never what matched.
 */
export interface WafProgress {
  readonly waf: RouteWaf;
  readonly scan: WafScan;
  /** The replica's metrics and logger, for the body's step (the body readers are not handed them). */
  readonly deps: PipelineDeps;
  /** Matches reported so far (the head's), so that the body's step reports only its own. */
  reported: number;
  /** Set at the first match: the id the log line, the access line and the 403 share. */
  requestId: string | undefined;
}

/** Inspects a request's head; what the body's inspection will need is kept on the context. */
export function inspectHead(ctx: RequestContext, deps: PipelineDeps, waf: RouteWaf): void {
  const req = ctx.req;
  const scan = waf.engine.inspectHead({ method: req.method ?? '', rawPath: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress ?? '' });
  const progress: WafProgress = { waf, scan, deps, reported: 0, requestId: undefined };
  if (waf.engine.readsBody) ctx.waf = progress;
  settle(ctx, progress, scan.result());
}

/**
 * Inspects a parsed body (a JSON document; a multipart upload's text fields as an object): called by each body
 * read, after parsing and before anything acts on the body. Nothing happens when the route has no WAF.
 */
export function inspectBody(ctx: RequestContext, body: unknown): void {
  const progress = ctx.waf;
  if (progress === undefined) return;
  ctx.waf = undefined;
  settle(ctx, progress, progress.scan.body(body, progress.waf.routeKind).result());
}

function settle(ctx: RequestContext, progress: WafProgress, inspection: WafInspection): void {
  // Most requests match nothing: nothing is allocated for them.
  if (inspection.matches.length === progress.reported) return;
  const fresh = inspection.matches.slice(progress.reported);
  progress.reported = inspection.matches.length;
  const { waf, deps } = progress;
  const refused = inspection.block && waf.mode === 'block';
  progress.requestId ??= randomUUID();
  ctx.record.requestId = progress.requestId;
  ctx.record.wafRules = (ctx.record.wafRules ? `${ctx.record.wafRules},` : '') + fresh.map((m) => m.rule).join(',');
  const action = refused ? 'block' : 'log';
  for (const m of fresh) deps.metrics.wafMatches.inc({ route: waf.label, rule: m.rule, action });
  deps.logger.warn(
    {
      requestId: progress.requestId,
      route: waf.label || undefined,
      mode: waf.mode,
      action,
      anomalyScore: inspection.anomalyScore,
      matches: fresh.map(describe),
    },
    refused ? 'waf: request blocked' : 'waf: request matched',
  );
  if (!refused) return;
  if (waf.routeKind === 'mcp') ctx.errorFormat = 'jsonrpc';
  throw Errors.wafBlocked(inspection.matches.filter((m) => m.action === 'block' || m.score > 0).map((m) => m.rule), progress.requestId);
}

/** A match as the log line shows it: the rule and where, never the value. */
function describe(m: WafMatch): { rule: string; family: string; target: string; score: number } {
  return { rule: m.rule, family: m.family, target: m.target, score: m.score };
}
