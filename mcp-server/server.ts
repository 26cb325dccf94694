/**
 * The demo MCP server over HTTP: both protocol eras on one endpoint, `/mcp`.
 *
 * - Modern (2026-07-28) requests carry their protocol version in a per-request envelope and are
 *   served statelessly by the SDK's strict `createMcpHandler`, one server instance per request.
 * - Legacy (2025-11-25) requests go to a sessionful Streamable HTTP transport, one per
 *   `Mcp-Session-Id`, so tools can await elicitation and sampling mid-call; an event store lets
 *   a client resume a dropped SSE stream with `Last-Event-ID`.
 *
 * The SDK's own classifier (`isLegacyRequest`) picks the leg, so the routing never disagrees with
 * the SDK. In front of both legs: Host-header validation (DNS rebinding) and the OAuth check.
 */
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import {
  type AuthInfo,
  createMcpHandler,
  getOAuthProtectedResourceMetadataUrl,
  isInitializeRequest,
  isJsonContentType,
  isLegacyRequest,
  type McpServer,
  validateHostHeader,
} from '@modelcontextprotocol/server';
import express, { type NextFunction, type Request, type Response } from 'express';
import { type Logger, pino } from 'pino';
import { authorizeMcpRequest, createJwtTokenVerifier, protectedResourceMetadata } from './auth.js';
import { InMemoryEventStore } from './event-store.js';
import type { TicketStore } from './tickets.js';
import { createDemoMcpServer, createDemoServerDeps } from './tools.js';

export const DEFAULT_AUTH_ISSUER = 'http://127.0.0.1:9000';
export const DEFAULT_CALENDAR_WAIT_MS = 10 * 60_000;

/** Hostnames always accepted in the Host header; `allowedHosts` adds more. */
export const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface McpServerOptions {
  /** 0 picks a free port. Default 3001. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1 (loopback only). */
  host?: string;
  /** The auth-mock's issuer URL. Default http://127.0.0.1:9000. */
  authIssuer?: string;
  /**
   * The MCP URL as clients reach it (the OAuth resource and token audience). Default
   * `http://<host>:<port>/mcp`. Its hostname is accepted in the Host header.
   */
  publicUrl?: string;
  /** Extra hostnames accepted in the Host header, besides the loopback names. */
  allowedHosts?: string[];
  /** How long connect_calendar waits for the consent decision. Default 10 minutes. */
  calendarWaitMs?: number;
  /** At least 32 bytes; signs modern multi-round state. Default: random per process. */
  stateSecret?: string;
  logger?: Logger;
}

export interface DemoMcpServer {
  /** The full endpoint URL, like http://127.0.0.1:3001/mcp. */
  url: string;
  port: number;
  tickets: TicketStore;
  /** Ends open SSE streams and sessions, then stops listening. */
  close(): Promise<void>;
}

interface LegacySession {
  transport: NodeStreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

/** A legacy session nobody touched for this long is closed. */
const SESSION_IDLE_MS = 60 * 60_000;

type AuthedRequest = Request & { auth?: AuthInfo };

export async function startMcpServer(options: McpServerOptions = {}): Promise<DemoMcpServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? pino({ name: 'mcp-server', level: 'warn' }, pino.destination(2));
  const issuer = (options.authIssuer ?? DEFAULT_AUTH_ISSUER).replace(/\/+$/, '');
  const deps = createDemoServerDeps({
    authIssuer: issuer,
    calendarWaitMs: options.calendarWaitMs ?? DEFAULT_CALENDAR_WAIT_MS,
    ...(options.stateSecret !== undefined ? { stateSecret: options.stateSecret } : {}),
    logger,
  });
  const { tickets, calendar } = deps;

  const app = express();
  app.disable('x-powered-by');
  const httpServer = await listen(app, options.port ?? 3001, host);
  const port = (httpServer.address() as AddressInfo).port;

  // Known only once the port is: the resource URL is what tokens must be issued for.
  const resource = options.publicUrl ?? `http://${urlHost(host)}:${port}/mcp`;
  const resourceUrl = new URL(resource);
  const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(resourceUrl);
  const metadata = protectedResourceMetadata(resource, issuer);
  const verifier = createJwtTokenVerifier({ issuer, resource });
  const allowedHostnames = [
    ...new Set([...LOOPBACK_HOSTNAMES, resourceUrl.hostname, ...(options.allowedHosts ?? [])]),
  ];

  const sessions = new Map<string, LegacySession>();
  const eventStore = new InMemoryEventStore();
  const onerror = (err: Error): void => logger.warn({ err }, 'MCP transport error');

  const modern = createMcpHandler(() => createDemoMcpServer(deps, 'modern'), { legacy: 'reject', onerror });
  const modernNode = toNodeHandler(modern, { onerror });

