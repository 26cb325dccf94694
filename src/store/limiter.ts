/**
 * Rate limiting on the store, with `rate-limiter-flexible` (fixed windows, one key per counter):
 * in memory for the in-memory store, in Redis for the Redis store, so every process sharing the
 * Redis counts against the same budget. Each counter is one key touched by one script or a
 * MULTI on that key alone, so it is safe on Redis Cluster too.
 */
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { RedisClient } from './redis-client.js';

export interface RateLimitOptions {
  /** Names the counter family (part of every key): `person`, `workspace`, `tokens`. */
  name: string;
  /** Points allowed per window (≥ 1). */
  points: number;
  /** The window, in seconds. */
  durationSeconds: number;
}

/** Allowed, or refused until `retryAfterMs` milliseconds from now. */
export type RateLimitVerdict = { ok: true } | { ok: false; retryAfterMs: number };

/** One family of counters, keyed by whoever is counted (a person's identity, a workspace). */
export interface RateLimiter {
  /** Takes `points` (default 1) from `key`'s window; refused, and nothing taken, when it would go over. */
  consume(key: string, points?: number): Promise<RateLimitVerdict>;
  /** Counts `points` already spent (tokens a reply used), never refusing; later `consume`/`check` see them. */
  charge(key: string, points: number): Promise<void>;
  /** Refused when `key` has used its whole window already; takes nothing. */
  check(key: string): Promise<RateLimitVerdict>;
}

/** Runs one store round trip, turning a failure into the store's own error (`store_unavailable`). */
type Run = <T>(op: () => Promise<T>) => Promise<T>;

class FlexibleLimiter implements RateLimiter {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly points: number,
    private readonly run: Run,
  ) {}

  async consume(key: string, points = 1): Promise<RateLimitVerdict> {
    // A refusal resolves inside `run`, so only a real store failure becomes `store_unavailable`.
    return this.run(() =>
      this.limiter.consume(key, points).then((): RateLimitVerdict => ({ ok: true }), refusalOrThrow),
    );
  }

  async charge(key: string, points: number): Promise<void> {
    if (points <= 0) return;
    await this.run(() => this.limiter.penalty(key, Math.ceil(points)));
  }

  async check(key: string): Promise<RateLimitVerdict> {
    const res = await this.run(() => this.limiter.get(key));
    if (!res || res.consumedPoints < this.points) return { ok: true };
    return { ok: false, retryAfterMs: Math.max(0, res.msBeforeNext) };
  }
}

/** rate-limiter-flexible rejects with a RateLimiterRes when over the limit, an Error otherwise. */
function refusalOrThrow(err: unknown): RateLimitVerdict {
  if (err instanceof RateLimiterRes) return { ok: false, retryAfterMs: Math.max(0, err.msBeforeNext) };
  throw err;
}

/** A limiter kept in this process's memory (the in-memory store: one process only). */
export function memoryRateLimiter(options: RateLimitOptions): RateLimiter {
  const limiter = new RateLimiterMemory({
    keyPrefix: options.name,
    points: options.points,
    duration: options.durationSeconds,
  });
  return new FlexibleLimiter(limiter, options.points, (op) => op());
}

/**
 * A limiter on the store's Redis client (one node, Sentinel or Cluster): keys are
 * `<prefix>rl:<name>:<key>`, each expiring with its window.
 */
export function redisRateLimiter(
  client: RedisClient,
  prefix: string,
  options: RateLimitOptions,
  run: Run,
): RateLimiter {
  const limiter = new RateLimiterRedis({
    storeClient: client,
    keyPrefix: `${prefix}rl:${options.name}`,
    points: options.points,
    duration: options.durationSeconds,
  });
  return new FlexibleLimiter(limiter, options.points, run);
}
