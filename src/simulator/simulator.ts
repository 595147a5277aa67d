/**
 * A local HTTP server imitating LLM providers' documented wire formats, with injectable faults: the
 * OpenAI-compatible API (OpenAI, DashScope's `/compatible-mode/v1`, Azure OpenAI's
 * `/openai/deployments/{deployment}/...` and `/openai/...`) — chat completions with tool calls, `n`,
 * logprobs and JSON mode, the Responses API with stored responses (`previous_response_id`, retrieve,
 * delete, input items), images and audio —, Anthropic's Messages API with tool use, and the agent APIs
 * of Dify apps and Model Studio (DashScope) applications. Offered function tools are always called once
 * (tool-answers.ts). `aigw dev` points gateways at it, and the data plane's end-to-end tests use it as
 * their upstream.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { anthropicFaultError } from './anthropic';
import { anthropicHeaders, anthropicMessages } from './anthropic-handler';
import { audioSpeech, audioTranscription } from './audio-handler';
import { DashScopeSessions, dashScopeFaultError } from './dashscope-app';
import { dashScopeAppCompletion } from './dashscope-app-handler';
import { difyFaultError, DifyStore } from './dify';
import { difyRequest } from './dify-handler';
import type { Exchange, HandlerContext } from './exchange';
import { closeServer, listenOn } from './http-listener';
import { imageEdits, imageGenerations, simulatedImage } from './images-handler';
import { chat, completions, embeddings } from './openai-handlers';
import { readRequestBody } from './request-body';
import { Responder } from './responder';
import { apiError, faultError, isRecord, modelList, modelObject } from './responses';
import { createResponse, ResponsesStore, storedResponse } from './responses-api-handler';
import { restEcho } from './rest-echo';
import { isAnthropic, isDify, isStoredResponse, MODEL_BY_ID, MULTIPART_OPERATIONS, type Operation, RESPONSE_ID_ROUTES, route } from './routes';
import type { Fault, RecordedRequest, SimulatorOptions } from './types';

const DEFAULT_STREAM_CHUNKS = 10;
const DEFAULT_NAME = 'sim';

interface QueuedFault {
  readonly fault: Fault;
  remaining: number;
}

export class UpstreamSimulator {
  /** Starts a simulator and resolves once it is listening. */
  public static async start(options: SimulatorOptions = {}): Promise<UpstreamSimulator> {
    const simulator = new UpstreamSimulator(options);
    await simulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    return simulator;
  }

  /** Streams (SSE, or chunked speech audio) the client closed before the last piece: how a test sees that a proxy passed a disconnect on. */
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
  private readonly streamChunks: number;
  private readonly restEcho: boolean;
  private readonly responder: Responder;
  /** Dify conversations and DashScope sessions: kept across `reset()`, like a real app's. */
  private readonly dify = new DifyStore();
  private readonly dashScopeSessions = new DashScopeSessions();
  /** Stored Responses API responses: kept across `reset()`, like OpenAI's. */
  private readonly responses = new ResponsesStore();
  private seq = 0;
  private baseUrl = '';

  private constructor(options: SimulatorOptions) {
    this.name = options.name ?? DEFAULT_NAME;
    this.latencyMs = Math.max(0, options.latencyMs ?? 0);
    this.streamChunks = Math.max(1, Math.floor(options.streamChunks ?? DEFAULT_STREAM_CHUNKS));
    this.restEcho = options.restEcho === true;
    this.responder = new Responder({
      name: this.name,
      chunkDelayMs: Math.max(0, options.chunkDelayMs ?? 0),
      closing: this.closing.signal,
      onClientCancel: () => this.clientCancelledStreams++,
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        // The client went away or the simulator is closing: mid-response, nothing sensible is left to send.
        if (!this.closing.signal.aborted && !res.headersSent && !res.destroyed) {
          const exchange: Exchange = { req, res, path: '', body: undefined, invalidBody: false, requestId: `req_sim_${this.seq}`, seq: this.seq };
          this.responder.json(exchange, 500, apiError('Simulator internal error.', 'server_error'));
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
    await closeServer(this.server, this.sockets);
  }

  private async listen(port: number, host: string): Promise<void> {
    this.baseUrl = await listenOn(this.server, port, host);
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
    const { body, invalid, parts } = await readRequestBody(req);
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
    await this.responder.delay(this.latencyMs + Math.max(0, fault?.latencyMs ?? 0));
    if (fault?.dropAfterChunks === 0) {
      req.socket.destroy();
      return;
    }
    const operation = route(req.method ?? 'GET', url.pathname);
    const exchange: Exchange = {
      req, res, path: url.pathname, body, invalidBody: invalid, parts, requestId, seq, dropAfterChunks: fault?.dropAfterChunks,
    };
    if (fault?.status !== undefined) {
      this.sendFault({ ...exchange, dropAfterChunks: undefined }, fault, operation);
      return;
    }
    if (operation === undefined && this.restEcho) {
      this.responder.json(exchange, 200, restEcho(req, url, body));
      return;
    }
    await this.dispatch(exchange, operation);
  }

  private async dispatch(exchange: Exchange, operation: Operation | undefined): Promise<void> {
    const ctx: HandlerContext = { name: this.name, streamChunks: this.streamChunks, baseUrl: this.baseUrl, responder: this.responder };
    const { req, path, body } = exchange;
    if (operation === undefined) {
      this.responder.json(exchange, 404, apiError(`Invalid URL (${req.method} ${path})`));
    } else if (operation === 'models') {
      this.responder.json(exchange, 200, modelList());
    } else if (operation === 'model') {
      this.responder.json(exchange, 200, modelObject(decodeURIComponent(MODEL_BY_ID.exec(path)![1])));
    } else if (operation === 'image-file') {
      simulatedImage(ctx, exchange);
    } else if (isStoredResponse(operation)) {
      const [, pattern] = RESPONSE_ID_ROUTES.find(([, , op]) => op === operation)!;
      storedResponse(ctx, exchange, operation, decodeURIComponent(pattern.exec(path)![1]), this.responses);
    } else if (isAnthropic(operation)) {
      await anthropicMessages(ctx, exchange, operation === 'anthropic-count-tokens');
    } else if (isDify(operation)) {
      await difyRequest(ctx, exchange, operation, this.dify);
    } else if (operation === 'dashscope-app') {
      await dashScopeAppCompletion(ctx, exchange, this.dashScopeSessions);
    } else if (MULTIPART_OPERATIONS.has(operation)) {
      if (exchange.parts === undefined) {
        const reason = exchange.invalidBody ? `could not be parsed ${String(body)}` : `has Content-Type '${req.headers['content-type'] ?? ''}'`;
        this.responder.json(exchange, 400, apiError(`The request body ${reason}; expected multipart/form-data.`));
      } else if (operation === 'image-edits') {
        imageEdits(ctx, exchange, exchange.parts);
      } else {
        audioTranscription(ctx, exchange, exchange.parts, operation === 'translations' ? 'translate' : 'transcribe');
      }
    } else if (exchange.invalidBody || !isRecord(body)) {
      this.responder.json(exchange, 400, apiError(
        'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)',
      ));
    } else if (operation === 'chat') {
      await chat(ctx, exchange, body);
    } else if (operation === 'responses') {
      await createResponse(ctx, exchange, body, this.responses);
    } else if (operation === 'completions') {
      await completions(ctx, exchange, body);
    } else if (operation === 'embeddings') {
      embeddings(ctx, exchange, body);
    } else if (operation === 'image-generations') {
      imageGenerations(ctx, exchange, body);
    } else {
      await audioSpeech(ctx, exchange, body);
    }
  }

  /** An injected status: OpenAI's error body, or Anthropic's, Dify's or DashScope's on their paths; 429 adds `retry-after`. */
  private sendFault(exchange: Exchange, fault: Fault, operation: Operation | undefined): void {
    const status = fault.status!;
    const headers: Record<string, string> = status === 429 ? { 'retry-after': '1' } : {};
    if (isDify(operation)) {
      this.responder.json(exchange, status, difyFaultError(status, fault), headers);
    } else if (operation === 'dashscope-app') {
      this.responder.json(exchange, status, dashScopeFaultError(status, fault, exchange.requestId), headers);
    } else if (isAnthropic(operation)) {
      this.responder.json(exchange, status, anthropicFaultError(status, fault, exchange.requestId), { ...headers, ...anthropicHeaders(exchange) });
    } else {
      this.responder.json(exchange, status, faultError(status, fault), headers);
    }
  }
}

function recordHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
