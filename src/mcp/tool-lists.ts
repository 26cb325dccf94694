/**
 * Tool lists cached per server (issue 12 §1): shared between people for a server without
 * per-person auth, per person for an OAuth server (what it lists may depend on who signed in).
 * An entry lives `ttlMs` and is dropped at once on `notifications/tools/list_changed`; one
 * listing per key runs at a time, and a listing that started before a change is not stored.
 */
import type { Tool } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config.js';

/** How long a tool list is trusted without a `list_changed` (ms). */
export const TOOL_LIST_TTL_MS = 5 * 60_000;

interface Entry {
  tools: Tool[];
  expiresAt: number;
}

export class ToolLists {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Tool[]>>();
  /** Bumped on every change, so a listing that raced a change is not kept. */
  private readonly generation = new Map<string, number>();

  constructor(private readonly ttlMs = TOOL_LIST_TTL_MS) {}

  /** The cache key: the server alone, or (person, server) for OAuth servers. */
  static keyOf(identity: string, server: ServerConfig): string {
    return server.auth.type === 'oauth' ? `${server.name}\u0000${identity}` : server.name;
  }

  /** The cached list, when fresh. */
  cached(key: string): Tool[] | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expiresAt > Date.now() ? hit.tools : undefined;
  }

  /** The listing under way for `key`, if any. */
  running(key: string): Promise<Tool[]> | undefined {
    return this.pending.get(key);
  }

  /** The cached list, or `load()`'s (shared with every caller asking for the same key meanwhile). */
  get(key: string, load: () => Promise<Tool[]>): Promise<Tool[]> {
    const hit = this.cached(key);
    if (hit) return Promise.resolve(hit);
    const running = this.pending.get(key);
    if (running) return running;
    const gen = this.generation.get(key) ?? 0;
    const attempt = load()
      .then((tools) => {
        if ((this.generation.get(key) ?? 0) === gen)
          this.entries.set(key, { tools, expiresAt: Date.now() + this.ttlMs });
        return tools;
      })
      .finally(() => {
        if (this.pending.get(key) === attempt) this.pending.delete(key);
      });
    this.pending.set(key, attempt);
    return attempt;
  }

  /** The server said its tools changed (or the person signed out): list again next time. */
  invalidate(key: string): void {
    this.generation.set(key, (this.generation.get(key) ?? 0) + 1);
    this.entries.delete(key);
    this.pending.delete(key);
  }

  /** Drops every entry of a server (all people). */
  invalidateServer(server: string): void {
    for (const key of [...this.entries.keys(), ...this.pending.keys()])
      if (key === server || key.startsWith(`${server}\u0000`)) this.invalidate(key);
  }
}

/**
 * `work`'s outcome, or after `ms` the error `onLate()` returns; `onLate()` returning undefined
 * gives `work` another `retryMs` (e.g. while the delay is not the server's fault).
 */
export async function withinDeadline<T>(
  work: Promise<T>,
  ms: number,
  onLate: () => Error | undefined,
  retryMs = 250,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    const check = () => {
      const err = onLate();
      if (err) return reject(err);
      timer = setTimeout(check, retryMs);
      timer.unref();
    };
    timer = setTimeout(check, ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
