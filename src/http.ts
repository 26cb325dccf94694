/**
 * Parley's own HTTP server: health, readiness and short redirects for long links. Ready means:
 * not shutting down, the store answers, and every registered check (Slack's socket, Discord's
 * gateway) passes — so a load balancer or Kubernetes sends nothing to a process that can't serve. Adapters mount their routes on the same app (Slack HTTP mode, Discord interactions, the
 * OAuth callback), so one port serves everything.
 */
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { digest, SecretBox } from './auth/crypto.js';
import { newId } from './interactions/pending.js';
import type { Logger } from './logger.js';
import { type Sealer, type Store, UNREADABLE_SENTENCE } from './store/index.js';

export interface HttpServerOptions {
  store: Store;
  logger: Logger;
  /**
   * Seals short links a second time with the deployment's key (PARLEY_SECRET), like everything
   * else usable in the store. Without it they are sealed only with their own id.
   */
  sealer?: Sealer | undefined;
  /** How the outside world reaches this server; a function when the port is known only later. */
  publicBaseUrl: string | (() => string);
}

/** A readiness condition: true when ready. */
export type ReadinessCheck = () => boolean;

export class ParleyHttpServer {
  readonly app: Express;
  private server: Server | undefined;
  private readonly checks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;
  private inFlight = 0;
  private drained: (() => void) | undefined;

  constructor(private readonly options: HttpServerOptions) {
    const app = express();
    app.disable('x-powered-by');
    // Counts requests under way, so close() can let them finish (see close()).
    app.use((_req, res, next) => {
      this.inFlight += 1;
      res.once('close', () => {
        this.inFlight -= 1;
        if (this.inFlight === 0) this.drained?.();
      });
      next();
    });
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/readyz', async (_req, res) => {
      if (this.shuttingDown) {
        res.status(503).json({ ok: false, error: 'shutting down' });
        return;
      }
      const failing = [...this.checks].filter(([, ready]) => !ready()).map(([name]) => name);
      if (failing.length > 0) {
        res.status(503).json({ ok: false, error: `not connected: ${failing.join(', ')}` });
        return;
      }
      try {
        await options.store.ping();
        res.json({ ok: true });
      } catch {
        res.status(503).json({ ok: false, error: 'store unavailable' });
      }
    });
    app.get('/l/:id', async (req, res) => {
      const target = await this.openShortLink(req.params.id).catch(() => undefined);
      if (target === 'unreadable') {
        res.status(400).type('text/plain').send(UNREADABLE_SENTENCE);
        return;
      }
      if (!target) {
        res.status(404).type('text/plain').send('This link has expired. Ask Parley again for a fresh one.');
        return;
      }
      res.redirect(302, target);
    });
    this.app = app;
  }

  /**
   * Stores a long URL and returns a short `/l/:id` URL on this server. The store keeps the URL
   * sealed with a key derived from the id, under the id's SHA-256: without the short link in hand
   * (it goes only to the person), nothing in the store opens to a usable URL. With a sealer, that
   * is sealed again with the deployment's key, so the link alone doesn't open a copy of the store.
   */
  async shortLink(url: string, ttlMs: number): Promise<string> {
    const id = newId();
    const key = shortLinkKey(id);
    const inner = new SecretBox(id).seal(url, SHORT_LINK_AAD);
    const { sealer } = this.options;
    await this.options.store.set(key, sealer ? sealer.seal(inner, key) : inner, ttlMs);
    const base = this.options.publicBaseUrl;
    return `${typeof base === 'function' ? base() : base}/l/${id}`;
  }

  /** The URL behind a short link; undefined when unknown or expired, 'unreadable' when tampered. */
  private async openShortLink(id: string): Promise<string | 'unreadable' | undefined> {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(id)) return undefined;
    const key = shortLinkKey(id);
    const stored = await this.options.store.get(key);
    if (stored === undefined) return undefined;
    const { sealer } = this.options;
    const inner = sealer ? sealer.open(stored, key) : stored;
    const url = inner === undefined ? undefined : new SecretBox(id).open(inner, SHORT_LINK_AAD);
    if (url !== undefined) return url;
    this.options.logger.warn(
      { code: 'sealed_unreadable' },
      'a short link’s sealed record could not be opened (changed by someone, or sealed with a secret this process lacks: check PARLEY_SECRET and PARLEY_SECRET_PREVIOUS); refused',
    );
    return 'unreadable';
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = this.app.listen(port, host, (err?: Error) => {
        if (err) return reject(err);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
      server.on('error', reject);
      this.server = server;
    });
  }

  /** The port it listens on (undefined before listen). */
  get port(): number | undefined {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : undefined;
  }

  /** Adds a condition `/readyz` requires (`name` appears in its 503 answer). */
  addReadinessCheck(name: string, ready: ReadinessCheck): void {
    this.checks.set(name, ready);
  }

  /** From now on `/readyz` answers 503, so traffic moves elsewhere while this process stops. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops accepting connections, lets requests under way finish for up to `drainMs` milliseconds
   * (default 10 s), then cuts what is left. Idle keep-alive connections close at once.
   */
  async close(drainMs = 10_000): Promise<void> {
    this.shuttingDown = true;
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.inFlight > 0 && drainMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          this.drained = resolve;
        }),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drainMs);
        }),
      ]);
      clearTimeout(timer);
      if (this.inFlight > 0)
        this.options.logger.warn({ requests: this.inFlight }, 'requests still running at shutdown were cut');
    }
    // Keep-alive connections that carried the drained requests are idle now, or cut.
    server.closeAllConnections();
    await closed;
  }
}

const SHORT_LINK_AAD = 'parley short link';

function shortLinkKey(id: string): string {
  return `link:${digest(id)}`;
}
