/**
 * A local HTTP server imitating the OpenAI-compatible wire format of LLM providers (OpenAI, DashScope's
 * `/compatible-mode/v1`, Azure OpenAI's `/openai/deployments/{deployment}/...`), with injectable faults.
 * `aigw dev` points gateways at it, and the data plane's end-to-end tests use it as their upstream.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  apiError,
  type ApiErrorBody,
  chatCompletion,
  chatCompletionChunks,
  chatReply,
  type ChatMessage,
  completionReply,
  embeddingInputsOf,
  embeddingList,
  faultError,
  isRecord,
  modelList,
  modelObject,
  promptsOf,
  textCompletion,
  textCompletionChunks,
} from './responses';
import type { Fault, RecordedRequest, SimulatorOptions } from './types';

const DEFAULT_STREAM_CHUNKS = 10;
const DEFAULT_NAME = 'sim';

const AZURE_DEPLOYMENT = /\/openai\/deployments\/([^/]+)\/(?:chat\/completions|completions|embeddings)$/;
const MODEL_BY_ID = /\/models\/([^/]+)$/;

type Operation = 'chat' | 'completions' | 'embeddings' | 'models' | 'model';

interface QueuedFault {
  readonly fault: Fault;
  remaining: number;
}

/** What a route handler needs to answer one request. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly body: unknown;
  readonly invalidJson: boolean;
  readonly requestId: string;
  readonly seq: number;
  /** From a fault: close the socket mid-response. */
  readonly dropAfterChunks?: number;
}

export class UpstreamSimulator {
  /** Starts a simulator and resolves once it is listening. */
  public static async start(options: SimulatorOptions = {}): Promise<UpstreamSimulator> {
    const simulator = new UpstreamSimulator(options);
    await simulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    return simulator;
  }

  /** Streams the client closed before the last frame: how a test sees that a proxy passed a disconnect on. */
  public clientCancelledStreams = 0;

  /** Every request received since start or the last `reset()`, in arrival order. */
  public readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly faultQueue: QueuedFault[] = [];
  private persistentFault: Fault | undefined;
  private readonly closing = new AbortController();
  private readonly name: string;
  private readonly latencyMs: number;
  private readonly chunkDelayMs: number;
  private readonly streamChunks: number;
  private seq = 0;
  private baseUrl = '';

