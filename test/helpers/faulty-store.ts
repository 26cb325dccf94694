/**
 * Fault injection at the store port: a real store (Redis) whose next call of a chosen method
 * fails the way a store outage does. Used to check that a failure at any step of handing an
 * answer on loses nothing.
 */
import { ParleyError } from '../../src/errors.js';
import type { RateLimiter, RateLimitOptions, Store, TakeMark } from '../../src/store/index.js';

type Method = Exclude<keyof Store, 'close' | 'rateLimiter'>;

export class FaultyStore implements Store {
  private readonly faults = new Map<Method, { times: number; key?: (key: string) => boolean }>();
  private readonly deaf = new Map<string, number>();
  private readonly lostReplies = new Map<Method, number>();
  private readonly holds: Array<{ prefix: string; reached: () => void; until: Promise<void> }> = [];
  constructor(private readonly inner: Store) {}

  /**
   * The next `set` of a key starting with `prefix` waits, before it reaches the store, until
   * `release` is called: a slow write, so a test can let another process act in between.
   * `reached` resolves once that write has started waiting.
   */
  holdNextSet(prefix: string): { reached: Promise<void>; release: () => void } {
    let reached = () => {};
    let release = () => {};
    const arrived = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const until = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holds.push({ prefix, reached, until });
    return { reached: arrived, release };
  }

  /**
   * The next `times` calls of `method` fail with `store_unavailable`; with `key`, only calls on a
   * key it accepts (so a write made meanwhile by other work, a heartbeat or the tail of the last
   * step, does not take the failure meant for the one under test).
   */
  failNext(method: Method, times = 1, key?: (key: string) => boolean): void {
    this.faults.set(method, key ? { times, key } : { times });
  }

  /** How many of the failures {@link failNext} asked for `method` have not happened yet. */
  faultsLeft(method: Method): number {
    return this.faults.get(method)?.times ?? 0;
  }

  /**
   * The next `times` calls of `method` take effect in Redis, but their reply is lost: they fail
   * as a command does when its master dies, or its connection drops, right after executing it.
   */
  loseReplyNext(method: Method, times = 1): void {
    this.lostReplies.set(method, times);
  }

  private async replyLost<T>(method: Method, reply: T): Promise<T> {
    const left = this.lostReplies.get(method) ?? 0;
    if (left <= 0) return reply;
    this.lostReplies.set(method, left - 1);
    throw new ParleyError(
      'store_unavailable',
      'Parley’s storage is unavailable right now. Please try again in a moment.',
    );
  }

  private check(method: Method, key?: string): void {
    const fault = this.faults.get(method);
    if (!fault || fault.times <= 0) return;
    if (fault.key && (key === undefined || !fault.key(key))) return;
    fault.times -= 1;
    throw new ParleyError(
      'store_unavailable',
      'Parley’s storage is unavailable right now. Please try again in a moment.',
    );
  }

  async get(key: string) {
    this.check('get', key);
    return this.inner.get(key);
  }
  async set(key: string, value: string, ttlMs: number) {
    this.check('set', key);
    const held = this.holds.findIndex((h) => key.startsWith(h.prefix));
    if (held >= 0) {
      const [hold] = this.holds.splice(held, 1);
      hold?.reached();
      await hold?.until;
    }
    return this.inner.set(key, value, ttlMs);
  }
  async setIfAbsent(key: string, value: string, ttlMs: number) {
    this.check('setIfAbsent', key);
    return this.replyLost('setIfAbsent', await this.inner.setIfAbsent(key, value, ttlMs));
  }
  async take(key: string) {
    this.check('take', key);
    return this.replyLost('take', await this.inner.take(key));
  }
  async takeTogether(take: string[], mark?: TakeMark) {
    this.check('takeTogether');
    return this.replyLost('takeTogether', await this.inner.takeTogether(take, mark));
  }
  async deleteIfEquals(key: string, value: string) {
    this.check('deleteIfEquals', key);
    return this.inner.deleteIfEquals(key, value);
  }
  async append(key: string, items: string[], maxLen: number, ttlMs: number) {
    this.check('append', key);
    return this.inner.append(key, items, maxLen, ttlMs);
  }
  async range(key: string) {
    this.check('range', key);
    return this.inner.range(key);
  }
  async delete(key: string) {
    this.check('delete', key);
    return this.inner.delete(key);
  }
  async publish(channel: string, message: string) {
    this.check('publish');
    return this.inner.publish(channel, message);
  }
  async subscribe(channel: string, onMessage: (m: string) => void) {
    this.check('subscribe');
    return this.inner.subscribe(channel, (message) => {
      const left = this.deaf.get(channel) ?? 0;
      if (left > 0) this.deaf.set(channel, left - 1);
      else onMessage(message);
    });
  }

  /**
   * The next `times` messages on `channel` are lost on the way to this store's subscriber, as
   * they are while a subscription is being moved (a Redis Cluster failover).
   */
  missNext(channel: string, times = 1): void {
    this.deaf.set(channel, times);
  }
  rateLimiter(options: RateLimitOptions): RateLimiter {
    return this.inner.rateLimiter(options);
  }
  async ping() {
    this.check('ping');
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}
