/**
 * Redis store (ioredis) on one node, Redis Cluster or a Sentinel-managed primary. Commands fail
 * fast while Redis is unreachable, so a user gets "storage is unavailable" at once instead of a
 * hung turn; ioredis keeps reconnecting in the background (following failovers) and the store
 * recovers by itself when Redis returns.
 *
 * Cluster safety: every operation here touches one key, and each script takes exactly one key,
 * so nothing can span two slots. Pub/sub is sharded (SPUBLISH/SSUBSCRIBE) on a cluster, so a
 * message travels only within the shard owning its channel instead of across the whole bus.
 */
import { Cluster } from 'ioredis';
import { ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type RateLimiter, type RateLimitOptions, redisRateLimiter } from './limiter.js';
import {
  checkServerVersion,
  createRedisClient,
  MINIMUM_REDIS_VERSION,
  type RedisClient,
  type RedisTopology,
} from './redis-client.js';
import type { Store, TakeMark } from './store.js';

export interface RedisStoreOptions {
  /** One Redis node (shorthand for `topology: { kind: 'single', url }`). */
  url?: string;
  /** Cluster or Sentinel (or one node with credentials); see `parseStoreEnv`. */
  topology?: RedisTopology;
  /** Prepended to every key and channel, so several deployments (or test runs) share one Redis. */
  prefix?: string;
  logger?: Logger;
  /** Upper bound on reconnect back-off. */
  maxReconnectDelayMs?: number;
  /** Oldest server accepted; {@link MINIMUM_REDIS_VERSION} unless a test raises it. */
  minimumVersion?: string;
}

/** As long as one command may take (`commandTimeout`): a person waits no longer on a cluster. */
const READY_WAIT_MS = 2_000;

/** Slot-map re-reads after a sharded-subscriber error: this far apart (ms), this many. */
const REFRESH_GAP_MS = 250;
const REFRESH_BURST = 4;

const UNAVAILABLE = 'Storage is unavailable right now, so I can’t do that. Please try again in a moment.';

/**
 * See Store.takeTogether. KEYS = the n taken keys, the mark's key, then (with keep) n keep keys;
 * ARGV = n, mark value, mark ttl, has-mark, has-keep, keep ttl.
 */
const TAKE_TOGETHER = `
local n = tonumber(ARGV[1])
local keep = ARGV[5] == '1'
if redis.call('EXISTS', KEYS[1]) == 0 then
  if not (keep and redis.call('GET', KEYS[n + 1]) == ARGV[2]) then return false end
  local kept = {}
  for i = 1, n do
    local v = redis.call('GET', KEYS[n + 1 + i])
    if v then kept[#kept + 1] = 1; kept[#kept + 1] = v else kept[#kept + 1] = 0; kept[#kept + 1] = '' end
  end
  return kept
end
local out = {}
for i = 1, n do
  local v = redis.call('GET', KEYS[i])
  if v then
    out[#out + 1] = 1; out[#out + 1] = v
    if keep then redis.call('SET', KEYS[n + 1 + i], v, 'PX', ARGV[6]) end
  else
    out[#out + 1] = 0; out[#out + 1] = ''
    if keep then redis.call('DEL', KEYS[n + 1 + i]) end
  end
  redis.call('DEL', KEYS[i])
end
if ARGV[4] == '1' then redis.call('SET', KEYS[n + 1], ARGV[2], 'PX', ARGV[3]) end
return out
`;

export class RedisStore implements Store {
  private readonly client: RedisClient;
  private readonly sharded: boolean;
  private subscriber: RedisClient | undefined;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();
  private readonly prefix: string;
  private readonly logger: Logger | undefined;
  private readonly minimumVersion: string;
  /** Set when the server is too old: every operation then fails with this sentence. */
  private unsupported: ParleyError | undefined;
  private lastErrorLog = 0;
  /** Slot-map re-reads after a subscriber error: the next one, when the last ran, how many left. */
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  private refreshesLeft = 0;
  /** The wait for a reconnecting cluster client that every command arriving meanwhile joins. */
  private readyWait: Promise<void> | undefined;

