/**
 * Parley's HTTP under the MCP SDK (issue 12 §2): `mcpFetch` (node:http for the endpoint, the
 * global fetch for the rest, fetch's contract kept), the stream reader that replaces the SDK's
 * (same events, same resumption), and the standalone stream opened only where something listens.
 */
import { fork } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JSONRPCMessage, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { McpConnection } from '../../src/mcp/connection.js';
import { classifyFailure } from '../../src/mcp/failures.js';
import { mcpFetch } from '../../src/mcp/http-fetch.js';
import { leanSseInstalled, McpHttpTransport } from '../../src/mcp/sse.js';
import { demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { startRecordingProxy } from '../helpers/recording-proxy.js';
import { freePort } from '../helpers/redis-process.js';

const toClose: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of toClose.splice(0)) await c().catch(() => undefined);
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const http = createServer(handler);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  toClose.push(
    () =>
      new Promise((r) => {
        http.closeAllConnections();
        http.close(r);
      }),
  );
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

const elsewhere: typeof fetch = async () => new Response('from the global fetch', { status: 299 });

describe('mcpFetch', () => {
  it('sends the endpoint’s requests over node:http, streams the answer, and leaves the rest to fetch', async () => {
    let release: () => void = () => undefined;
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-echo': `${req.method} ${body}` });
        res.write('data: first\n\n');
        release = () => res.end('data: second\n\n');
      });
    });
    const f = mcpFetch(url, elsewhere);
    const response = await f(new URL(url), { method: 'POST', body: '{"x":1}', headers: { accept: 'x' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-echo')).toBe('POST {"x":1}');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    // The first event arrives while the response is still open, as an SSE stream needs.
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    release();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: second\n\n');
    expect((await reader.read()).done).toBe(true);
    const other = await f(`${url}/../.well-known/oauth-protected-resource`, {});
    expect(await other.text()).toBe('from the global fetch');
  });

  it('keeps fetch’s contract: null bodies, aborts reject with the reason, a refused socket is "fetch failed"', async () => {
    const url = await serve((req, res) => {
      if (req.method === 'DELETE') {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
    });
    const f = mcpFetch(url, elsewhere);
    expect((await f(url, { method: 'DELETE' })).body).toBeNull();
    const early = new AbortController();
    early.abort(new Error('not wanted'));
    await expect(f(url, { method: 'POST', body: '{}', signal: early.signal })).rejects.toThrow('not wanted');
    const late = new AbortController();
    const open = await f(url, { method: 'POST', body: '{}', signal: late.signal });
    const reader = (open.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    late.abort(new Error('gone'));
    await expect(reader.read()).rejects.toBeDefined();

    const refused = `http://127.0.0.1:${await freePort()}/mcp`;
    const err = await mcpFetch(refused)(refused, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('fetch failed');
    expect(classifyFailure(err)).toBe('not_sent');
  });
});

describe('mcpFetch on a kept-alive connection the server closed', () => {
  /** `keepAliveMs`: how long the server keeps an idle connection (announced unless `unannounced`). */
  async function keepAliveServer({ unannounced = false, keepAliveMs = 2_000 } = {}) {
    const child = fork(new URL('../helpers/keepalive-server.mjs', import.meta.url), {
      env: {
        ...process.env,
        KEEPALIVE_UNANNOUNCED: unannounced ? '1' : '',
        KEEPALIVE_MS: String(keepAliveMs),
      },
    });
    toClose.push(async () => child.kill());
    const { port } = await new Promise<{ port: number }>((r) => child.once('message', r as never));
    const received = () =>
      new Promise<number>((r) => {
        child.once('message', (m: { received: number }) => r(m.received));
        child.send('count');
      });
    return { url: `http://127.0.0.1:${port}/mcp`, received };
  }
  const post = (f: typeof fetch, url: string, body: unknown) =>
    f(new URL(url), {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  /** Blocks this event loop for `ms`: the server closes the idle connection meanwhile, unseen here. */
  const busy = (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until);
  };

  it('sends again on a new connection, once, when the server had closed it while it was idle', async () => {
    const { url, received } = await keepAliveServer();
    const f = mcpFetch(url);
    expect((await post(f, url, { n: 1 })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50)); // the socket back in the agent's pool
    busy(3_600);
    const second = await post(f, url, { n: 2 });
    expect(await second.json()).toEqual({ received: 2 });
    // Received once: the first send never reached the server.
    expect(await received()).toBe(2);
  });

  it('never sends again a request that reached the server on a busy connection', async () => {
    const { url, received } = await keepAliveServer();
    const f = mcpFetch(url);
    expect((await post(f, url, { n: 1 })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    // Reused at once (not idle): the server reads it, then resets — it may have run.
    await expect(post(f, url, { reset: true })).rejects.toThrow('fetch failed');
    expect(await received()).toBe(2);
  });

  // Idle 1.2 s: past the 1 s the retry asks for, inside what the server announced (8 s) or, when it
  // announced nothing, the common 5 s. The server keeps the connection 8 s, so a loaded machine's
  // late timer still wakes well inside it: the server reads the request (a tool call may run),
  // then resets.
  it.each([
    ['never sends again a request that reached the server on a connection idle a while', false],
    ['from a server that announces no keep-alive, is not sent again before the common 5 s', true],
  ])('%s', async (_title, unannounced) => {
    const { url, received } = await keepAliveServer({ unannounced, keepAliveMs: 8_000 });
    const f = mcpFetch(url);
    expect((await post(f, url, { n: 1 })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_200));
    await expect(post(f, url, { reset: true })).rejects.toThrow('fetch failed');
    expect(await received()).toBe(2);
  });
});

describe('the SSE stream reader', () => {
  it('replaces the SDK’s on this SDK version', () => {
    // Fails when an SDK upgrade renames or reshapes the private method Parley replaces: Parley
    // then falls back to the SDK's own reading (correct, but ~25 KB more per open stream).
    expect(leanSseInstalled).toBe(true);
    expect(Object.hasOwn(McpHttpTransport.prototype, '_handleSseStream')).toBe(true);
  });

  /**
   * A server whose answer to a call arrives in pieces — an event split mid-character and across
   * chunks, a `retry`, a priming id — and whose stream then breaks before the answer: the client
   * must come back with `Last-Event-ID` and take the answer from the resumed stream.
   */
  async function resumingServer(): Promise<{ url: string; resumedWith: () => string | undefined }> {
    let resumedWith: string | undefined;
    const url = await serve((req, res) => {
      if (req.method === 'GET') {
        resumedWith = req.headers['last-event-id'] as string | undefined;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(
          `id: e2\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 7, result: { content: [], done: 'ok' } })}\n\n`,
        );
        return;
      }
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('retry: 10\nid: e0\ndata: \n\n');
        const note = `data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'héllo wörld' } })}\n\nid: e1\ndata: \n\n`;
        const bytes = Buffer.from(note);
        const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the two bytes of "é"
        res.write(bytes.subarray(0, cut));
        setTimeout(() => {
          res.write(bytes.subarray(cut));
          setTimeout(() => res.destroy(), 20);
        }, 20);
      });
    });
    return { url, resumedWith: () => resumedWith };
  }

  it.each([
    ['the SDK’s', StreamableHTTPClientTransport],
    ['Parley’s', McpHttpTransport],
  ])('reads events and resumes a broken stream (%s reader)', async (_name, Transport) => {
    const { url, resumedWith } = await resumingServer();
    const transport = new Transport(new URL(url), { fetch: mcpFetch(url) });
    const got: JSONRPCMessage[] = [];
    transport.onmessage = (m) => got.push(m);
    transport.onerror = () => undefined;
    await transport.start();
    toClose.push(() => transport.close());
    await transport.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'x' } });
    await expect.poll(() => got.length, { timeout: 5_000 }).toBe(2);
    expect(got[0]).toMatchObject({ method: 'notifications/message', params: { data: 'héllo wörld' } });
    expect(got[1]).toMatchObject({ id: 7, result: { done: 'ok' } });
    expect(resumedWith()).toBe('e1');
  });
});

describe('the standalone stream (GET)', () => {
  it('is opened only by the connection that listens for list_changed', async () => {
    const mcp = await startDemoMcp();
    toClose.push(() => mcp.close());
    const proxy = await startRecordingProxy(mcp.url);
    toClose.push(() => proxy.close());
    const server = demoServerConfig(proxy.url, { era: 'legacy' });
    const hooks = { request: async () => ({ action: 'decline' }), elicitationComplete: () => undefined };
    const open = async (onToolsChanged?: () => void) => {
      const conn = new McpConnection({
        server,
        identity: 'p:w:a',
        hooks,
        sampling: false,
        requestTimeoutMs: 10_000,
        logger: silentLogger(),
        ...(onToolsChanged && { onToolsChanged }),
      });
      await conn.connect();
      toClose.push(() => conn.close());
      await conn.listTools();
      return conn;
    };
    const gets = () => proxy.requests.filter((r) => r.method === 'GET').length;
    await open();
    await new Promise((r) => setTimeout(r, 200));
    expect(gets()).toBe(0);
    await open(() => undefined);
    await expect.poll(gets, { timeout: 5_000 }).toBe(1);
  });
});
