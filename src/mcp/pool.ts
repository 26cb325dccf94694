/**
 * The connection pool: one connection per (person, server), never shared between people. One
 * connect attempt per key at a time (others await it), idle connections closed, a cap on the
 * total (least recently used closed first), and a fresh connection after a server restart.
 */
import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import { signInFailure } from '../auth/failure.js';
import type { ServerConfig } from '../config.js';
import { describeError, isParleyError, ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type ConnectionHooks, McpConnection } from './connection.js';

export interface McpPoolOptions {
  servers: ServerConfig[];
  hooks: ConnectionHooks;
  logger: Logger;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  /** Supplies the OAuth provider for (person, server) when the server's auth needs one. */
  authProviderFor?: (identity: string, server: ServerConfig) => OAuthClientProvider | undefined;
  /** Builds connections; tests and the benchmark may count them. */
  createConnection?: (options: ConstructorParameters<typeof McpConnection>[0]) => McpConnection;
}

export class McpPool {
  private readonly live = new Map<string, McpConnection>();
  private readonly connecting = new Map<string, Promise<McpConnection>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: McpPoolOptions) {
    this.sweeper = setInterval(() => void this.closeIdle(), Math.min(60_000, options.idleTimeoutMs));
    this.sweeper.unref();
  }

  get servers(): ServerConfig[] {
    return this.options.servers;
  }

  server(name: string): ServerConfig | undefined {
    return this.options.servers.find((s) => s.name === name);
  }

  get size(): number {
    return this.live.size;
  }

  /** The connection for (identity, server), connecting if needed. */
  async get(identity: string, serverName: string): Promise<McpConnection> {
    const server = this.server(serverName);
    if (!server) throw new ParleyError('tool_not_found', `There is no MCP server called "${serverName}".`);
    const key = `${identity}\u0000${server.name}`;
    const existing = this.live.get(key);
    if (existing?.isOpen) {
      existing.lastUsed = Date.now();
      return existing;
    }
    if (existing) this.live.delete(key);
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const attempt = this.open(key, identity, server).finally(() => this.connecting.delete(key));
    this.connecting.set(key, attempt);
    return attempt;
  }

  /**
   * Runs `work` on the person's connection. When the connection turns out to be stale — the
   * server restarted, the session is gone, a kept-alive socket was closed under us — it is
   * replaced and `work` runs once more on the fresh one; any other error is the caller's.
   */
  async use<T>(identity: string, serverName: string, work: (conn: McpConnection) => Promise<T>): Promise<T> {
    const conn = await this.get(identity, serverName);
    try {
      return await work(conn);
    } catch (err) {
      const server = this.server(serverName);
      const signIn = server && signInFailure(server, err);
      if (signIn) throw signIn;
      if (!isStaleConnectionError(err)) throw err;
      this.options.logger.info(
        { server: serverName, err: describeError(err) },
        'stale MCP connection; reconnecting',
      );
      await this.discard(identity, serverName);
      return work(await this.get(identity, serverName));
    }
  }

  /** Drops a connection (after a transport failure) so the next `get` reconnects. */
  async discard(identity: string, serverName: string): Promise<void> {
    const key = `${identity}\u0000${serverName}`;
    const conn = this.live.get(key);
    this.live.delete(key);
    await conn?.close();
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  private async open(key: string, identity: string, server: ServerConfig): Promise<McpConnection> {
    const { hooks, logger, requestTimeoutMs } = this.options;
    const authProvider = this.options.authProviderFor?.(identity, server);
    const connOptions = {
      server,
      identity,
      hooks,
      logger,
      requestTimeoutMs,
      ...(authProvider && { authProvider }),
    };
    const make = () => this.options.createConnection?.(connOptions) ?? new McpConnection(connOptions);
    let conn = make();
    try {
      try {
        await conn.connect();
      } catch (err) {
        // A socket kept alive from before a server restart fails the first request: try once more.
        if (!isStaleConnectionError(err)) throw err;
        conn = make();
        await conn.connect();
      }
    } catch (err) {
      if (isParleyError(err)) throw err;
      // A failed sign-in is not an unreachable server: say what failed and what to do.
      const signIn = signInFailure(server, err);
      if (signIn) {
        logger.warn({ server: server.name, err: signIn.message }, 'MCP sign-in failed');
        throw signIn;
      }
      logger.warn({ server: server.name, err: describeError(err) }, 'MCP connect failed');
      throw new ParleyError(
        'mcp_unreachable',
        `I couldn’t reach the MCP server "${server.title ?? server.name}". It may be down; please try again later.`,
        { cause: err, detail: describeError(err) },
      );
    }
    await this.makeRoom();
    this.live.set(key, conn);
    return conn;
  }

  private async makeRoom(): Promise<void> {
    while (this.live.size >= this.options.maxConnections) {
      let oldestKey: string | undefined;
      let oldest = Number.POSITIVE_INFINITY;
      for (const [k, c] of this.live) {
        // A connection with a call in flight may be holding a person's open form: never evict it.
        if (c.inFlight === 0 && c.lastUsed < oldest) {
          oldest = c.lastUsed;
          oldestKey = k;
        }
      }
      if (oldestKey === undefined) return;
      const victim = this.live.get(oldestKey);
      this.live.delete(oldestKey);
      await victim?.close();
    }
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.options.idleTimeoutMs;
    for (const [k, c] of this.live) {
      if (c.inFlight === 0 && c.lastUsed < cutoff) {
        this.live.delete(k);
        await c.close();
      }
    }
  }
}

/**
 * Errors that mean "this connection is dead", not "the tool failed": the request never got an
 * answer (socket closed or reset, connection refused) or the server no longer knows the session.
 */
export function isStaleConnectionError(err: unknown): boolean {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const x = e as { message?: unknown; code?: unknown; cause?: unknown };
    parts.push(String(x.message ?? ''), String(x.code ?? ''));
    e = x.cause;
  }
  const text = parts.join(' ');
  return /fetch failed|ECONNRESET|ECONNREFUSED|EPIPE|UND_ERR_SOCKET|other side closed|Session not found|HTTP 404/i.test(
    text,
  );
}
