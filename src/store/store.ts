/**
 * The store port: all durable state (sessions, pending interactions, paused turns, dedupe marks,
 * leases) goes through it, so several Parley processes can share one Redis. Values are strings
 * (callers keep JSON); every write carries a TTL so nothing grows without bound.
 *
 * Every operation touches exactly one key, so it is atomic on Redis Cluster too. A future
 * operation that must touch several keys at once (a script, MULTI) works on a cluster only if
 * those keys share a hash tag: `turn:{abc}` and `pending:{abc}` land in one slot, `turn:abc` and
 * `pending:abc` may not (Redis Cluster spec, "Hash tags").
 */
import type { RateLimiter, RateLimitOptions } from './limiter.js';

export type { RateLimiter, RateLimitOptions, RateLimitVerdict } from './limiter.js';

/** The mark {@link Store.takeTogether} writes (and, with `keep`, where the taken values stay). */
export interface TakeMark {
  key: string;
  value: string;
  ttlMs: number;
  keep?: { keys: string[]; ttlMs: number };
}

export interface Store {
  get(key: string): Promise<string | undefined>;
  /** Writes `value` for `ttlMs` milliseconds. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Writes only when the key is absent; true when this call wrote it (dedupe marks, leases). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Reads and deletes in one atomic step: of two concurrent callers, only one gets the value. */
  take(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Compare-and-delete in one atomic step: deletes `key` only while it holds exactly `value`;
   * true when this call deleted it. Releases a lease without removing one that expired and was
   * taken by someone else meanwhile.
   */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /**
   * Appends `items` to the list at `key`, keeps only its newest `maxLen` items and sets the
   * list's TTL to `ttlMs` — one atomic step, so concurrent appends never lose each other's items
   * and a single call's items stay adjacent and in order. A list key is not a string key:
   * `get`/`take` on it fail.
   */
  append(key: string, items: string[], maxLen: number, ttlMs: number): Promise<void>;
  /** The whole list at `key`, oldest first; `[]` when absent. */
  range(key: string): Promise<string[]>;
  /**
   * Sends to every process subscribed to `channel` (at most once, no persistence: a process
   * that is not subscribed at that moment never sees it). Resolves with a receiver count that is
   * a hint only: on Redis Cluster it counts the subscribers of one node, and anywhere it counts
   * a process that is frozen or about to die. Callers must not infer delivery from it; confirm
   * receipt with an explicit acknowledgement instead.
   */
  publish(channel: string, message: string): Promise<number>;
  /** Resolves once the subscription is active; the returned function ends it. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
  /**
   * One atomic step over several keys: when `take[0]` exists, reads and deletes every key of
   * `take` and writes `mark`; when it doesn't, changes nothing. Resolves with the values taken
   * (undefined for a key that was absent), or `undefined` when `take[0]` was absent. On a Redis
   * Cluster every key must carry the same hash tag (`…{tag}…`) so they share a slot.
   *
   * With `mark.keep` (one key per key of `take`, same hash tag), each value taken is also kept
   * under its `keep` key for `keep.ttlMs`, and the call becomes repeatable: repeated with the same
   * `mark.value` once `take[0]` is gone, while `mark.key` still holds exactly that value, it
   * resolves with the kept values instead of `undefined` and changes nothing. That is how a caller
   * whose reply was lost (a connection cut, a failover after the script ran) learns that it did
   * take the values, and gets them; `mark.value` must therefore be unique to one caller (carry a
   * fresh token), and a caller repeats the call only when it never heard the first reply.
   */
  takeTogether(take: string[], mark?: TakeMark): Promise<Array<string | undefined> | undefined>;
  /**
   * A rate limiter whose counters live where this store keeps its state (shared by every process
   * on the same Redis; this process only for the in-memory store). Builds no connection: it uses
   * the store's own client. Its operations fail with `store_unavailable` like the store's.
   */
  rateLimiter(options: RateLimitOptions): RateLimiter;
  /** Throws a `store_unavailable` ParleyError when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** JSON helpers over a Store; a corrupt value reads as absent rather than crashing a turn. */
export async function getJson<T>(store: Store, key: string): Promise<T | undefined> {
  return parseJson<T>(await store.get(key));
}

export async function takeJson<T>(store: Store, key: string): Promise<T | undefined> {
  return parseJson<T>(await store.take(key));
}

export function setJson(store: Store, key: string, value: unknown, ttlMs: number): Promise<void> {
  return store.set(key, JSON.stringify(value), ttlMs);
}

function parseJson<T>(raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}