  constructor(options: RedisStoreOptions) {
    const topology: RedisTopology | undefined =
      options.topology ??
      (options.url !== undefined ? { kind: 'single', url: options.url, prefix: '', tls: false } : undefined);
    if (!topology) throw new Error('RedisStore needs a url or a topology');
    this.prefix = options.prefix ?? (options.topology ? topology.prefix : 'parley:');
    this.logger = options.logger;
    this.minimumVersion = options.minimumVersion ?? MINIMUM_REDIS_VERSION;
    this.client = createRedisClient(topology, { maxReconnectDelayMs: options.maxReconnectDelayMs ?? 2_000 });
    this.sharded = this.client instanceof Cluster;
    this.watch(this.client, 'commands');
    // Every (re)connection may reach another server (a failover, a restart on an older image).
    this.client.on('ready', () => {
      void this.checkVersion().catch(() => undefined);
    });
  }

  rateLimiter(options: RateLimitOptions): RateLimiter {
    return redisRateLimiter(this.client, this.prefix, options, (op) => this.run(op));
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run(() => this.client.get(this.k(key)));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run(() => this.client.set(this.k(key), value, 'PX', ms(ttlMs)));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const result = await this.run(() => this.client.set(this.k(key), value, 'PX', ms(ttlMs), 'NX'));
    return result === 'OK';
  }

  async take(key: string): Promise<string | undefined> {
    const value = await this.run(() => this.client.getdel(this.k(key)));
    return value ?? undefined;
  }

  async takeTogether(take: string[], mark?: TakeMark): Promise<Array<string | undefined> | undefined> {
    const keep = mark?.keep;
    if (keep && keep.keys.length !== take.length)
      throw new Error('takeTogether: keep needs one key per taken key');
    // Without a mark the mark's KEYS slot still exists (an unused key of the same slot).
    const keys = [...take, mark?.key ?? take[0] ?? '', ...(keep?.keys ?? [])].map((k) => this.k(k));
    const args = [
      String(take.length),
      mark?.value ?? '',
      String(Math.max(1, Math.ceil(mark?.ttlMs ?? 1))),
      mark ? '1' : '',
      keep ? '1' : '',
      String(Math.max(1, Math.ceil(keep?.ttlMs ?? 1))),
    ];
    // EVAL, not a command defined once (EVALSHA): ioredis' auto-pipelining on a Cluster files a
    // defined command with a variable number of keys under the wrong slot, and refuses the batch.
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

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    return (await this.run(() => this.client.parleyDeleteIfEquals(this.k(key), value))) === 1;
  }

  async append(key: string, items: string[], maxLen: number, ttlMs: number): Promise<void> {
    if (items.length === 0) return;
    const bound = Math.max(1, Math.floor(maxLen));
    await this.run(() => this.client.parleyAppend(this.k(key), bound, ms(ttlMs), ...items));
  }

  async range(key: string): Promise<string[]> {
    return this.run(() => this.client.lrange(this.k(key), 0, -1));
  }

  async publish(channel: string, message: string): Promise<number> {
    const full = this.k(channel);
    return this.run(async () =>
      this.sharded ? Number(await this.client.spublish(full, message)) : this.client.publish(full, message),
    );
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    const full = this.k(channel);
    const sub = this.subscriberConnection();
    let set = this.handlers.get(full);
    if (!set) {
      set = new Set();
      this.handlers.set(full, set);
      try {
        await this.run(() => (this.sharded ? sub.ssubscribe(full) : sub.subscribe(full)));
      } catch (err) {
        this.handlers.delete(full);
        throw err;
      }
    }
    set.add(onMessage);
    return async () => {
      const current = this.handlers.get(full);
      current?.delete(onMessage);
      if (current && current.size === 0) {
        this.handlers.delete(full);
        await (this.sharded ? sub.sunsubscribe(full) : sub.unsubscribe(full)).catch(() => undefined);
      }
    };
  }

  /** Throws `store_unavailable` when Redis can't be reached, `store_unsupported` when it is too old. */
  async ping(): Promise<void> {
    try {
      await this.clusterReady();
      await this.client.ping();
      // Checked again here, not only on connect: an upgraded server is accepted without a restart.
      await this.checkVersion();
    } catch (err) {
      throw unavailable(err);
    }
    if (this.unsupported) throw this.unsupported;
  }

  async close(): Promise<void> {
    clearTimeout(this.refreshTimer);
    this.client.disconnect();
    if (this.subscriber !== this.client) this.subscriber?.disconnect();
  }

