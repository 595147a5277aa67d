import { createHash, timingSafeEqual } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import type { Logger } from 'pino';
import type { AdminAnswer, AdminContext, ExtensionLogger, JsonValue } from '../../extensions';
import { Cancellation } from '../cancellation';
import type { Snapshot } from '../compile/snapshot';
import type { McpBus } from '../mcp/bus';
import type { GatewayMetrics } from '../metrics';
import type { CompiledExtension } from './compile';
import { extensionKv } from './kv';
import { type HookCall, runHook, SKIPPED } from './runner';

/** Where the extensions' admin APIs live on the admin listener: `/extensions/<extension>/…`. */
export const EXTENSION_ADMIN_PATH = '/extensions';

/** The largest body an admin call may send: top-ups and purges are a few fields, never payloads. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

/**
 * An admin hook's async budget: an operator's call is not on the traffic path, and a top-up is a few Redis round
 * trips, which the traffic hooks' 50 ms may not cover on a remote Redis.
 */
export const ADMIN_ASYNC_BUDGET_MS = 2_000;

/** Longest path and error text an admin call's log line carries. */
const MAX_LOGGED_CHARS = 200;

/** Whether an admin listener's path is the extensions' (the rest is the probes' and metrics'). */
export function isExtensionAdminPath(path: string): boolean {
  return path === EXTENSION_ADMIN_PATH || path.startsWith(`${EXTENSION_ADMIN_PATH}/`);
}

/** What serving an admin call needs: the config it runs on and the store its extension's KV lives in (both held for the call). */
export interface ExtensionAdminDeps {
  readonly snapshot: Snapshot;
  readonly mcpBus: McpBus;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

/**
 * Serves `/extensions/<extension>/…` on the admin listener: an extension's onAdmin, to a caller presenting the
 * gateway's admin token (`Authorization: Bearer <token>`, its sha256 compared in constant time with the one the
 * snapshot keeps). Without an admin token in the config every call is refused (403): the admin port is reachable
 * from the cluster (Prometheus scrapes it), and balances and top-ups are no one's business without it. The answer
 * is always JSON; a hook that throws or overruns its budget gets a 500 naming the extension (its error goes to the
 * log and the extension's error metric, never to the caller).
 */
export async function serveExtensionAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
  deps: ExtensionAdminDeps,
): Promise<void> {
  try {
    await serve(req, res, path, query, deps);
  } catch (e) {
    // Never an unhandled rejection on the admin listener (the probes share it): answered, logged.
    deps.logger.error({ error: String((e as Error | undefined)?.message ?? e).slice(0, MAX_LOGGED_CHARS) }, 'extension admin call failed');
    if (!res.headersSent && !res.destroyed) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'the admin call failed: see the gateway\'s log', code: 'internal_error' } }));
  }
}

async function serve(req: IncomingMessage, res: ServerResponse, path: string, query: string, deps: ExtensionAdminDeps): Promise<void> {
  const { snapshot } = deps;
  const method = req.method ?? '';
  const send = (status: number, body: JsonValue, headers: Record<string, string> = {}): void => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body ?? null));
  };
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  const refuse = (status: number, code: string, message: string, headers?: Record<string, string>): void => {
    // Refused before its body was read (no token, a wrong one): the connection closes, so that Node does not read a
    // stranger's body to the end to keep it alive.
    send(status, { error: { message, code } }, hasBody && (status === 401 || status === 403) ? { ...headers, connection: 'close' } : headers);
  };

  if (snapshot.adminTokenDigest === undefined) {
    return refuse(
      403,
      'admin_api_off',
      'the admin API of extensions is off: set adminToken on the gateway (a SecretRef naming a Secret key that holds a long random token, e.g. openssl rand -hex 32), then call it with Authorization: Bearer <token>',
    );
  }
  if (!presentsToken(req.headers.authorization, snapshot.adminTokenDigest)) {
    return refuse(401, 'admin_token_required', 'this call needs the gateway\'s admin token: send Authorization: Bearer <token>, the value of the Secret key its adminToken names', {
      'www-authenticate': 'Bearer realm="aigw-admin"',
    });
  }

  const target = extensionTarget(path);
  if (target === undefined) return refuse(400, 'bad_path', `the path ${shortened(path)} is not percent-encoded correctly: encode the extension's name and the path below it with encodeURIComponent`);
  const { extension: name, rest, segments } = target;
  const ext = name === '' ? undefined : snapshot.extensions.onAdmin.get(name);
  if (!ext) {
    const served = [...snapshot.extensions.onAdmin.keys()];
    const which = name === '' ? 'no extension named' : `no extension '${name}' with an admin API`;
    return refuse(404, 'extension_not_found', `${which}: call /extensions/<extension>/…, where the extensions with an admin API are: ${served.join(', ') || 'none (add one that has it, e.g. token-quota)'}`);
  }

  let body: JsonValue | undefined;
  if (hasBody) {
    const read = await readJsonBody(req);
    if (read.kind === 'gone') return;
    if (read.kind === 'too-large') {
      return refuse(413, 'body_too_large', `the body is larger than ${MAX_ADMIN_BODY_BYTES} bytes: an admin call sends a few fields (e.g. {"tokens": 10000, "window": "day"})`, { connection: 'close' });
    }
    if (read.kind === 'bad-json') return refuse(400, 'bad_json', `the body is not JSON (${read.reason}): send a JSON object with content-type: application/json`);
    body = read.value;
  }

  const answer = await runAdminHook(ext, { method, path: rest, segments, query: queryOf(query), body }, res, deps);
  const status = answer === undefined ? 500 : answer.status;
  deps.logger.info({ extension: ext.name, method, path: shortened(rest), status }, 'extension admin call');
  if (answer === undefined) {
    return refuse(500, 'extension_failed', `extension '${ext.name}' failed to answer this admin call: its error is in the gateway's log (hook onAdmin)`);
  }
  send(answer.status, answer.body);
}

