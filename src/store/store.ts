/**
 * The store port: all durable state (sessions, pending interactions, paused turns, dedupe marks,
 * leases) goes through it, so several Parley processes can share one Redis. Values are strings
 * (callers keep JSON); every write carries a TTL so nothing grows without bound.
 */
export interface Store {
  get(key: string): Promise<string | undefined>;
  /** Writes `value` for `ttlMs` milliseconds. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Writes only when the key is absent; true when this call wrote it (dedupe marks, leases). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Reads and deletes in one atomic step: of two concurrent callers, only one gets the value. */
  take(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
  /** Sends to every process subscribed to `channel`; resolves with how many received it. */
  publish(channel: string, message: string): Promise<number>;
  /** Resolves once the subscription is active; the returned function ends it. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
  /**
   * One atomic step over several keys: when `take[0]` exists, reads and deletes every key of
   * `take` and writes `mark`; when it doesn't, changes nothing. Resolves with the values taken
   * (undefined for a key that was absent), or `undefined` when `take[0]` was absent. On a Redis
   * Cluster every key must carry the same hash tag (`…{tag}…`) so they share a slot.
   */
  takeTogether(
    take: string[],
    mark?: { key: string; value: string; ttlMs: number },
  ): Promise<Array<string | undefined> | undefined>;
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