  async function handleLegacy(req: AuthedRequest, res: Response): Promise<void> {
    const sessionId = req.header('mcp-session-id');
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) {
        // 404 tells a 2025 client to start a new session.
        res.status(404).json(rpcError(-32001, 'Session not found: start a new session.', req.body));
        return;
      }
      session.lastSeen = Date.now();
      await session.transport.handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
      res
        .status(400)
        .json(rpcError(-32000, 'Bad request: send initialize first, or an Mcp-Session-Id.', req.body));
      return;
    }
    const server = createDemoMcpServer(deps, 'legacy');
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore,
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastSeen: Date.now() });
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    transport.onerror = onerror;
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  // DNS-rebinding protection first, for every route.
  app.use((req, res, next) => {
    const check = validateHostHeader(req.headers.host, allowedHostnames);
    if (check.ok) return next();
    logger.info({ host: req.headers.host }, 'rejected a request for a foreign Host');
    res.status(403).json(rpcError(-32000, `Forbidden: ${check.message}`, undefined));
  });

  const serveMetadata = (_req: Request, res: Response): void => {
    res.set('Access-Control-Allow-Origin', '*').json(metadata);
  };
  app.get(new URL(resourceMetadataUrl).pathname, serveMetadata);
  app.get('/.well-known/oauth-protected-resource', serveMetadata);

  app.post('/mcp', express.json({ limit: '4mb' }));
  app.all('/mcp', async (req: AuthedRequest, res: Response, next: NextFunction) => {
    try {
      const decision = await authorizeMcpRequest(req.header('authorization'), req.body, {
        verifier,
        resource,
        resourceMetadataUrl,
      });
      if (!decision.ok) {
        await sendWebResponse(res, decision.response);
        return;
      }
      if (decision.authInfo) req.auth = decision.authInfo;

      if (req.method === 'POST') {
        // Hand-wired routing must check the media type itself (the SDK's classifier does not).
        if (!isJsonContentType(req.header('content-type'))) {
          res.status(415).json(rpcError(-32000, 'Unsupported media type: send application/json.', undefined));
          return;
        }
        // The SDK's own classification. Express parsed the body already: the probe is built from
        // it and the classifier reads it as is, so nothing is serialized and parsed again.
        const body: unknown = req.body ?? {};
        const probe = await toWebRequest(req, body);
        if (await isLegacyRequest(probe, body)) await handleLegacy(req, res);
        else await modernNode(req, res, req.body);
        return;
      }
      if (req.method === 'GET' || req.method === 'DELETE') {
        // Standalone SSE streams, resumption and session ends exist only in the legacy era.
        await handleLegacy(req, res);
        return;
      }
      res
        .status(405)
        .set('Allow', 'GET, POST, DELETE')
        .json(rpcError(-32000, 'Method not allowed.', undefined));
    } catch (err) {
      next(err);
    }
  });

  // Malformed JSON and anything unexpected: a JSON-RPC error instead of Express's HTML page.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const parseFailed = err instanceof SyntaxError || (isHttpError(err) && err.status === 400);
    if (!parseFailed) logger.error({ err }, 'MCP request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res
      .status(parseFailed ? 400 : 500)
      .json(
        rpcError(parseFailed ? -32700 : -32603, parseFailed ? 'Parse error.' : 'Internal error.', undefined),
      );
  });

  const sweeper = setInterval(() => {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const [id, session] of sessions) {
      if (session.lastSeen < cutoff) {
        sessions.delete(id);
        void session.transport.close();
      }
    }
  }, 60_000);
  sweeper.unref();

  const url = `http://${urlHost(host)}:${port}/mcp`;
  logger.info({ url, resource, issuer }, 'demo MCP server listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    tickets,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        calendar.close();
        const open = [...sessions.values()];
        sessions.clear();
        await Promise.allSettled(open.map((s) => s.transport.close()));
        await Promise.allSettled(open.map((s) => s.server.close()));
        await modern.close();
        // Streams still open (a client that never hung up) must not keep the process alive.
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      })();
      return closing;
    },
  };
}

function listen(app: express.Express, port: number, host: string): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.once('error', reject);
  });
}

/** Writes a web `Response` (the SDK's challenge answers) through Express. */
async function sendWebResponse(res: Response, response: globalThis.Response): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, key) => {
    res.setHeader(key, value);
  });
  res.send(Buffer.from(await response.arrayBuffer()));
}

function rpcError(code: number, message: string, body: unknown): Record<string, unknown> {
  const id =
    body &&
    typeof body === 'object' &&
    'id' in body &&
    (typeof body.id === 'string' || typeof body.id === 'number')
      ? body.id
      : null;
  return { jsonrpc: '2.0', error: { code, message }, id };
}

function isHttpError(err: unknown): err is { status: number } {
  return typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number';
}

/** The host as it goes in a URL: wildcard binds are reached through loopback, IPv6 in brackets. */
function urlHost(host: string): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable;
}
