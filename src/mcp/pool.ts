/**
 * The connection pool: connections per (person, server) — or one per server for everyone where
 * nothing on it is anyone's own (`sharing.ts`). One
 * connect attempt per key at a time (others await it), idle connections closed, a fresh
 * connection after a server restart, and a cap on the total. At the cap only connections doing
 * nothing are closed (least recently used first, counted from the end of their last use): one
 * that is connecting, listing tools or carrying a call never is. With none to close, new work
 * waits for a slot (bounded), then hears "busy". Tool lists are cached per server (`ToolLists`),
 * a stalled server is skipped for a while (`ServerHealth`); listing is `listing.ts`, and which
 * connections are in use and which may be closed is `live.ts`.
 */
import type { OAuthClientProvider, Tool } from '@modelcontextprotocol/client';
import { signInFailure } from '../auth/failure.js';
import type { ServerConfig } from '../config.js';
import { describeError, ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { metrics } from '../observability/metrics.js';
import { withSpan } from '../observability/tracing.js';
import { connectFresh } from './connect.js';
import { type ConnectionHooks, McpConnection } from './connection.js';
import { classifyFailure } from './failures.js';
import { type HealthOptions, ServerHealth } from './health.js';
import { ToolListing } from './listing.js';
import { LiveConnections } from './live.js';
import { SHARED_IDENTITY, shareable } from './sharing.js';
import { ConnectionSlots } from './slots.js';
import { ToolLists } from './tool-lists.js';

/** A connection idle this long is pinged before a call rides on it (ms). */
const PING_WHEN_IDLE_MS = 2_000;
/** How long new work waits for a free slot at the connection cap before "busy" (ms). */
export const DEFAULT_CAP_WAIT_MS = 10_000;

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
  /** How long work waits for a slot at the cap (ms). Default {@link DEFAULT_CAP_WAIT_MS}. */
  capWaitMs?: number;
  /** The circuit breaker's thresholds (see `health.ts`). */
  health?: HealthOptions;
  /** How long a cached tool list is trusted without `list_changed` (ms). Default 5 min. */
  toolListTtlMs?: number;
  /** Supplies the OAuth provider for (person, server) when the server's auth needs one. */
  authProviderFor?: (identity: string, server: ServerConfig) => OAuthClientProvider | undefined;
  /** Builds connections; tests and the benchmark may count them. */
  createConnection?: (options: ConstructorParameters<typeof McpConnection>[0]) => McpConnection;
}

export class McpPool {
  private readonly live: LiveConnections;
  private readonly connecting = new Map<string, Promise<McpConnection>>();
  /** Servers learned to need the 2025-11-25 era (they send requests during calls). */
  private readonly legacy = new Set<string>();
  /** Servers found to speak only 2025-11-25 when a shared connection was opened to them. */
  private readonly unshared = new Set<string>();
  private readonly slots: ConnectionSlots;
  /** The connection that listens for `list_changed` for each cached tool list. */
  private readonly watchers = new Map<string, McpConnection>();
  readonly health: ServerHealth;
  private readonly listing: ToolListing;

  constructor(private readonly options: McpPoolOptions) {
    this.live = new LiveConnections({
      idleTimeoutMs: options.idleTimeoutMs,
      wake: () => this.slots.wake(),
      close: (conn) => this.closeConn(conn),
    });
    this.health = new ServerHealth(options.health);
    this.listing = new ToolListing(
      {
        health: this.health,
        logger: options.logger,
        checkout: async (identity, server) => {
          const conn = await this.get(identity, server.name, true);
          this.live.lease(conn);
          return conn;
        },
        release: (conn) => this.live.release(conn),
        waitingForSlot: (identity, server) =>
          !this.live.group(this.keyFor(identity, server))?.conns.some((c) => c.isOpen) &&
          this.slots.full &&
          this.slots.contended,
      },
      options.toolListTtlMs,
    );
    this.slots = new ConnectionSlots({
      max: options.maxConnections,
      waitMs: options.capWaitMs ?? DEFAULT_CAP_WAIT_MS,
      logger: options.logger,
      live: () => this.size,
      evictOne: () => this.live.evictOne(),
    });
  }

  get servers(): ServerConfig[] {
    return this.options.servers;
  }

  server(name: string): ServerConfig | undefined {
    return this.options.servers.find((s) => s.name === name);
  }

  /** Open connections, all people and servers together. */
  get size(): number {
    return this.live.size;
  }

