/**
 * The connection pool: one connection per (person, server), never shared between people. One
 * connect attempt per key at a time (others await it), idle connections closed, a cap on the
 * total (least recently used closed first), and a fresh connection after a server restart.
 */
import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config.js';
import { describeError, isParleyError, ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type ConnectionHooks, McpConnection } from './connection.js';
import { classifyFailure } from './failures.js';

/** A connection idle this long is pinged before a call rides on it (ms). */
const PING_WHEN_IDLE_MS = 2_000;

export interface McpPoolOptions {
  servers: ServerConfig[];
  hooks: ConnectionHooks;
  /** Declare sampling on connections (only when a language model can answer it). */
  sampling?: boolean;
  logger: Logger;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  /** Most connections one (person, server) may hold for calls that run at once. Default 8. */
  maxPerKey?: number;
  /** Supplies the OAuth provider for (person, server) when the server uses OAuth. */
  authProviderFor?: (identity: string, server: ServerConfig) => OAuthClientProvider | undefined;
  /** Builds connections; tests and the benchmark may count them. */
  createConnection?: (options: ConstructorParameters<typeof McpConnection>[0]) => McpConnection;
}

/**
 * A (person, server)'s connections. The first serves tool listings and every call of the
 * 2026-07-28 era (whose input rounds travel in results, so calls can share it). A 2025-11-25
 * connection carries server requests that don't say which call they belong to, so each call
 * checks one out exclusively: a second call at once gets a connection of its own.
 */
interface Group {
  conns: McpConnection[];
}

export class McpPool {
  private readonly live = new Map<string, Group>();
  private readonly connecting = new Map<string, Promise<McpConnection>>();
  private readonly leases = new WeakMap<McpConnection, number>();
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

  /** Open connections, all people and servers together. */
  get size(): number {
    let n = 0;
    for (const g of this.live.values()) n += g.conns.length;
    return n;
  }

  /** The person's main connection to a server (tool listings), connecting if needed. */
  async get(identity: string, serverName: string): Promise<McpConnection> {
    const server = this.requireServer(serverName);
    const key = keyOf(identity, server.name);
    const group = this.live.get(key);
    if (group) group.conns = group.conns.filter((c) => c.isOpen);
    const main = group?.conns[0];
    if (main) {
      main.lastUsed = Date.now();
      return main;
    }
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const attempt = this.open(identity, server)
      .then((conn) => this.add(key, conn, 'front'))
      .finally(() => this.connecting.delete(key));
    this.connecting.set(key, attempt);
    return attempt;
  }

  /**
   * Runs `work` on a connection checked out for it (see {@link Group}). A connection idle for a
   * while is pinged first, so one a server restart left dead is replaced before any call rides on
   * it. If the request fails on the connection itself, the connection is dropped; `work` runs once
   * more on a fresh one only when the request certainly never reached the server, or when
   * `repeatable` says running it twice is harmless. Otherwise: `outcome_unknown`.
   */
  async use<T>(
    identity: string,
    serverName: string,
    work: (conn: McpConnection) => Promise<T>,
    options: { repeatable?: boolean; what?: string } = {},
  ): Promise<T> {
    const key = keyOf(identity, serverName);
    const run = async (conn: McpConnection) => {
      this.leases.set(conn, (this.leases.get(conn) ?? 0) + 1);
      try {
        return await work(conn);
      } finally {
        this.leases.set(conn, (this.leases.get(conn) ?? 1) - 1);
        conn.lastUsed = Date.now();
      }
    };
    const conn = await this.fresh(key, identity, serverName, await this.checkout(identity, serverName));
    try {
      return await run(conn);
    } catch (err) {
      const kind = classifyFailure(err);
      if (kind === 'other') throw err;
      this.options.logger.info(
        { server: serverName, kind, err: describeError(err) },
        'MCP connection failed under a call',
      );
      await this.remove(key, conn);
      if (kind === 'not_sent' || options.repeatable) return run(await this.checkout(identity, serverName));
      const server = this.server(serverName);
      throw new ParleyError(
        'outcome_unknown',
        `I lost the connection to ${server?.title ?? serverName} while ${options.what ?? 'the tool'} was running, so I can’t tell whether it finished. Please check before trying again.`,
        { cause: err, detail: describeError(err) },
      );
    }
  }

