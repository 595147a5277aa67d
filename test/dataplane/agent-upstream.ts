import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

export interface SeenRequest {
  readonly method: string;
  /** The request target exactly as it arrived, query included. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface AgentUpstream {
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for a Dify / Model Studio / custom agent API on a loopback port: records every request
 * exactly as it arrived (raw target, headers, body) and answers with `answer`, by default Dify's SSE.
 */
export async function agentUpstream(answer?: (req: SeenRequest, res: ServerResponse) => void): Promise<AgentUpstream> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', () => undefined);
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(request);
      if (answer) return answer(request, res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"event":"message","answer":"Hel"}\n\n');
      res.end('data: {"event":"message_end"}\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
