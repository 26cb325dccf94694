/**
 * The pool's open connections, grouped by key, and which of them may be closed. A connection
 * checked out, carrying a call or a listing, or connected a moment ago may be holding a person's
 * open form, so it is never closed here; the others go least recently used first when the cap
 * needs a slot, and on a timer once idle past the idle timeout. Kept apart from the pool
 * (`pool.ts`), which decides which connection a call gets, because this bookkeeping is what
 * decides when one may go.
 */
import type { McpConnection } from './connection.js';

/**
 * A (person, server)'s connections, or everyone's to a shared server. The first serves tool listings and every call of the
 * 2026-07-28 era (whose input rounds travel in results, so calls can share it). A 2025-11-25
 * connection carries server requests that don't say which call they belong to, so each call
 * checks one out exclusively: a second call at once gets a connection of its own.
 */
export interface Group {
  conns: McpConnection[];
}

export interface LiveOptions {
  /** A connection unused this long is closed by the sweep (ms). */
  idleTimeoutMs: number;
  /** A slot may be free now (a use ended, a connection went): work waiting at the cap may go on. */
  wake: () => void;
  /** Closes a connection no longer in any group. */
  close: (conn: McpConnection) => Promise<void>;
}

export class LiveConnections {
  private readonly groups = new Map<string, Group>();
  private readonly leases = new WeakMap<McpConnection, number>();
  /** The key each connection lives under (a person's, or the server's shared one). */
  private readonly keys = new WeakMap<McpConnection, string>();
  /** Connected a moment ago: not evictable until those who awaited the connect have it. */
  private readonly newborn = new WeakSet<McpConnection>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly o: LiveOptions) {
    this.sweeper = setInterval(() => void this.closeIdle(), Math.min(60_000, o.idleTimeoutMs));
    this.sweeper.unref();
  }

  /** Open connections, all people and servers together. */
  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.conns.length;
    return n;
  }

  group(key: string): Group | undefined {
    return this.groups.get(key);
  }

  /** Every key with its group, as they stand now. */
  entries(): Array<[string, Group]> {
    return [...this.groups];
  }

  /** The key `conn` lives under. */
  keyOf(conn: McpConnection): string | undefined {
    return this.keys.get(conn);
  }

  /** Forgets a key's group; closing its connections is the caller's. */
  take(key: string): Group | undefined {
    const group = this.groups.get(key);
    this.groups.delete(key);
    return group;
  }

  /** Checked out, or carrying a call or listing: another call must not share it (2025-11-25). */
  busy(conn: McpConnection): boolean {
    return (this.leases.get(conn) ?? 0) > 0 || conn.inFlight > 0;
  }

  /** Busy, or connected so recently that its first user may not have checked it out yet. */
  private pinned(conn: McpConnection): boolean {
    return this.busy(conn) || this.newborn.has(conn);
  }

  lease(conn: McpConnection): void {
    this.leases.set(conn, (this.leases.get(conn) ?? 0) + 1);
  }

  /** Ends a use: LRU counts from here, and work waiting at the cap may now evict it. */
  release(conn: McpConnection): void {
    const n = (this.leases.get(conn) ?? 0) - 1;
    if (n < 0) return;
    this.leases.set(conn, n);
    conn.lastUsed = Date.now();
    if (n === 0) this.o.wake();
  }

  /** Puts a new connection in its group. */
  add(key: string, conn: McpConnection, where: 'front' | 'back'): McpConnection {
    conn.lastUsed = Date.now();
    this.keys.set(conn, key);
    const group = this.groups.get(key) ?? { conns: [] };
    if (where === 'front') {
      group.conns.unshift(conn);
      // Pinned until everyone who awaited this connect has checked it out (their continuations
      // run as microtasks, before this macrotask): nobody can evict it in between.
      this.newborn.add(conn);
      setImmediate(() => {
        this.newborn.delete(conn);
        this.o.wake();
      });
    } else group.conns.push(conn);
    this.groups.set(key, group);
    return conn;
  }

  /**
   * Closes the least recently used connection that does nothing. A connection in use may be
   * holding a person's open form: never evict it. True when one was closed (its slot is free at
   * once; the close itself finishes in the background).
   */
  evictOne(): boolean {
    let victim: McpConnection | undefined;
    for (const g of this.groups.values())
      for (const c of g.conns) if (!this.pinned(c) && (!victim || c.lastUsed < victim.lastUsed)) victim = c;
    if (!victim) return false;
    void this.remove(victim);
    return true;
  }

  async remove(conn: McpConnection): Promise<void> {
    const key = this.keys.get(conn);
    const group = key === undefined ? undefined : this.groups.get(key);
    if (group) {
      group.conns = group.conns.filter((c) => c !== conn);
      if (group.conns.length === 0) this.groups.delete(key as string);
    }
    this.o.wake();
    await this.o.close(conn);
  }

  /** Stops the sweep and closes every connection. */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.groups.values()].flatMap((g) => g.conns);
    this.groups.clear();
    await Promise.all(all.map((c) => this.o.close(c)));
    this.o.wake();
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.o.idleTimeoutMs;
    for (const g of [...this.groups.values()])
      for (const c of [...g.conns]) if (!this.pinned(c) && c.lastUsed < cutoff) await this.remove(c);
  }
}
