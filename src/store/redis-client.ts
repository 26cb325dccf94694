/**
 * Builds the ioredis client for a Redis topology (one node, Cluster, Sentinel) and checks the
 * server version. Kept apart from the store's operations so the topology choices (timeouts,
 * failover, TLS) read in one place.
 */
import type { ConnectionOptions } from 'node:tls';
import { Cluster, type ClusterOptions, Redis, type RedisOptions, type Result } from 'ioredis';
import { ParleyError } from '../errors.js';
import type { StoreConfig } from './config.js';

export type RedisTopology = Exclude<StoreConfig, { kind: 'memory' }>;
export type RedisClient = Redis | Cluster;

/** GETDEL (the store's `take`) arrived in Redis 6.2. */
export const MINIMUM_REDIS_VERSION = '6.2.0';

/** Lua scripts, registered on every client with `defineCommand` (EVALSHA, one key each). */
const SCRIPTS = {
  // Compare-and-delete: a lease is let go only by the holder whose token it still is.
  parleyDeleteIfEquals: {
    numberOfKeys: 1,
    lua: "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
  },
  // Append + bound + refresh the TTL in one step: two writers never lose each other's items.
  parleyAppend: {
    numberOfKeys: 1,
    lua: [
      "local n = redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))",
      "redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)",
      "redis.call('PEXPIRE', KEYS[1], ARGV[2])",
      'return n',
    ].join('\n'),
  },
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    parleyDeleteIfEquals(key: string, value: string): Result<number, Context>;
    /** ARGV: maxLen, ttlMs, ...items. */
    parleyAppend(key: string, maxLen: number, ttlMs: number, ...items: string[]): Result<number, Context>;
  }
}

/** How often a cluster client re-reads the slot map (ms), so subscriptions follow any switch. */
export const SLOTS_REFRESH_MS = 2_000;

export interface ClientTuning {
  maxReconnectDelayMs: number;
}

/**
 * One client for the topology. Commands fail fast (one retry, 2 s) so a person hears "storage is
 * unavailable" at once; the client reconnects by itself, following failovers: Sentinel tells it
 * the new master, Cluster's MOVED/slot refresh the new slot owner.
 */
export function createRedisClient(topology: RedisTopology, tuning: ClientTuning): RedisClient {
  const retryStrategy = (times: number) => Math.min(50 * 2 ** times, tuning.maxReconnectDelayMs);
  const tls: ConnectionOptions | undefined = topology.tls
    ? { ...(topology.tlsCa !== undefined && { ca: topology.tlsCa }) }
    : undefined;
  const common: RedisOptions = {
    // A command waits for at most one reconnect attempt (and 2 s) before failing: long enough to
    // ride out start-up and a blip, short enough that a person isn't left waiting on a dead Redis.
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    connectTimeout: 2_000,
    retryStrategy,
    // A write that lands on a demoted master (failover in progress) reconnects to the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    ...(topology.username !== undefined && { username: topology.username }),
    ...(topology.password !== undefined && { password: topology.password }),
    ...(tls && { tls }),
  };
  let client: RedisClient;
  switch (topology.kind) {
    case 'single':
      // Values in the URL (credentials, TLS by rediss://) win over the variables.
      client = new Redis(topology.url, {
        ...common,
        // Commands issued in the same tick share one write: under load this saves a syscall per
        // command, which the Slack benchmark showed as ~6% of Parley's CPU.
        enableAutoPipelining: true,
      });
      break;
    case 'sentinel':
      client = new Redis({
        ...common,
        enableAutoPipelining: true,
        sentinels: topology.sentinels,
        name: topology.name,
        role: 'master',
        // Subscribes to the sentinels' +switch-master, so a failover is followed at once rather
        // than at the next connection error.
        failoverDetector: true,
        sentinelRetryStrategy: retryStrategy,
        ...(topology.sentinelUsername !== undefined && { sentinelUsername: topology.sentinelUsername }),
        ...(topology.sentinelPassword !== undefined && { sentinelPassword: topology.sentinelPassword }),
        ...(tls && { sentinelTLS: tls, enableTLSForSentinelMode: true }),
      });
      break;
    case 'cluster': {
      const options: ClusterOptions = {
        redisOptions: common,
        enableAutoPipelining: true,
        // One subscriber connection per master for SSUBSCRIBE: delivery on a cluster uses sharded
        // pub/sub, which stays on the shard that owns the channel (Redis 7.0+).
        shardedSubscribers: true,
        // Re-reads the slot map every 2 s. ioredis re-places its sharded subscribers only when a
        // slot refresh shows a new owner, and nothing else triggers one after a coordinated
        // switch (CLUSTER FAILOVER, resharding): the demoted node just drops the subscription
        // (its SUNSUBSCRIBE push is ignored, ioredis PR #1988 is unmerged) and no command fails.
        // Without this, a process stops hearing relayed answers until its next MOVED, if any.
        slotsRefreshInterval: SLOTS_REFRESH_MS,
        // The cluster's own offline queue has no bound: with every node down, a command would wait
        // for ever. The store waits for readiness itself, for a bounded time (see RedisStore).
        enableOfflineQueue: false,
        clusterRetryStrategy: retryStrategy,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        ...(tls && { dnsLookup: (address, callback) => callback(null, address) }),
      };
      client = new Cluster(topology.nodes, options);
      break;
    }
  }
  for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
  return client;
}

/** `redis_version` from an `INFO server` reply; undefined when absent. */
export function redisVersionOf(info: string): string | undefined {
  return /^redis_version:([0-9][0-9.]*)/m.exec(info)?.[1];
}

/** True when dotted version `a` is at least `b` (numeric per part: 6.10 > 6.9). */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * Reads the version of every server the store writes to (each master on a cluster) and returns
 * a `store_unsupported` ParleyError for the first one older than `minimum`, undefined otherwise.
 * Sharded pub/sub needs Redis 7.0 on a cluster, so the bar is raised there.
 */
export async function checkServerVersion(
  client: RedisClient,
  minimum: string,
): Promise<ParleyError | undefined> {
  const isCluster = client instanceof Cluster;
  const servers = isCluster ? client.nodes('master') : [client];
  const floor = isCluster && !versionAtLeast(minimum, '7.0.0') ? '7.0.0' : minimum;
  for (const server of servers) {
    // A user whose ACL forbids INFO can't be checked; its first GETDEL tells the truth instead.
    const info = await server.info('server').catch((err: unknown) => {
      if (err instanceof Error && err.message.startsWith('NOPERM')) return '';
      throw err;
    });
    const version = redisVersionOf(info);
    if (version && !versionAtLeast(version, floor)) {
      const where = isCluster ? 'Redis Cluster' : 'Redis';
      return new ParleyError(
        'store_unsupported',
        `Parley needs ${where} ${floor} or newer, but the server runs ${version}.`,
        {
          detail: `${where} ${version} at ${server.options.host}:${server.options.port} is older than ${floor}`,
        },
      );
    }
  }
  return undefined;
}