  /**
   * True when people share their connections to `server` (see `sharing.ts`): a 2026-07-28 server
   * without per-person sign-in, not known to need 2025-11-25 sessions.
   */
  shares(server: ServerConfig): boolean {
    return shareable(server) && !this.legacy.has(server.name) && !this.unshared.has(server.name);
  }

  /** The key of the connections `identity` uses for `server` (its own, or the shared one). */
  private keyFor(identity: string, server: ServerConfig): string {
    return keyOf(this.shares(server) ? SHARED_IDENTITY : identity, server.name);
  }

  /** The person's main connection to a server, connecting if needed (not checked out). */
  async get(identity: string, serverName: string, admitted = false): Promise<McpConnection> {
    const server = this.requireServer(serverName);
    const shared = this.shares(server);
    const key = keyOf(shared ? SHARED_IDENTITY : identity, server.name);
    const group = this.live.group(key);
    if (group) group.conns = group.conns.filter((c) => c.isOpen);
    const main = group?.conns[0];
    if (main) return main;
    let attempt = this.connecting.get(key);
    if (!attempt) {
      attempt = this.open(identity, server, admitted)
        .then((conn) => {
          // Shared, but the server offered only 2025-11-25 sessions: this one stays its opener's,
          // and everyone gets their own from now on.
          if (!conn.exclusive || !shared) return this.add(key, conn, 'front');
          this.unshared.add(server.name);
          return this.add(keyOf(identity, server.name), conn, 'front');
        })
        .finally(() => this.connecting.delete(key));
      this.connecting.set(key, attempt);
    }
    const conn = await attempt;
    // Someone else's 2025-11-25 session, awaited as if shared: open one of this person's own.
    if (shared && conn.exclusive && conn.identity !== identity)
      return this.get(identity, serverName, admitted);
    return conn;
  }

  /** The server's tools for the person, within the turn's listing deadline: see {@link ToolListing.list}. */
  listTools(identity: string, serverName: string, options: { wait?: boolean } = {}): Promise<Tool[]> {
    return this.listing.list(identity, this.requireServer(serverName), options);
  }

  get toolLists(): ToolLists {
    return this.listing.lists;
  }

  /**
   * Runs `work` on a connection checked out for it (see `Group` in `live.ts`). A connection idle for a
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
    let held: McpConnection | undefined = await this.fresh(
      identity,
      serverName,
      await this.checkout(identity, serverName),
    );
    try {
      return await work(held);
    } catch (err) {
      const server = this.server(serverName);
      const signIn = server && signInFailure(server, err);
      if (signIn) throw signIn;
      const kind = classifyFailure(err);
      if (kind === 'other') throw err;
      this.options.logger.info(
        { server: serverName, kind, err: describeError(err) },
        'MCP connection failed under a call',
      );
      const broken = held;
      this.live.release(broken);
      held = undefined;
      await this.live.remove(broken);
      if (kind === 'not_sent' || options.repeatable) {
        held = await this.checkout(identity, serverName);
        return await work(held);
      }
      throw new ParleyError(
        'outcome_unknown',
        `I lost the connection to ${server?.title ?? serverName} while ${options.what ?? 'the tool'} was running, so I can’t tell whether it finished. Please check before trying again.`,
        { cause: err, detail: describeError(err) },
      );
    } finally {
      if (held) this.live.release(held);
    }
  }

  /** The checked-out connection itself, or a fresh one (checked out) when a ping says it died. */
  private async fresh(identity: string, serverName: string, conn: McpConnection): Promise<McpConnection> {
    if (conn.idleMs < PING_WHEN_IDLE_MS) return conn;
    try {
      await conn.ping();
      return conn;
    } catch (err) {
      if (classifyFailure(err) === 'other') return conn; // a server without ping: nothing learned
      this.options.logger.info(
        { server: serverName, err: describeError(err) },
        'stale MCP connection; reconnecting',
      );
    }
    this.live.release(conn);
    await this.live.remove(conn);
    return this.checkout(identity, serverName);
  }

