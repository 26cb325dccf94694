/**
 * A person's tokens held in process (issue 12 §4), so a signed-in server's requests don't each
 * read and decrypt them from the store. An entry is served only while its access token is far
 * from expiry — it stops before the provider's refresh margin, so a refresh always starts from
 * the store — and for at most {@link TOKEN_CACHE_MAX_MS}. Every write or delete of tokens, in any
 * process, is announced on the store's pub/sub (`oauth:tokens-changed`, carrying the key's
 * SHA-256, never the identity or a token) and every process drops its copy at once. Nothing is
 * cached until the subscription is live, and the lifetime cap bounds what a missed message costs.
 */
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { digest, randomToken } from './crypto.js';
import type { StoredTokens } from './vault.js';

export const TOKEN_CHANNEL = 'oauth:tokens-changed';
/** Longest an entry is served without a store read (ms): the backstop for a lost message. */
export const TOKEN_CACHE_MAX_MS = 60_000;
/** An entry stops this long (or half the token's lifetime, if more) before the token expires (ms). */
const EXPIRY_MARGIN_MS = 60_000;

interface Entry {
  value: StoredTokens;
  until: number;
}

export class TokenCache {
  /** By the SHA-256 of the vault key, as invalidations name them. */
  private readonly entries = new Map<string, Entry>();
  private readonly origin = randomToken(9);
  private live = false;
  /** Invalidations heard so far: a read that raced one is not kept. */
  private heardCount = 0;
  /** Resolves once invalidations from other processes are heard (caching starts then). */
  readonly ready: Promise<void>;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    private readonly logger?: Logger,
  ) {
    this.ready = store
      .subscribe(TOKEN_CHANNEL, (message) => this.heard(message))
      .then(() => {
        this.live = true;
      })
      .catch((err: unknown) => {
        // Without the channel a cached token could outlive a sign-out elsewhere: don't cache.
        this.logger?.warn({ err: String(err) }, 'token cache off: could not subscribe to invalidations');
      });
  }

  /** The cached tokens under a vault key, if still good to serve. */
  get(key: string): StoredTokens | undefined {
    const hit = this.entries.get(digest(key));
    if (!hit) return undefined;
    if (this.now() < hit.until) return hit.value;
    this.entries.delete(digest(key));
    return undefined;
  }

  /** A mark to take before a store read, for {@link keep}. */
  mark(): number {
    return this.heardCount;
  }

  /**
   * Keeps tokens just read (pass the {@link mark} taken before the read: if any change was heard
   * since, the read may be older than it, and is not kept) or written, unless close to expiry.
   */
  keep(key: string, value: StoredTokens, since?: number): void {
    if (!this.live || (since !== undefined && since !== this.heardCount)) return;
    const now = this.now();
    let until = now + TOKEN_CACHE_MAX_MS;
    const seconds = value.tokens.expires_in;
    if (seconds !== undefined) {
      const lifetime = seconds * 1000;
      until = Math.min(until, value.savedAt + lifetime - Math.max(EXPIRY_MARGIN_MS, lifetime / 2));
    }
    if (until > now) this.entries.set(digest(key), { value, until });
    else this.entries.delete(digest(key));
  }

  /** Forgets a key here only (e.g. before a refresh re-reads the store under its lease). */
  forget(key: string): void {
    this.entries.delete(digest(key));
  }

  /** The tokens under `key` were written or deleted here: every other process drops its copy. */
  async changed(key: string): Promise<void> {
    this.entries.delete(digest(key));
    try {
      await this.store.publish(TOKEN_CHANNEL, JSON.stringify({ from: this.origin, key: digest(key) }));
    } catch (err) {
      this.logger?.warn(
        { err: String(err) },
        'could not announce a token change; other processes see it within a minute',
      );
    }
  }

  private heard(message: string): void {
    let parsed: { from?: unknown; key?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    if (parsed.from === this.origin || typeof parsed.key !== 'string') return;
    this.heardCount += 1;
    this.entries.delete(parsed.key);
  }
}
