/**
 * Sign-in state per (person, server) in the shared store, encrypted: the client registration,
 * tokens, discovery results and the sign-in in progress (PKCE verifier, `state`, who waits for
 * it). Any Parley process on the same store can finish a sign-in another one started.
 *
 * Keys name the person and server (`oauth:<identity>:<server>:<part>`), values are sealed with
 * that key as associated data. `state` is found through its SHA-256 only, so the store never holds
 * a usable `state` outside the sealed flow record.
 */
import type {
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import type { Conversation } from '../conversation.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { getJson, type Store, setJson, takeJson } from '../store/index.js';
import { digest, randomToken, type SecretBox } from './crypto.js';
import { TokenCache } from './token-cache.js';

/** How long credentials are kept without use; every refresh or sign-in writes them again. */
export const CREDENTIAL_TTL_MS = 90 * 24 * 3600_000;

export interface StoredTokens {
  tokens: StoredOAuthTokens;
  /** When they were saved: `expires_in` counts from about then. */
  savedAt: number;
}

/** Someone waiting for a sign-in: a paused turn or a `/login`, each with its pending link. */
export interface SignInWaiter {
  conversation: Conversation;
  interactionId: string;
}

/** A sign-in in progress. At most one per (person, server): a second request re-sends its link. */
export interface SignInFlow {
  state: string;
  verifier: string;
  /** The authorization URL the person opens. */
  url: string;
  scope?: string;
  clientId?: string;
  createdAt: number;
  expiresAt: number;
  waiters: SignInWaiter[];
  /** The link went out to the person at least once: the next request re-sends it. */
  sent?: boolean;
  /**
   * The id in the person's start link (`/oauth/start/<startId>`): the only link that leaves
   * Parley. Found through its SHA-256 like `state`.
   */
  startId: string;
  /**
   * SHA-256 of the binding cookie set in the browser that claimed the start link (once): the
   * callback refuses this flow from any browser without that cookie.
   */
  binding?: string;
}

/** What the `state` index points at. */
export interface StateIndex {
  identity: string;
  server: string;
}

type Part = 'client' | 'tokens' | 'discovery' | 'flow';

export class SignInVault {
  private warnedUnreadable = false;
  /** Tokens held in process between store reads, dropped on any process' change (pub/sub). */
  readonly tokenCache: TokenCache;

  constructor(
    readonly store: Store,
    private readonly box: SecretBox,
    private readonly logger?: Logger,
    now: () => number = Date.now,
  ) {
    this.tokenCache = new TokenCache(store, now, logger);
  }

  getClient(identity: string, server: string): Promise<StoredOAuthClientInformation | undefined> {
    return this.get(identity, server, 'client');
  }

  putClient(identity: string, server: string, info: StoredOAuthClientInformation): Promise<void> {
    return this.put(identity, server, 'client', info, CREDENTIAL_TTL_MS);
  }

  /** The person's tokens: from the in-process cache while they are far from expiry, else the store. */
  async getTokens(identity: string, server: string): Promise<StoredTokens | undefined> {
    const key = this.key(identity, server, 'tokens');
    const cached = this.tokenCache.get(key);
    if (cached) return cached;
    const mark = this.tokenCache.mark();
    const stored = await this.get<StoredTokens>(identity, server, 'tokens');
    if (stored) this.tokenCache.keep(key, stored, mark);
    return stored;
  }

  async putTokens(identity: string, server: string, tokens: StoredTokens): Promise<void> {
    const key = this.key(identity, server, 'tokens');
    await this.put(identity, server, 'tokens', tokens, CREDENTIAL_TTL_MS);
    await this.tokenCache.changed(key);
    this.tokenCache.keep(key, tokens);
  }

  getDiscovery(identity: string, server: string): Promise<OAuthDiscoveryState | undefined> {
    return this.get(identity, server, 'discovery');
  }

  putDiscovery(identity: string, server: string, state: OAuthDiscoveryState): Promise<void> {
    return this.put(identity, server, 'discovery', state, CREDENTIAL_TTL_MS);
  }

  /** The live sign-in, if it has not expired. */
  async getFlow(identity: string, server: string, now: number): Promise<SignInFlow | undefined> {
    const flow = await this.get<SignInFlow>(identity, server, 'flow');
    return flow && flow.expiresAt > now ? flow : undefined;
  }

  /** Writes the flow and its `state` index with the flow's remaining lifetime. */
  async putFlow(identity: string, server: string, flow: SignInFlow, now: number): Promise<void> {
    const ttl = Math.max(1, flow.expiresAt - now);
    await this.put(identity, server, 'flow', flow, ttl);
    await setJson(this.store, stateKey(flow.state), { identity, server } satisfies StateIndex, ttl);
    await setJson(this.store, startKey(flow.startId), { identity, server } satisfies StateIndex, ttl);
  }

  /** Who a start link belongs to, without consuming it (the consent page reads it first). */
  findStart(startId: string): Promise<StateIndex | undefined> {
    return getJson<StateIndex>(this.store, startKey(startId));
  }

  /**
   * Rewrites the flow record only (who waits, whether the link went out), never its `state` index:
   * that was written once with the flow and only ever disappears, so a `state` a callback has
   * already taken cannot become valid again through an update.
   */
  async updateFlow(identity: string, server: string, flow: SignInFlow, now: number): Promise<void> {
    await this.put(identity, server, 'flow', flow, Math.max(1, flow.expiresAt - now));
  }

  /** Ends a flow: its `state` stops working. */
  async dropFlow(identity: string, server: string, flow: SignInFlow | undefined): Promise<void> {
    await this.delete(identity, server, 'flow');
    if (flow) {
      await this.store.delete(stateKey(flow.state));
      await this.store.delete(startKey(flow.startId));
    }
  }

  /** Who a `state` belongs to, without consuming it (the callback checks the browser first). */
  findState(state: string): Promise<StateIndex | undefined> {
    return getJson<StateIndex>(this.store, stateKey(state));
  }

  /** Consumes a `state` once: of two callbacks with it, only one gets the index. */
  takeState(state: string): Promise<StateIndex | undefined> {
    return takeJson<StateIndex>(this.store, stateKey(state));
  }

  /** Marks a `state` as used, so a replay is told so rather than "unknown". */
  markStateUsed(state: string, outcome: string): Promise<void> {
    return this.store.set(`oauth:used:${digest(state)}`, outcome, 24 * 3600_000);
  }

  async stateUsed(state: string): Promise<string | undefined> {
    return this.store.get(`oauth:used:${digest(state)}`);
  }

  /**
   * A platform check under way (start.ts): which start link it is for, sealed under a key that
   * names only the SHA-256 of its `state`. Taken once.
   */
  async putVerification(state: string, startId: string, ttlMs: number): Promise<void> {
    const key = verifyKey(state);
    await this.store.set(key, this.box.seal(startId, key), ttlMs);
  }

  async takeVerification(state: string): Promise<string | undefined> {
    const key = verifyKey(state);
    const sealed = await this.store.take(key);
    return sealed === undefined ? undefined : this.box.open(sealed, key);
  }

  async delete(identity: string, server: string, part: Part): Promise<void> {
    const key = this.key(identity, server, part);
    await this.store.delete(key);
    // A sign-out (or a refused refresh) reaches every process' cache at once.
    if (part === 'tokens') await this.tokenCache.changed(key);
  }

  /**
   * A short exclusive lease for (person, server, purpose): a token refresh or a change to the
   * sign-in flow. Waits up to `waitMs` for another holder; undefined when it never came free.
   */
  async lease(
    identity: string,
    server: string,
    purpose: 'refresh' | 'flow',
    options: { ttlMs?: number; waitMs?: number } = {},
  ): Promise<(() => Promise<void>) | undefined> {
    const key = `oauth:${identity}:${server}:lease-${purpose}`;
    const ttlMs = options.ttlMs ?? 10_000;
    const deadline = Date.now() + (options.waitMs ?? 5_000);
    const mine = randomToken(12);
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      if (await this.store.setIfAbsent(key, mine, ttlMs)) {
        // Whoever refreshes reads the tokens again from the store, never from this process' copy.
        if (purpose === 'refresh') this.tokenCache.forget(this.key(identity, server, 'tokens'));
        return async () => {
          // Compare-and-delete in one step: a lease that expired and went to someone else stays theirs.
          await this.store.deleteIfEquals(key, mine);
        };
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private key(identity: string, server: string, part: Part): string {
    return `oauth:${identity}:${server}:${part}`;
  }

  private async get<T>(identity: string, server: string, part: Part): Promise<T | undefined> {
    const key = this.key(identity, server, part);
    const sealed = await this.store.get(key);
    if (sealed === undefined) return undefined;
    const opened = this.box.openDetailed(sealed, key);
    if (opened === undefined) {
      if (!this.warnedUnreadable) {
        this.warnedUnreadable = true;
        this.logger?.warn(
          { code: 'sealed_unreadable' },
          'stored sign-in data could not be decrypted (changed by someone, or was PARLEY_SECRET changed?); treating it as signed out',
        );
      }
      return undefined;
    }
    let value: T;
    try {
      value = JSON.parse(opened.plaintext) as T;
    } catch {
      return undefined;
    }
    // Sealed with PARLEY_SECRET_PREVIOUS: sealed again with the current secret on this first use,
    // so a rotation signs nobody out and the previous secret can be dropped once all are re-sealed.
    if (opened.stale) await this.reseal(part, key, opened.plaintext, value);
    return value;
  }

  private async reseal(part: Part, key: string, plaintext: string, value: unknown): Promise<void> {
    const expiresAt = (value as { expiresAt?: unknown }).expiresAt;
    const ttlMs =
      part === 'flow' && typeof expiresAt === 'number'
        ? Math.max(1, expiresAt - Date.now())
        : CREDENTIAL_TTL_MS;
    try {
      await this.store.set(key, this.box.seal(plaintext, key), ttlMs);
    } catch (err) {
      // Still readable with the previous secret: the next read tries again.
      this.logger?.warn(
        { part, err: describeError(err) },
        'could not re-seal sign-in data with the new secret',
      );
    }
  }

  private put(identity: string, server: string, part: Part, value: unknown, ttlMs: number): Promise<void> {
    const key = this.key(identity, server, part);
    return this.store.set(key, this.box.seal(JSON.stringify(value), key), ttlMs);
  }
}

function stateKey(state: string): string {
  return `oauth:state:${digest(state)}`;
}

function verifyKey(state: string): string {
  return `oauth:verify:${digest(state)}`;
}

function startKey(startId: string): string {
  return `oauth:start:${digest(startId)}`;
}