  /** A connection for one call, checked out (the caller releases it) before anyone can evict it. */
  private async checkout(identity: string, serverName: string): Promise<McpConnection> {
    const main = await this.get(identity, serverName);
    if (!main.exclusive || !this.live.busy(main)) {
      this.live.lease(main);
      return main;
    }
    const key = this.live.keyOf(main) ?? keyOf(identity, serverName);
    const group = this.live.group(key);
    const idle = group?.conns.find((c) => c.isOpen && !this.live.busy(c));
    if (idle) {
      this.live.lease(idle);
      return idle;
    }
    const max = this.options.maxPerKey ?? 8;
    if ((group?.conns.length ?? 0) >= max)
      throw new ParleyError(
        'mcp_unreachable',
        `You already have ${max} calls running on ${serverName}. Please finish one (an open form, perhaps) and try again.`,
      );
    const extra = await this.open(identity, this.requireServer(serverName));
    // Checked out before anyone else can see it.
    this.live.lease(extra);
    return this.add(key, extra, 'back');
  }

  /**
   * Remembers that a server needs 2025-11-25 sessions (see `needsBackChannel`): this person's
   * connections to it are dropped, and every connection to it from now on speaks that era.
   */
  async preferLegacy(identity: string, serverName: string): Promise<void> {
    if (!this.legacy.has(serverName))
      this.options.logger.info(
        { server: serverName },
        'server needs a back-channel; using 2025-11-25 sessions',
      );
    this.legacy.add(serverName);
    await this.discard(identity, serverName);
    // Other people's idle connections to it would fail the same way once: replaced now.
    for (const [key, g] of this.live.entries())
      if (key.endsWith(`\u0000${serverName}`))
        for (const c of [...g.conns]) if (!this.live.busy(c)) await this.live.remove(c);
  }

  /** Drops a person's connections to a server (after a transport failure, a sign-out). */
  async discard(identity: string, serverName: string): Promise<void> {
    const key = keyOf(identity, serverName);
    const group = this.live.take(key);
    const server = this.server(serverName);
    if (server?.auth.type === 'oauth') this.toolLists.invalidate(ToolLists.keyOf(identity, server));
    await Promise.all((group?.conns ?? []).map((c) => this.closeConn(c)));
  }

  closeAll(): Promise<void> {
    return this.live.closeAll();
  }

  private requireServer(name: string): ServerConfig {
    const server = this.server(name);
    if (!server) throw new ParleyError('tool_not_found', `There is no MCP server called "${name}".`);
    return server;
  }

  /** Puts a new connection in its group; its slot moves from "opening" to "live". */
  private add(key: string, conn: McpConnection, where: 'front' | 'back'): McpConnection {
    this.slots.opened();
    return this.live.add(key, conn, where);
  }

  /**
   * Connects (an `mcp.connect` span), counted in `parley_mcp_connects_total` by outcome. Skipped
   * at once while the server's breaker is open; waits for a slot under the cap first.
   */
  private async open(identity: string, server: ServerConfig, admitted = false): Promise<McpConnection> {
    if (!admitted) this.health.admit(server);
    try {
      await this.slots.reserve(server);
    } catch (err) {
      this.health.released(server.name);
      throw err;
    }
    return withSpan('mcp.connect', { 'mcp.server': server.name }, async () => {
      try {
        const conn = await this.openNow(identity, server);
        metrics.connect(server.name, true);
        this.health.succeeded(server.name);
        return conn;
      } catch (err) {
        this.slots.abandoned();
        metrics.connect(server.name, false);
        this.health.judge(server.name, err);
        throw err;
      }
    });
  }

  private async openNow(identity: string, server: ServerConfig): Promise<McpConnection> {
    const { hooks, logger } = this.options;
    const authProvider = this.options.authProviderFor?.(identity, server);
    const listKey = ToolLists.keyOf(identity, server);
    const connOptions = {
      server,
      identity,
      hooks,
      sampling: this.options.sampling ?? false,
      legacy: this.legacy.has(server.name),
      logger,
      requestTimeoutMs: server.timeouts?.requestMs ?? this.options.requestTimeoutMs,
      ...(authProvider && { authProvider }),
      // One connection per cached list listens for changes; the rest rely on it (or on expiry).
      ...(!this.watchers.get(listKey)?.isOpen && {
        onToolsChanged: () => {
          logger.debug({ server: server.name }, 'tool list changed');
          this.toolLists.invalidate(listKey);
        },
      }),
    };
    const make = () => this.options.createConnection?.(connOptions) ?? new McpConnection(connOptions);
    const conn = await connectFresh(make, server, logger);
    if ('onToolsChanged' in connOptions) this.watchers.set(listKey, conn);
    return conn;
  }

  private async closeConn(conn: McpConnection): Promise<void> {
    for (const [k, w] of this.watchers) if (w === conn) this.watchers.delete(k);
    await conn.close();
  }
}

function keyOf(identity: string, server: string): string {
  return `${identity}\u0000${server}`;
}
