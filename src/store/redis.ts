/**
 * Redis store (ioredis). Commands fail fast while Redis is unreachable, so a
 * user gets "storage is unavailable" at once instead of a hung turn; ioredis keeps reconnecting
 * in the background and the store recovers by itself when Redis returns.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

export interface RedisStoreOptions {
  url: string;
  /** Prepended to every key and channel, so several deployments (or test runs) share one Redis. */
  prefix?: string;
  logger?: Logger;
  /** Upper bound on reconnect back-off. */
  maxReconnectDelayMs?: number;
}

const UNAVAILABLE = 'Storage is unavailable right now, so I can’t do that. Please try again in a moment.';

/** See Store.takeTogether: KEYS = the taken keys (+ the mark's), ARGV = count, value, ttl, has-mark. */
const TAKE_TOGETHER = `
local n = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local out = {}
for i = 1, n do
  local v = redis.call('GET', KEYS[i])
  if v then out[#out + 1] = 1; out[#out + 1] = v else out[#out + 1] = 0; out[#out + 1] = '' end
  redis.call('DEL', KEYS[i])
end
if ARGV[4] == '1' then redis.call('SET', KEYS[n + 1], ARGV[2], 'PX', ARGV[3]) end
return out
`;

export class RedisStore implements Store {
  private readonly client: Redis;
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();
  private readonly prefix: string;
  private readonly logger: Logger | undefined;
  private readonly options: RedisOptions;
  private lastErrorLog = 0;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'parley:';
    this.logger = options.logger;
    const maxDelay = options.maxReconnectDelayMs ?? 2_000;
    this.options = {
      // A command waits for at most one reconnect attempt (and 2 s) before failing: long enough to
      // ride out start-up and a blip, short enough that a person isn't left waiting on a dead Redis.
      maxRetriesPerRequest: 1,
      commandTimeout: 2_000,
      connectTimeout: 2_000,
      // Commands issued in the same tick share one write: under load (many people at once) this
      // saves a syscall per command, which the Slack benchmark showed as ~6% of Parley's CPU.
      enableAutoPipelining: true,
      retryStrategy: (times) => Math.min(50 * 2 ** times, maxDelay),
    };
    this.client = this.connect(options.url, 'commands');
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run(() => this.client.get(this.k(key)));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run(() => this.client.set(this.k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const result = await this.run(() =>
      this.client.set(this.k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'),
    );
    return result === 'OK';
  }

  async take(key: string): Promise<string | undefined> {
    const value = await this.run(() => this.client.getdel(this.k(key)));
    return value ?? undefined;
  }

  async takeTogether(
    take: string[],
    mark?: { key: string; value: string; ttlMs: number },
  ): Promise<Array<string | undefined> | undefined> {
    const keys = [...take, ...(mark ? [mark.key] : [])].map((k) => this.k(k));
    const args = [
      String(take.length),
      mark?.value ?? '',
      String(Math.max(1, Math.ceil(mark?.ttlMs ?? 1))),
      mark ? '1' : '',
    ];
    const result = (await this.run(() =>
      this.client.eval(TAKE_TOGETHER, keys.length, ...keys, ...args),
    )) as Array<string | number> | null;
    if (!result) return undefined;
    // Pairs: 1 and the value for a key that was there, 0 and '' for one that wasn't.
    const out: Array<string | undefined> = [];
    for (let i = 0; i < result.length; i += 2) out.push(result[i] === 1 ? String(result[i + 1]) : undefined);
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.run(() => this.client.del(this.k(key)));
  }

  async publish(channel: string, message: string): Promise<number> {
    return this.run(() => this.client.publish(this.k(channel), message));
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    const full = this.k(channel);
    const sub = this.subscriberConnection();
    let set = this.handlers.get(full);
    if (!set) {
      set = new Set();
      this.handlers.set(full, set);
      await this.run(() => sub.subscribe(full));
    }
    set.add(onMessage);
    return async () => {
      const current = this.handlers.get(full);
      current?.delete(onMessage);
      if (current && current.size === 0) {
        this.handlers.delete(full);
        await sub.unsubscribe(full).catch(() => undefined);
      }
    };
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
  }

  async close(): Promise<void> {
    this.client.disconnect();
    this.subscriber?.disconnect();
  }

  private k(key: string): string {
    return `${this.prefix}${key}`;
  }

  private connect(url: string, role: string): Redis {
    const client = new Redis(url, this.options);
    client.on('error', (err: Error) => {
      // Reconnect attempts fail in a tight loop while Redis is down: log at most every 10 s.
      const now = Date.now();
      if (now - this.lastErrorLog > 10_000) {
        this.lastErrorLog = now;
        this.logger?.warn({ role, err: err.message }, 'Redis connection error');
      }
    });
    return client;
  }

  private subscriberConnection(): Redis {
    if (!this.subscriber) {
      // Subscriptions must survive reconnects, so this connection keeps its offline queue.
      const sub = this.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      sub.on('error', () => undefined);
      sub.on('message', (channel: string, message: string) => {
        for (const handler of this.handlers.get(channel) ?? []) {
          try {
            handler(message);
          } catch (err) {
            this.logger?.error({ err }, 'store subscriber failed');
          }
        }
      });
      this.subscriber = sub;
    }
    return this.subscriber;
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new ParleyError('store_unavailable', UNAVAILABLE, {
        cause: err,
        detail: `Redis: ${String(err)}`,
      });
    }
  }
}
