/**
 * Listing a server's tools for a turn (issue 11 §2, issue 12 §1): from the per-server cache when
 * fresh, else on the person's connection, and never longer than the server's listing deadline —
 * a turn goes on with the servers that answered. The listing itself outlives a missed deadline
 * (a slow starter is there next time), and its outcome is the server's health record.
 */
import type { Tool } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config.js';
import { ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, type McpConnection } from './connection.js';
import { type ServerHealth, unavailable } from './health.js';
import { ToolLists, withinDeadline } from './tool-lists.js';

/** How long a turn waits for a listing (connecting included) when the config names no `listMs`. */
export const DEFAULT_LIST_DEADLINE_MS = 3_000;

export interface ListingDeps {
  health: ServerHealth;
  logger: Logger;
  /** The person's main connection to the server, checked out (released with `release`). */
  checkout(identity: string, server: ServerConfig): Promise<McpConnection>;
  release(conn: McpConnection): void;
  /** True while the person's listing waits for a slot at the pool's cap, not for the server. */
  waitingForSlot(identity: string, server: ServerConfig): boolean;
}

export class ToolListing {
  readonly lists: ToolLists;
  /** Listings that missed a caller's deadline and are still out. */
  private readonly late = new WeakSet<Promise<Tool[]>>();

  constructor(
    private readonly deps: ListingDeps,
    ttlMs?: number,
  ) {
    this.lists = new ToolLists(ttlMs);
  }

  /**
   * The server's tools as the person may see them listed (allow/deny are the catalog's). A turn
   * waits at most the server's `listMs` (default 3 s): past it, this caller gets `mcp_timeout`
   * and, while that listing is still out, later callers are told at once that the server is
   * unavailable; a stalled server's listing ends at its connect timeout and opens the breaker.
   * `wait` (a person naming one tool) waits for the listing itself. Also throws
   * `mcp_unreachable` while the server is skipped, `mcp_busy` when the pool had no slot in time,
   * and a sign-in error.
   */
  list(identity: string, server: ServerConfig, options: { wait?: boolean } = {}): Promise<Tool[]> {
    const key = ToolLists.keyOf(identity, server);
    const hit = this.lists.cached(key);
    if (hit) return Promise.resolve(hit);
    let listing = this.lists.running(key);
    if (listing && this.late.has(listing) && !options.wait) return Promise.reject(unavailable(server));
    if (!listing) {
      // Skipped at once while the server's breaker is open (this listing may be its probe).
      this.deps.health.admit(server);
      listing = this.lists.get(key, () => this.listNow(identity, server));
    }
    if (options.wait) return listing;
    const pending = listing;
    const deadlineMs = server.timeouts?.listMs ?? DEFAULT_LIST_DEADLINE_MS;
    return withinDeadline(pending, deadlineMs, () => {
      // Waiting for a slot at the cap is not the server's fault: the cap's own bound decides.
      if (this.deps.waitingForSlot(identity, server)) return undefined;
      this.late.add(pending);
      this.deps.logger.warn({ server: server.name, deadlineMs }, 'tool listing missed its deadline');
      return new ParleyError(
        'mcp_timeout',
        `${server.title ?? server.name} didn’t answer in time, so I’m leaving it out for a moment.`,
      );
    });
  }

  private async listNow(identity: string, server: ServerConfig): Promise<Tool[]> {
    const conn = await this.deps.checkout(identity, server);
    try {
      const tools = await conn.listTools(server.timeouts?.connectMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
      this.deps.health.succeeded(server.name);
      return tools;
    } catch (err) {
      this.deps.health.judge(server.name, err);
      throw err;
    } finally {
      this.deps.release(conn);
    }
  }
}