  private constructor(options: SimulatorOptions) {
    this.name = options.name ?? DEFAULT_NAME;
    this.latencyMs = Math.max(0, options.latencyMs ?? 0);
    this.chunkDelayMs = Math.max(0, options.chunkDelayMs ?? 0);
    this.streamChunks = Math.max(1, Math.floor(options.streamChunks ?? DEFAULT_STREAM_CHUNKS));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        // The client went away or the simulator is closing: mid-response, nothing sensible is left to send.
        if (!this.closing.signal.aborted && !res.headersSent && !res.destroyed) {
          this.sendJson(res, 500, apiError('Simulator internal error.', 'server_error'), `req_sim_${this.seq}`);
        } else {
          res.destroy();
        }
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** The base URL, e.g. `http://127.0.0.1:PORT` (no trailing slash; append `/v1` for the OpenAI SDK). */
  public get url(): string {
    return this.baseUrl;
  }

  /** Applies `fault` to each of the next `times` requests (queued after any faults already queued). */
  public failNext(fault: Fault, times = 1): void {
    if (times >= 1) this.faultQueue.push({ fault, remaining: Math.floor(times) });
  }

  /** Applies `fault` to every request (after the queued ones) until cleared with `setFault(undefined)` or `reset()`. */
  public setFault(fault: Fault | undefined): void {
    this.persistentFault = fault;
  }

  /** Clears the recorded requests and all faults. */
  public reset(): void {
    this.requests.length = 0;
    this.faultQueue.length = 0;
    this.persistentFault = undefined;
    this.clientCancelledStreams = 0;
  }

  /** Stops listening, cancels pending delays and destroys every open socket, keep-alive ones included. */
  public async close(): Promise<void> {
    this.closing.abort();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        const actualPort = typeof address === 'object' && address !== null ? address.port : port;
        this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
        resolve();
      });
    });
  }

  private takeFault(): Fault | undefined {
    const head = this.faultQueue[0];
    if (head) {
      head.remaining -= 1;
      if (head.remaining <= 0) this.faultQueue.shift();
      return head.fault;
    }
    return this.persistentFault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const raw = await readBody(req);
    let body: unknown = undefined;
    let invalidJson = false;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        invalidJson = true;
      }
    }
    const seq = ++this.seq;
    const requestId = `req_sim_${seq}`;
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      headers: recordHeaders(req),
      body,
      receivedAt: Date.now(),
    });

    const fault = this.takeFault();
    await this.delay(this.latencyMs + Math.max(0, fault?.latencyMs ?? 0));
    if (fault?.dropAfterChunks === 0) {
      req.socket.destroy();
      return;
    }
    if (fault?.status !== undefined) {
      this.sendError(res, fault.status, faultError(fault.status, fault), requestId);
      return;
    }

    const exchange: Exchange = { req, res, path: url.pathname, body, invalidJson, requestId, seq, dropAfterChunks: fault?.dropAfterChunks };
    const operation = route(req.method ?? 'GET', url.pathname);
    if (operation === 'models') {
      this.sendJson(res, 200, modelList(), requestId, exchange.dropAfterChunks);
    } else if (operation === 'model') {
      this.sendJson(res, 200, modelObject(decodeURIComponent(MODEL_BY_ID.exec(url.pathname)![1])), requestId, exchange.dropAfterChunks);
    } else if (operation === undefined) {
      this.sendError(res, 404, apiError(`Invalid URL (${req.method} ${url.pathname})`), requestId, exchange.dropAfterChunks);
    } else if (invalidJson || !isRecord(body)) {
      this.sendError(res, 400, apiError(
        'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)',
      ), requestId, exchange.dropAfterChunks);
    } else if (operation === 'chat') {
      await this.chat(exchange, body);
    } else if (operation === 'completions') {
      await this.completions(exchange, body);
    } else {
      this.embeddings(exchange, body);
    }
  }

  private async chat(exchange: Exchange, body: Record<string, unknown>): Promise<void> {
    const model = modelFor(exchange.path, body);
    if (model === undefined) {
      this.sendError(exchange.res, 400, apiError('you must provide a model parameter'), exchange.requestId, exchange.dropAfterChunks);
      return;
    }
    if (!Array.isArray(body.messages) || !body.messages.every(isRecord)) {
      this.sendError(exchange.res, 400, apiError('Missing required parameter: \'messages\'.', 'invalid_request_error', 'messages', 'missing_required_parameter'),
        exchange.requestId, exchange.dropAfterChunks);
      return;
    }
    const messages = body.messages.map((m): ChatMessage => ({ role: String(m.role), content: m.content }));
    const reply = chatReply(this.name, model, messages);
    const meta = { id: `chatcmpl-sim${exchange.seq}`, created: nowSeconds(), model };
    if (body.stream === true) {
      const chunks = chatCompletionChunks(meta, reply, this.streamChunks, includeUsage(body));
      await this.stream(exchange, chunks);
    } else {
      this.sendJson(exchange.res, 200, chatCompletion(meta, reply), exchange.requestId, exchange.dropAfterChunks);
    }
  }

  private async completions(exchange: Exchange, body: Record<string, unknown>): Promise<void> {
    const model = modelFor(exchange.path, body);
    if (model === undefined) {
      this.sendError(exchange.res, 400, apiError('you must provide a model parameter'), exchange.requestId, exchange.dropAfterChunks);
      return;
    }
    const prompts = promptsOf(body.prompt ?? '');
    if (prompts === undefined) {
      this.sendError(exchange.res, 400, apiError('Invalid value for \'prompt\'.', 'invalid_request_error', 'prompt'), exchange.requestId, exchange.dropAfterChunks);
      return;
    }
    const reply = completionReply(this.name, model, prompts);
    const meta = { id: `cmpl-sim${exchange.seq}`, created: nowSeconds(), model };
    if (body.stream === true) {
      await this.stream(exchange, textCompletionChunks(meta, reply, this.streamChunks, includeUsage(body)));
    } else {
      this.sendJson(exchange.res, 200, textCompletion(meta, reply), exchange.requestId, exchange.dropAfterChunks);
    }
  }

  private embeddings(exchange: Exchange, body: Record<string, unknown>): void {
    const model = modelFor(exchange.path, body);
    if (model === undefined) {
      this.sendError(exchange.res, 400, apiError('you must provide a model parameter'), exchange.requestId, exchange.dropAfterChunks);
      return;
    }
    const inputs = embeddingInputsOf(body.input);
    if (inputs === undefined) {
      this.sendError(exchange.res, 400, apiError('\'input\' must be a string, an array of strings, or an array of token arrays.', 'invalid_request_error', 'input'),
        exchange.requestId, exchange.dropAfterChunks);
      return;
    }
    const format = body.encoding_format === 'base64' ? 'base64' : 'float';
    this.sendJson(exchange.res, 200, embeddingList(model, inputs, format), exchange.requestId, exchange.dropAfterChunks);
  }

  /** Writes each chunk as its own `data: {json}\n\n` frame (a separate write), then `data: [DONE]\n\n`. */
  private async stream(exchange: Exchange, chunks: readonly Record<string, unknown>[]): Promise<void> {
    const { res, dropAfterChunks } = exchange;
    // A stream that ends before its last frame while no fault dropped it was cancelled by the client (the proxy).
    res.once('close', () => {
      if (!res.writableFinished && dropAfterChunks === undefined && !this.closing.signal.aborted) this.clientCancelledStreams++;
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-request-id': exchange.requestId,
      'x-simulator-name': this.name,
    });
    res.flushHeaders();
    const frames = [...chunks.map((chunk) => JSON.stringify(chunk)), '[DONE]'];
    for (let i = 0; i < frames.length; i++) {
      if (i > 0) await this.pauseBetweenChunks();
      if (res.destroyed) return;
      const frame = `data: ${frames[i]}\n\n`;
      if (i === frames.length - 1 && dropAfterChunks === undefined) {
        res.end(frame);
        return;
      }
      await write(res, frame);
      if (dropAfterChunks !== undefined && i + 1 >= dropAfterChunks) {
        res.socket?.destroy();
        return;
      }
    }
    res.end();
  }

  private sendError(res: ServerResponse, status: number, body: ApiErrorBody, requestId: string, dropAfterChunks?: number): void {
    this.sendJson(res, status, body, requestId, dropAfterChunks, status === 429 ? { 'retry-after': '1' } : {});
  }

  /** Sends a JSON response; with `dropAfterChunks` > 0, sends the headers and half the body, then closes the socket. */
  private sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    requestId: string,
    dropAfterChunks?: number,
    headers: Record<string, string> = {},
  ): void {
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(payload.length),
      'x-request-id': requestId,
      'x-simulator-name': this.name,
      ...headers,
    });
    if (dropAfterChunks !== undefined && dropAfterChunks > 0) {
      res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(payload);
  }

  private async delay(ms: number): Promise<void> {
    if (ms > 0) await sleep(ms, undefined, { signal: this.closing.signal });
  }

  private async pauseBetweenChunks(): Promise<void> {
    if (this.chunkDelayMs > 0) {
      await this.delay(this.chunkDelayMs);
    } else {
      // Still yield to the event loop, so each frame leaves as its own write.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

function route(method: string, path: string): Operation | undefined {
  if (method === 'POST') {
    if (path.endsWith('/chat/completions')) return 'chat';
    if (path.endsWith('/completions')) return 'completions';
    if (path.endsWith('/embeddings')) return 'embeddings';
  } else if (method === 'GET') {
    if (path.endsWith('/models')) return 'models';
    if (MODEL_BY_ID.test(path)) return 'model';
  }
  return undefined;
}

/** The model answered: Azure's deployment name from the path, else the request's `model`. */
function modelFor(path: string, body: Record<string, unknown>): string | undefined {
  const azure = AZURE_DEPLOYMENT.exec(path);
  if (azure) return decodeURIComponent(azure[1]);
  return typeof body.model === 'string' && body.model !== '' ? body.model : undefined;
}

function includeUsage(body: Record<string, unknown>): boolean {
  return isRecord(body.stream_options) && body.stream_options.include_usage === true;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function recordHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(data, (error) => (error ? reject(error) : resolve()));
  });
}