  /** The connection itself, or a fresh one when a ping says it died while idle. */
  private async fresh(
    key: string,
    identity: string,
    serverName: string,
    conn: McpConnection,
  ): Promise<McpConnection> {
    if (conn.idleMs < PING_WHEN_IDLE_MS) return conn;
    this.leases.set(conn, (this.leases.get(conn) ?? 0) + 1);
    try {
      await conn.ping();
      return conn;
    } catch (err) {
      if (classifyFailure(err) === 'other') return conn; // a server without ping: nothing learned
      this.options.logger.info(
        { server: serverName, err: describeError(err) },
        'stale MCP connection; reconnecting',
      );
    } finally {
      this.leases.set(conn, (this.leases.get(conn) ?? 1) - 1);
    }
    await this.remove(key, conn);
    return this.checkout(identity, serverName);
  }

  private busy(conn: McpConnection): boolean {
    return (this.leases.get(conn) ?? 0) > 0 || conn.inFlight > 0;
  }

  private async checkout(identity: string, serverName: string): Promise<McpConnection> {
    const main = await this.get(identity, serverName);
    if (!main.exclusive || !this.busy(main)) return main;
    const key = keyOf(identity, serverName);
    const group = this.live.get(key);
    const idle = group?.conns.find((c) => c.isOpen && !this.busy(c));
    if (idle) return idle;
    const max = this.options.maxPerKey ?? 8;
    if ((group?.conns.length ?? 0) >= max)
      throw new ParleyError(
        'mcp_unreachable',
        `You already have ${max} calls running on ${serverName}. Please finish one (an open form, perhaps) and try again.`,
      );
    const extra = await this.open(identity, this.requireServer(serverName));
    // Reserved before anyone else can see it.
    this.leases.set(extra, 0);
    return this.add(key, extra, 'back');
  }

  /** Drops a person's connections to a server (after a transport failure, a sign-out). */
  async discard(identity: string, serverName: string): Promise<void> {
    const key = keyOf(identity, serverName);
    const group = this.live.get(key);
    this.live.delete(key);
    await Promise.all((group?.conns ?? []).map((c) => c.close()));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.live.values()].flatMap((g) => g.conns);
    this.live.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  private requireServer(name: string): ServerConfig {
    const server = this.server(name);
    if (!server) throw new ParleyError('tool_not_found', `There is no MCP server called "${name}".`);
    return server;
  }

  private async add(key: string, conn: McpConnection, where: 'front' | 'back'): Promise<McpConnection> {
    await this.makeRoom();
    const group = this.live.get(key) ?? { conns: [] };
    if (where === 'front') group.conns.unshift(conn);
    else group.conns.push(conn);
    this.live.set(key, group);
    return conn;
  }

  private async open(identity: string, server: ServerConfig): Promise<McpConnection> {
    const { hooks, logger, requestTimeoutMs } = this.options;
    const authProvider =
      server.auth.type === 'oauth' ? this.options.authProviderFor?.(identity, server) : undefined;
    const connOptions = {
      server,
      identity,
      hooks,
      sampling: this.options.sampling ?? false,
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
        if (classifyFailure(err) === 'other') throw err;
        conn = make();
        await conn.connect();
      }
    } catch (err) {
      if (isParleyError(err)) throw err;
      logger.warn({ server: server.name, err: describeError(err) }, 'MCP connect failed');
      throw new ParleyError(
        'mcp_unreachable',
        `I couldn’t reach the MCP server "${server.title ?? server.name}". It may be down; please try again later.`,
        { cause: err, detail: describeError(err) },
      );
    }
    return conn;
  }

  private async makeRoom(): Promise<void> {
    while (this.size >= this.options.maxConnections) {
      let victim: { key: string; conn: McpConnection } | undefined;
      // A connection in use may be holding a person's open form: never evict it.
      for (const [key, g] of this.live)
        for (const c of g.conns)
          if (!this.busy(c) && (!victim || c.lastUsed < victim.conn.lastUsed)) victim = { key, conn: c };
      if (!victim) return;
      await this.remove(victim.key, victim.conn);
    }
  }

  private async remove(key: string, conn: McpConnection): Promise<void> {
    const group = this.live.get(key);
    if (group) {
      group.conns = group.conns.filter((c) => c !== conn);
      if (group.conns.length === 0) this.live.delete(key);
    }
    await conn.close();
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.options.idleTimeoutMs;
    for (const [key, g] of [...this.live])
      for (const c of [...g.conns]) if (!this.busy(c) && c.lastUsed < cutoff) await this.remove(key, c);
  }
}

function keyOf(identity: string, server: string): string {
  return `${identity}\u0000${server}`;
}
