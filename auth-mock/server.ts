/**
 * The Parley demo OAuth 2.1 authorization server: oidc-provider behind a small express app that
 * adds the sign-in page, auto-approve mode and the `connect_calendar` consent pages.
 *
 * It is a stand-in for a real identity provider in demos and tests: demo users without passwords,
 * state in memory only, a fresh signing key per start. `startAuthMock({ port: 0 })` gives a server
 * on an ephemeral loopback port.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { type Logger, pino } from 'pino';
import { CalendarConsentStore, createCalendarConsentRouter } from './calendar-consent.js';
import { createAutoApproveHandler, createInteractionRouter } from './interactions.js';
import { OidcMemoryStore } from './memory-adapter.js';
import { errorPage, homePage, sendPage } from './pages.js';
import { createDemoProvider } from './provider.js';
import { DEMO_USERS, findDemoUser } from './users.js';

/** The MCP server the demo auth server accepts as a resource when nothing else is configured. */
export const DEFAULT_MCP_RESOURCE_URL = 'http://127.0.0.1:3001/mcp';

/** Options of {@link startAuthMock}. All optional. */
export interface AuthMockOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  /**
   * Issuer identifier (`iss` of every token, base of every endpoint). Default: `http://<host>:<port>`
   * from the bound address. Must be an origin without a path: the server is mounted at `/`.
   */
  issuer?: string;
  /**
   * MCP server URLs accepted as RFC 8707 `resource` (each becomes a token audience). Anything else
   * is refused with `invalid_target`. Default: {@link DEFAULT_MCP_RESOURCE_URL}. Replace the list
   * later with {@link AuthMock.setResources}, e.g. once the MCP server has bound its port.
   */
  resources?: readonly string[];
  /** Demo user (alice, bob, carol) to sign in without a page; off by default. */
  autoApprove?: string;
  /** Access token lifetime in seconds; default 3600. Short values let tests exercise refresh. */
  accessTokenTtlSeconds?: number;
  /** Refresh token lifetime in seconds; default 14 days. */
  refreshTokenTtlSeconds?: number;
  logger?: Logger;
}

/** A running demo auth server. */
export interface AuthMock {
  /** The issuer, without a trailing slash: `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The currently accepted resource URLs. */
  readonly resources: readonly string[];
  /** Turns auto-approve on for a demo user, or off with `undefined`. Throws for unknown users. */
  setAutoApprove(user: string | undefined): void;
  /** Replaces the accepted resource URLs (takes effect for the next request). */
  setResources(urls: readonly string[]): void;
  /** Stops listening, drops open connections and forgets every client, token and decision. */
  close(): Promise<void>;
}

function checkUser(user: string | undefined): string | undefined {
  if (user !== undefined && !findDemoUser(user)) {
    const known = DEMO_USERS.map((u) => u.id).join(', ');
    throw new Error(`auto-approve user must be one of the demo users (${known}), got "${user}"`);
  }
  return user;
}

function checkResources(urls: readonly string[]): string[] {
  return urls.map((raw) => {
    const url = URL.parse(raw);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hash) {
      throw new Error(`resource must be an absolute http(s) URL without a fragment, got "${raw}"`);
    }
    return raw;
  });
}

function checkSeconds(name: string, value: number | undefined, fallback: number): number {
  const seconds = value ?? fallback;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new Error(`${name} must be a positive whole number of seconds, got ${String(value)}`);
  }
  return seconds;
}

/** `host:port` as it must appear in a URL; wildcard binds are reached through loopback. */
function urlHost(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return reachable.includes(':') ? `[${reachable}]:${port}` : `${reachable}:${port}`;
}

/**
 * The matched express route pattern; for what oidc-provider answers itself (no express route),
 * only the first path segment.
 */
function routeOf(req: Request): string {
  const pattern: unknown = req.route?.path;
  if (typeof pattern === 'string') return `${req.baseUrl}${pattern}`;
  const [, first = '', ...rest] = req.path.split('/');
  return rest.length > 0 ? `/${first}/…` : `/${first}`;
}

