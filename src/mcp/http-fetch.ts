/**
 * The `fetch` Parley gives the MCP SDK's Streamable HTTP transport: requests to the server's own
 * endpoint go over `node:http`/`node:https` with one keep-alive agent per process, everything
 * else (OAuth discovery and token requests, a redirect's target, a body that isn't text) to the
 * global `fetch` unchanged.
 *
 * Why (measured, issue 12 §2): a 2025-11-25 call waiting for a person's form keeps its response
 * stream open, and through the global fetch (undici) each such request holds about 20 KB more
 * heap and 35 KB more RSS than over `node:http` — a third of what a thousand open forms cost.
 *
 * It keeps fetch's contract where the SDK relies on it: redirects are never followed (the SDK
 * asks for `redirect: 'manual'` and follows same-origin ones itself), an abort rejects with the
 * signal's reason, and a network failure rejects with `TypeError('fetch failed')` whose `cause`
 * is the socket error (what `classifyFailure` reads). One thing fetch's own client doesn't do for
 * a POST: a request sent on a kept-alive connection the server had already closed for idleness
 * (a reset before any response, see `closedWhileIdle`) is sent once more on a new connection —
 * it never reached the server — instead of failing a tool call as "connection lost" (seen in the
 * 1,000-person bench: 126 calls, while Parley's busy event loop read the servers' closes late).
 * Traced as the undici instrumentation traces fetch: a client span per request (ending when the
 * response starts: an open form's stream may last minutes), whose W3C trace context goes in the
 * headers.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** Statuses whose response has no body (a `Response` with one would throw). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** A fetch for the MCP endpoint `endpoint` (see the file header); `base` serves the rest. */
export function mcpFetch(endpoint: string, base: typeof fetch = fetch): typeof fetch {
  const href = new URL(endpoint).href;
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
    const body = init?.body;
    if (url !== href || !(body === undefined || body === null || typeof body === 'string'))
      return base(input, init);
    return send(new URL(url), init ?? {}, body ?? undefined);
  };
}

function send(url: URL, init: RequestInit, body: string | undefined): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const method = init.method ?? 'GET';
  const span = trace.getTracer('parley').startSpan('mcp.http', {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': method, 'url.full': url.href, 'server.address': url.hostname },
  });
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  propagation.inject(trace.setSpan(context.active(), span), headers);
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const https = url.protocol === 'https:';
  return new Promise<Response>((resolve, reject) => {
    let answered = false;
    const fail = (err: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String((err as Error)?.name ?? 'error') });
      span.end();
      reject(err);
    };
    const attempt = (fresh: boolean) => {
      const agent = fresh ? false : https ? agents.https : agents.http;
      const req = (https ? httpsRequest : httpRequest)(url, { method, headers, agent }, (res) => {
        answered = true;
        announced.set(res.socket, announcedKeepAliveMs(res.headers['keep-alive']));
        span.setAttribute('http.response.status_code', res.statusCode ?? 0);
        span.end();
        resolve(toResponse(res));
      });
      let idleMs = 0;
      let keptMs: number | undefined;
      req.once('socket', (socket) => {
        idleMs = req.reusedSocket ? Date.now() - (freedAt.get(socket) ?? Date.now()) : 0;
        keptMs = announced.get(socket);
      });
      const onAbort = () => {
        req.destroy(signal?.reason);
        if (!answered) fail(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal?.removeEventListener('abort', onAbort));
      req.once('error', (err) => {
        if (answered || signal?.aborted) return;
        if (!fresh && closedWhileIdle(req.reusedSocket, idleMs, keptMs, err)) attempt(true);
        else fail(new TypeError('fetch failed', { cause: err }));
      });
      req.end(body);
    };
    attempt(false);
  });
}

/** When each kept-alive socket was last handed back to its agent (see {@link closedWhileIdle}). */
const freedAt = new WeakMap<object, number>();
for (const agent of Object.values(agents)) agent.on('free', (socket) => freedAt.set(socket, Date.now()));

/**
 * Per socket, how long (ms) its server said it keeps an idle connection open (`Keep-Alive:
 * timeout=N` on the last response; undefined when it didn't say).
 */
const announced = new WeakMap<object, number | undefined>();

function announcedKeepAliveMs(header: string | string[] | undefined): number | undefined {
  const seconds = header === undefined ? undefined : /(?:^|[\s,])timeout=(\d+)/i.exec(String(header))?.[1];
  return seconds === undefined ? undefined : Number(seconds) * 1_000;
}

/**
 * Whether a request failed because the server had closed its kept-alive connection while it sat
 * idle — the request never reached the server, so sending it again on a new connection runs it
 * once. That is the keep-alive race (Node's `http.Agent` docs, "reusedSocket"): the server closes
 * a connection idle past its keep-alive timeout (Node's 5 s, uvicorn's 5 s, gunicorn's 2 s) just
 * as the client, whose event loop was busy and had not yet read the close, sends on it; the reply
 * is a reset before any response byte. Only a reused socket, idle at least {@link STALE_IDLE_MS},
 * failing with a reset or hang-up before any response, counts: a request on a fresh or recently
 * used connection that fails may have reached the server, and is never repeated here. Where the
 * server announced its keep-alive (`Keep-Alive: timeout=N`, as Node's servers do), the socket must
 * have been idle at least that long: before then the server still held it open, so a reset came
 * after it read the request (a tool call that may have run), not from closing it for idleness.
 * Where it announced nothing, {@link UNANNOUNCED_KEEP_ALIVE_MS} stands in for N.
 */
function closedWhileIdle(reused: boolean, idleMs: number, keptMs: number | undefined, err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return (
    reused &&
    idleMs >= Math.max(STALE_IDLE_MS, keptMs ?? UNANNOUNCED_KEEP_ALIVE_MS) &&
    (code === 'ECONNRESET' || code === 'EPIPE')
  );
}

/** A kept-alive socket idle this long (ms) may have been closed by a server with a short keep-alive. */
const STALE_IDLE_MS = 1_000;
/**
 * For a server that announced no keep-alive timeout, the shortest it is taken to keep an idle
 * connection (ms): the common default (Node's and uvicorn's 5 s). A server that closes sooner
 * without saying so gets no retry between its timeout and this — its call fails as "connection
 * lost", never runs twice.
 */
const UNANNOUNCED_KEEP_ALIVE_MS = 5_000;

function toResponse(res: IncomingMessage): Response {
  const status = res.statusCode ?? 502;
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  if (NULL_BODY.has(status)) {
    res.resume();
    return new Response(null, { status, statusText: res.statusMessage ?? '', headers });
  }
  // A body cut off by the server errors the stream, as fetch's would.
  const body = Readable.toWeb(res) as ReadableStream<Uint8Array>;
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}