/** Whether `authorization` is `Bearer <the admin token>`: sha256 digests compared in constant time (equal lengths whatever the token). */
function presentsToken(authorization: string | undefined, digest: Buffer): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  if (!match) return false;
  return timingSafeEqual(createHash('sha256').update(match[1], 'utf8').digest(), digest);
}

/**
 * `/extensions/<name>/rest` → the name (decoded), `/rest` as sent (`/` when none) and its segments, each decoded on
 * its own (so that `%2F` inside a segment stays in it); undefined when the encoding is broken.
 */
function extensionTarget(path: string): { extension: string; rest: string; segments: string[] } | undefined {
  const below = path.slice(EXTENSION_ADMIN_PATH.length + 1);
  const slash = below.indexOf('/');
  const name = slash < 0 ? below : below.slice(0, slash);
  const rest = slash < 0 ? '/' : below.slice(slash);
  try {
    return { extension: decodeURIComponent(name), rest, segments: rest.split('/').filter((s) => s !== '').map(decodeURIComponent) };
  } catch {
    return undefined;
  }
}

/** The query's parameters, the last value of a repeated one. */
function queryOf(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
  return out;
}

type BodyRead = { kind: 'ok'; value: JsonValue | undefined } | { kind: 'too-large' } | { kind: 'bad-json'; reason: string } | { kind: 'gone' };

/** The request's body as JSON (undefined when empty), read up to MAX_ADMIN_BODY_BYTES. */
function readJsonBody(req: IncomingMessage): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_ADMIN_BODY_BYTES) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyRead) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_ADMIN_BODY_BYTES) {
        // Stop reading: the answer closes the connection rather than drain what is left.
        req.pause();
        finish({ kind: 'too-large' });
      } else {chunks.push(chunk);}
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return finish({ kind: 'ok', value: undefined });
      try {
        finish({ kind: 'ok', value: JSON.parse(text) as JsonValue });
      } catch (e) {
        finish({ kind: 'bad-json', reason: String((e as Error).message).slice(0, MAX_LOGGED_CHARS) });
      }
    });
    req.on('error', () => finish({ kind: 'gone' }));
    req.on('close', () => finish({ kind: 'gone' }));
  });
}

/** Runs the extension's onAdmin under its time budget; undefined when it failed or answered something that is not an answer. */
async function runAdminHook(
  ext: CompiledExtension,
  request: AdminContext['request'],
  res: ServerResponse,
  deps: ExtensionAdminDeps,
): Promise<AdminAnswer | undefined> {
  const cancellation = new Cancellation();
  res.once('close', () => cancellation.cancel());
  const env = { metrics: deps.metrics, logger: deps.logger, cancellation };
  const onAdmin = ext.definition.onAdmin!;
  const kv = extensionKv(deps.mcpBus, ext.kvPrefix);
  const log = loggerFor(deps.logger, ext.name);
  const consumers = deps.snapshot.config.consumers.map((c) => c.name);
  const context = (call: HookCall): AdminContext => ({
    extension: ext.name,
    config: ext.config,
    log,
    kv,
    request,
    consumers,
    get signal() {
      return call.signal;
    },
  });
  // 'report': a failure is logged and counted, and answered here (500), whatever the extension's failPolicy says of traffic.
  const budgeted: CompiledExtension = { ...ext, asyncBudgetMs: Math.max(ext.asyncBudgetMs, ADMIN_ASYNC_BUDGET_MS) };
  const result = await runHook(env, budgeted, 'onAdmin', (call) => onAdmin.call(ext.definition, context(call)), 'report');
  if (result === SKIPPED) return undefined;
  const problem = answerProblem(result);
  if (problem) {
    deps.logger.error({ extension: ext.name, hook: 'onAdmin', error: problem }, 'extension admin answer refused');
    deps.metrics.extensionErrors.inc({ extension: ext.name, hook: 'onAdmin' });
    return undefined;
  }
  return result as AdminAnswer;
}

/** Why a hook's return is not an answer the gateway can send (a status from 200 to 599, a body JSON can write). */
function answerProblem(result: unknown): string | undefined {
  if (result === null || typeof result !== 'object') return `onAdmin returned ${typeof result}, not { status, body }`;
  const { status, body } = result as { status?: unknown; body?: unknown };
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return `onAdmin's status is an integer from 200 to 599, found ${String(status)}`;
  try {
    JSON.stringify(body ?? null);
  } catch (e) {
    return `onAdmin's body cannot be written as JSON (${String((e as Error).message).slice(0, MAX_LOGGED_CHARS)})`;
  }
  return undefined;
}

function shortened(text: string): string {
  return text.length > MAX_LOGGED_CHARS ? `${text.slice(0, MAX_LOGGED_CHARS)}…` : text;
}

function loggerFor(logger: Logger, extension: string): ExtensionLogger {
  const line = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => logger[level]({ ...fields, extension }, String(message).slice(0, 1000));
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