function checkIssuer(raw: string): string {
  const url = URL.parse(raw);
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search ||
    url.hash ||
    url.pathname !== '/'
  ) {
    throw new Error(`issuer must be an http(s) origin without path, query or fragment, got "${raw}"`);
  }
  return url.origin;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`cannot listen on ${host}:${port}: the port is already in use (set AUTH_PORT)`, {
              cause: err,
            })
          : err,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** A fresh RS256 signing key per start: tokens from an earlier run are meant to stop verifying. */
async function createSigningKey() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
}

/** Starts the demo authorization server. See {@link AuthMockOptions} for the defaults. */
export async function startAuthMock(options: AuthMockOptions = {}): Promise<AuthMock> {
  const logger = options.logger ?? pino({ name: 'parley-auth-mock' });
  const host = options.host ?? '127.0.0.1';
  let autoApproveUser = checkUser(options.autoApprove);
  let resources = checkResources(options.resources ?? [DEFAULT_MCP_RESOURCE_URL]);
  const accessTokenTtlSeconds = checkSeconds('accessTokenTtlSeconds', options.accessTokenTtlSeconds, 3600);
  const refreshTokenTtlSeconds = checkSeconds(
    'refreshTokenTtlSeconds',
    options.refreshTokenTtlSeconds,
    14 * 86400,
  );
  const explicitIssuer = options.issuer === undefined ? undefined : checkIssuer(options.issuer);

  // Listen first: the default issuer is derived from the port actually bound.
  const server = createServer();
  const port = await listen(server, options.port ?? 0, host);
  const selfUrl = `http://${urlHost(host, port)}`;
  const issuer = explicitIssuer ?? selfUrl;

  try {
    const store = new OidcMemoryStore();
    const provider = createDemoProvider({
      issuer,
      resources: () => resources,
      accessTokenTtlSeconds,
      refreshTokenTtlSeconds,
      signingKeys: [await createSigningKey()],
      cookieKeys: [randomBytes(32).toString('base64url')],
      store,
      logger,
    });
    const calendar = new CalendarConsentStore();

    const app = express();
    app.disable('x-powered-by');
    app.use((req: Request, res: Response, next: NextFunction) => {
      // Logged once answered, by route pattern: paths carry capabilities (the elicitation id in
      // `/calendar/status/:id`, interaction uids) and query strings carry codes and states.
      res.on('finish', () => {
        logger.debug({ method: req.method, route: routeOf(req), status: res.statusCode }, 'request');
      });
      next();
    });
    app.get('/', (_req, res) => {
      sendPage(res, 200, homePage({ issuer, resources, autoApprove: autoApproveUser }));
    });
    app.get(
      '/auth',
      createAutoApproveHandler({ user: () => autoApproveUser, selfUrl: () => selfUrl, issuer, logger }),
    );
    app.use(createInteractionRouter({ provider, logger }));
    app.use(createCalendarConsentRouter({ store: calendar, autoApprove: () => autoApproveUser, logger }));
    app.use(provider.callback());
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      logger.error({ err }, 'unhandled error in the demo auth server');
      sendPage(
        res,
        500,
        errorPage('Something went wrong', 'The demo auth server hit an unexpected error.', 'server_error'),
      );
    });
    server.on('request', app);

    const warnAutoApprove = (user: string): void => {
      logger.warn({ user }, 'AUTO-APPROVE is on: every authorization signs in without asking');
    };
    if (autoApproveUser) warnAutoApprove(autoApproveUser);
    logger.info({ issuer, resources }, 'demo auth server started');

    let closing: Promise<void> | undefined;
    return {
      url: issuer,
      port,
      get resources() {
        return resources;
      },
      setAutoApprove(user) {
        autoApproveUser = checkUser(user);
        if (autoApproveUser) warnAutoApprove(autoApproveUser);
        else logger.info('auto-approve is off');
      },
      setResources(urls) {
        resources = checkResources(urls);
        logger.info({ resources }, 'accepted resources replaced');
      },
      close() {
        closing ??= new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          // Keep-alive connections (fetch keeps them) would hold close() open until they time out.
          server.closeAllConnections();
        }).finally(() => {
          store.clear();
        });
        return closing;
      },
    };
  } catch (err) {
    server.close();
    throw err;
  }
}
