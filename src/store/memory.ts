/**
 * In-memory store: the embedded default, for one process only. It honours TTLs (expired keys are
 * dropped on read and swept periodically) so it behaves like Redis in everything but sharing.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import { memoryRateLimiter, type RateLimiter, type RateLimitOptions } from './limiter.js';
import type { Store, TakeMark } from './store.js';

export interface MemoryStoreOptions {
  now?: () => number;
  logger?: Logger;
  /** Set to 'production' to get the one-time warning that state is not shared or kept. */
  nodeEnv?: string;
  sweepIntervalMs?: number;
}

let warnedProduction = false;

/** A string key or a list key (`append`/`range`), as in Redis. */
type Entry = { value: string; expiresAt: number } | { list: string[]; expiresAt: number };

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** Redis answers WRONGTYPE when a string command meets a list key (or the reverse); so does this store. */
function stringOf(entry: Entry | undefined): string | undefined {
  if (!entry) return undefined;
  if ('list' in entry) throw new Error(WRONGTYPE);
  return entry.value;
}

function listOf(entry: Entry | undefined): string[] {
  if (!entry) return [];
  if (!('list' in entry)) throw new Error(WRONGTYPE);
  return entry.list;
}

export class MemoryStore implements Store {
  private readonly data = new Map<string, Entry>();
  private readonly bus = new EventEmitter();
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.bus.setMaxListeners(0);
    if (options.nodeEnv === 'production' && !warnedProduction) {
      warnedProduction = true;
      options.logger?.warn(
        'Using the in-memory store in production: state is lost on restart and not shared between processes. Set REDIS_URL.',
      );
    }
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  rateLimiter(options: RateLimitOptions): RateLimiter {
    // Limiters of one name share their counters, as they do in Redis (one key per name and key).
    const id = `${options.name}:${options.points}:${options.durationSeconds}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = memoryRateLimiter(options);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  async get(key: string): Promise<string | undefined> {
    return stringOf(this.live(key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.data.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.data.set(key, { value, expiresAt: this.now() + ttlMs });
    return true;
  }

  async take(key: string): Promise<string | undefined> {
    const value = stringOf(this.live(key));
    this.data.delete(key);
    return value;
  }

  async takeTogether(take: string[], mark?: TakeMark): Promise<Array<string | undefined> | undefined> {
    if (mark?.keep && mark.keep.keys.length !== take.length)
      throw new Error('takeTogether: keep needs one key per taken key');
    // No await between the reads and the writes: atomic in one event loop.
    if (!take[0] || !this.live(take[0])) {
      // A repeat of a call whose mark is still there (its reply was lost): the kept values.
      if (mark?.keep && stringOf(this.live(mark.key)) === mark.value)
        return mark.keep.keys.map((key) => stringOf(this.live(key)));
      return undefined;
    }
    const out = take.map((key, i) => {
      const value = stringOf(this.live(key));
      this.data.delete(key);
      const kept = mark?.keep?.keys[i];
      // A key absent now leaves no kept value (not one from an earlier take).
      if (kept !== undefined && mark?.keep)
        if (value === undefined) this.data.delete(kept);
        else this.data.set(kept, { value, expiresAt: this.now() + mark.keep.ttlMs });
      return value;
    });
    if (mark) this.data.set(mark.key, { value: mark.value, expiresAt: this.now() + mark.ttlMs });
    return out;
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (stringOf(this.live(key)) !== value) return false;
    this.data.delete(key);
    return true;
  }

  async append(key: string, items: string[], maxLen: number, ttlMs: number): Promise<void> {
    if (items.length === 0) return;
    const list = [...listOf(this.live(key)), ...items];
    this.data.set(key, { list: list.slice(-Math.max(1, Math.floor(maxLen))), expiresAt: this.now() + ttlMs });
  }

  async range(key: string): Promise<string[]> {
    return [...listOf(this.live(key))];
  }

  async publish(channel: string, message: string): Promise<number> {
    const receivers = this.bus.listenerCount(channel);
    // Asynchronous like Redis: a publisher never runs subscriber code on its own stack.
    setImmediate(() => this.bus.emit(channel, message));
    return receivers;
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    this.bus.on(channel, onMessage);
    return async () => {
      this.bus.off(channel, onMessage);
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.bus.removeAllListeners();
  }

  /** Number of live keys (for tests and the benchmark). */
  size(): number {
    this.sweep();
    return this.data.size;
  }

  private live(key: string): Entry | undefined {
    const entry = this.data.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.data.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.data) if (entry.expiresAt <= now) this.data.delete(key);
  }
}
