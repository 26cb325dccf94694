/**
 * Parley's own HTTP server: health, readiness (the store answers) and short redirects for long
 * links. Adapters mount their routes on the same app (Slack HTTP mode, Discord interactions, the
 * OAuth callback), so one port serves everything.
 */
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { newId } from './interactions/pending.js';
import type { Logger } from './logger.js';
import type { Store } from './store/index.js';

export interface HttpServerOptions {
  store: Store;
  logger: Logger;
  /** How the outside world reaches this server; a function when the port is known only later. */
  publicBaseUrl: string | (() => string);
}

export class ParleyHttpServer {
  readonly app: Express;
  private server: Server | undefined;

  constructor(private readonly options: HttpServerOptions) {
    const app = express();
    app.disable('x-powered-by');
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/readyz', async (_req, res) => {
      try {
        await options.store.ping();
        res.json({ ok: true });
      } catch {
        res.status(503).json({ ok: false, error: 'store unavailable' });
      }
    });
    app.get('/l/:id', async (req, res) => {
      const target = await options.store.get(`link:${req.params.id}`).catch(() => undefined);
      if (!target) {
        res.status(404).type('text/plain').send('This link has expired. Ask Parley again for a fresh one.');
        return;
      }
      res.redirect(302, target);
    });
    this.app = app;
  }

  /** Stores a long URL and returns a short `/l/:id` URL on this server. */
  async shortLink(url: string, ttlMs: number): Promise<string> {
    const id = newId();
    await this.options.store.set(`link:${id}`, url, ttlMs);
    const base = this.options.publicBaseUrl;
    return `${typeof base === 'function' ? base() : base}/l/${id}`;
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

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  }
}
