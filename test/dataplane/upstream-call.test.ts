import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { Pool } from 'undici';
import { callUpstream, UpstreamResponse } from '../../src/dataplane/upstream-call';

/** A local HTTP server standing in for an upstream: each test sets what it answers. */
let server: Server;
let pool: Pool;
let handler: (req: import('http').IncomingMessage, res: import('http').ServerResponse) => void = () => undefined;

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 4 });
});

afterAll(async () => {
  await pool.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const options = { path: '/x', method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{}', headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 };

test('a small answer: status, headers and the whole body, even though it arrived before the reader attached', async () => {
  handler = (_req, res) => res.writeHead(201, { 'content-type': 'application/json', 'x-up': 'yes' }).end('{"ok":true}');
  const call = callUpstream(pool, options);
  const response = await call.response;
  // Let the body arrive (and be queued) before anyone reads it.
  await new Promise((r) => setTimeout(r, 20));
  expect(response.statusCode).toBe(201);
  expect(response.headers['x-up']).toBe('yes');
  expect(await response.text()).toBe('{"ok":true}');
  expect(response.complete).toBe(true);
});

test('chunks come in order; a sink that returns a promise pauses the upstream until it settles', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let i = 0;
    const next = (): void => {
      if (i === 5) return void res.end();
      res.write(`part${i++};`);
      setTimeout(next, 5);
    };
    next();
  };
  const response = await callUpstream(pool, options).response;
  const seen: string[] = [];
  let active = 0;
  let mostActive = 0;
  await response.forEachChunk(async (chunk) => {
    seen.push(chunk.toString());
    mostActive = Math.max(mostActive, ++active);
    // Slower than the upstream writes: without the pause, chunks would be handed over meanwhile.
    await new Promise((r) => setTimeout(r, 15));
    active--;
  });
  expect(seen.join('')).toBe('part0;part1;part2;part3;part4;');
  expect(mostActive).toBe(1);
});

test('a body can be read once', async () => {
  handler = (_req, res) => res.end('x');
  const response = await callUpstream(pool, options).response;
  await response.text();
  await expect(response.text()).rejects.toThrow('already being read');
});

test('abort before the headers rejects at once with the reason, and the upstream sees the request cancelled', async () => {
  let closed!: () => void;
  const upstreamClosed = new Promise<void>((resolve) => (closed = resolve));
  handler = (_req, res) => {
    res.on('close', () => closed());
  };
  const call = callUpstream(pool, options);
  setTimeout(() => call.abort(Object.assign(new Error('client gone'), { name: 'AbortError' })), 30);
  await expect(call.response).rejects.toMatchObject({ name: 'AbortError', message: 'client gone' });
  await upstreamClosed;
});

test('abort mid-body fails the reader with the reason', async () => {
  handler = (_req, res) => {
    res.writeHead(200);
    res.write('first');
  };
  const call = callUpstream(pool, options);
  const response = await call.response;
  const reading = response.forEachChunk(() => {
    call.abort(Object.assign(new Error('total timeout'), { name: 'TimeoutError' }));
  });
  await expect(reading).rejects.toMatchObject({ name: 'TimeoutError' });
});

test('transport errors surface as undici reports them (headers timeout)', async () => {
  handler = () => undefined;
  const call = callUpstream(pool, { ...options, headersTimeoutMs: 50 });
  await expect(call.response).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
});

test('abort after the body is complete changes nothing', async () => {
  handler = (_req, res) => res.end('done');
  const call = callUpstream(pool, options);
  const response = await call.response;
  expect(await response.text()).toBe('done');
  call.abort(new Error('late'));
  expect(response.complete).toBe(true);
});

describe('UpstreamResponse reading, with a stand-in for undici\'s controller', () => {
  // The controller undici hands the handler: pause/resume/abort, recorded.
  function controller() {
    const calls: string[] = [];
    let paused = false;
    let aborted = false;
    return {
      calls,
      get paused() {
        return paused;
      },
      get aborted() {
        return aborted;
      },
      reason: null,
      pause: () => {
        paused = true;
        calls.push('pause');
      },
      resume: () => {
        paused = false;
        calls.push('resume');
      },
      abort: (e: Error) => {
        aborted = true;
        calls.push(`abort:${e.message}`);
      },
    };
  }
  const later = () => new Promise<void>((r) => setTimeout(r, 5));

  test('a reader that throws after a backpressure wait fails the read (no unhandled rejection), drops the queue and closes the upstream', async () => {
    const c = controller();
    const response = new UpstreamResponse(200, {}, c);
    response.push(Buffer.from('one'));
    response.push(Buffer.from('two'));
    response.push(Buffer.from('three'));
    const seen: string[] = [];
    const reading = response.forEachChunk((chunk) => {
      seen.push(chunk.toString());
      if (seen.length === 1) return later();
      throw new Error('bad event');
    });
    await expect(reading).rejects.toThrow('bad event');
    expect(seen).toEqual(['one', 'two']);
    expect(c.calls).toContain('abort:bad event');
  });

  test('a failure while the reader waits: chunks still queued never reach it, and the read fails', async () => {
    const c = controller();
    const response = new UpstreamResponse(200, {}, c);
    response.push(Buffer.from('one'));
    response.push(Buffer.from('two'));
    const seen: string[] = [];
    let release!: () => void;
    const reading = response.forEachChunk((chunk) => {
      seen.push(chunk.toString());
      return new Promise<void>((r) => (release = r));
    });
    response.end(new Error('client gone'));
    release();
    await expect(reading).rejects.toThrow('client gone');
    expect(seen).toEqual(['one']);
  });

  test('abort or release after the body ended leaves the connection alone', async () => {
    const c = controller();
    const response = new UpstreamResponse(200, {}, c);
    response.push(Buffer.from('all'));
    response.end();
    expect(await response.text()).toBe('all');
    response.abort(new Error('late'));
    expect(c.calls).toEqual([]);
  });

  test('a wait that outlives the response does not resume the (reused) socket', async () => {
    const c = controller();
    const response = new UpstreamResponse(200, {}, c);
    response.push(Buffer.from('last'));
    let release!: () => void;
    const reading = response.forEachChunk(() => new Promise<void>((r) => (release = r)));
    response.end();
    release();
    await reading;
    expect(c.calls).toEqual(['pause']);
  });
});