  /**
   * Waits up to {@link READY_WAIT_MS} for a cluster client that is (re)connecting: at start-up
   * and after losing the cluster it accepts no commands (no offline queue), so nothing queued
   * runs late after the caller was told it failed. Every command waiting for one reconnect shares
   * one wait (one `ready` listener, one timer), however many there are; one that joins late gets
   * what is left of it.
   */
  private clusterReady(): Promise<void> {
    const client = this.client;
    if (!(client instanceof Cluster) || client.status === 'ready') return Promise.resolve();
    if (client.status === 'end') return Promise.reject(new Error('the cluster client is closed'));
    this.readyWait ??= new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', done);
        this.readyWait = undefined;
        resolve();
      };
      const timer = setTimeout(() => {
        client.off('ready', done);
        this.readyWait = undefined;
        reject(new Error(`Redis Cluster not ready within ${READY_WAIT_MS} ms (status ${client.status})`));
      }, READY_WAIT_MS);
      client.on('ready', done);
    });
    return this.readyWait;
  }

  private k(key: string): string {
    return `${this.prefix}${key}`;
  }

  private async checkVersion(): Promise<void> {
    const problem = await checkServerVersion(this.client, this.minimumVersion);
    if (problem && !this.unsupported) this.logger?.error({ detail: problem.message }, problem.userMessage);
    this.unsupported = problem;
  }

  private watch(client: RedisClient, role: string): void {
    client.on('error', (err: Error) => {
      // Reconnect attempts fail in a tight loop while Redis is down: log at most every 10 s.
      const now = Date.now();
      if (now - this.lastErrorLog > 10_000) {
        this.lastErrorLog = now;
        this.logger?.warn({ role, err: err.message }, 'Redis connection error');
      }
    });
  }

  private subscriberConnection(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const dispatch = (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch (err) {
          this.logger?.error({ err }, 'store subscriber failed');
        }
      }
    };
    if (this.client instanceof Cluster) {
      // The cluster client keeps its sharded subscribers on connections of their own (one per
      // master) and moves them when slots move, so commands and subscriptions share this client.
      this.client.on('smessage', dispatch);
      // An error on a sharded subscriber connection (ioredis's `nodeError`) — a refused or lost
      // connection, or the SUNSUBSCRIBE a master pushes when a failover or resharding takes its
      // slots away — means the slot map may have moved: re-read it now, so the subscriptions
      // move with it at once rather than at the next periodic refresh (see SLOTS_REFRESH_MS).
      const cluster = this.client;
      cluster.on('nodeError', () => this.refreshSlots(cluster));
      this.subscriber = this.client;
    } else {
      // Subscriptions must survive reconnects, so this connection keeps its offline queue.
      const sub = this.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      sub.on('error', () => undefined);
      sub.on('message', dispatch);
      this.subscriber = sub;
    }
    return this.subscriber;
  }

  /**
   * After a sharded-subscriber error, re-reads the cluster's slot map every
   * {@link REFRESH_GAP_MS}, {@link REFRESH_BURST} times: the node asked may not know of the switch
   * yet, and ioredis moves the subscriptions only once a re-read shows the new owner. Each error
   * re-arms the burst; while a master is down its subscriber fails hundreds of times a second,
   * and this still asks for one re-read per gap.
   */
  private refreshSlots(cluster: Cluster): void {
    this.refreshesLeft = REFRESH_BURST;
    if (!this.refreshTimer) this.nextRefresh(cluster);
  }

  private nextRefresh(cluster: Cluster): void {
    const wait = Math.max(0, this.lastRefresh + REFRESH_GAP_MS - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.lastRefresh = Date.now();
      cluster.refreshSlotsCache();
      if (--this.refreshesLeft > 0) this.nextRefresh(cluster);
    }, wait).unref();
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    if (this.unsupported) throw this.unsupported;
    try {
      await this.clusterReady();
      return await op();
    } catch (err) {
      throw unavailable(err);
    }
  }
}

function unavailable(err: unknown): ParleyError {
  return new ParleyError('store_unavailable', UNAVAILABLE, { cause: err, detail: `Redis: ${String(err)}` });
}

/** Redis wants a positive whole number of milliseconds. */
const ms = (ttlMs: number): number => Math.max(1, Math.ceil(ttlMs));
