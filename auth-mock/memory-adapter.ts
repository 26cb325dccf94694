/**
 * A bounded, per-server in-memory storage adapter for oidc-provider.
 *
 * oidc-provider ships a memory adapter too, but its store is a module-level singleton shared by every
 * provider in the process: two demo servers in one test run would see each other's clients and
 * tokens, and closing a server would free nothing. This one keeps one store per `startAuthMock`
 * call, honours the `expiresIn` oidc-provider passes, and caps the entry count so a long-running
 * demo cannot grow without bound (the entries closest to expiry are dropped first).
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

/** Models whose entries are indexed by grant, so `revokeByGrantId` can find them. */
const GRANT_BOUND_MODELS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; `Infinity` for entries oidc-provider stores without expiry (clients). */
  expiresAt: number;
}

/** Options of {@link OidcMemoryStore}. */
export interface OidcMemoryStoreOptions {
  /** Upper bound on stored entries across all models. */
  maxEntries?: number;
  /** Injected clock for tests; epoch milliseconds. */
  now?: () => number;
}

/** The shared state behind every model's adapter of one provider. */
export class OidcMemoryStore {
  readonly #entries = new Map<string, Entry>();
  readonly #byGrant = new Map<string, Set<string>>();
  readonly #sessionByUid = new Map<string, string>();
  readonly #byUserCode = new Map<string, string>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: OidcMemoryStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Number of live entries (expired ones are counted until touched or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** The factory oidc-provider's `adapter` option expects: one adapter per model name. */
  adapterFor = (model: string): MemoryModelAdapter => new MemoryModelAdapter(this, model);

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model: string, key: string, payload: AdapterPayload, expiresInSeconds: number | undefined): void {
    this.delete(key);
    const expiresAt = expiresInSeconds === undefined ? Infinity : this.#now() + expiresInSeconds * 1000;
    this.#entries.set(key, { payload, expiresAt });
    if (GRANT_BOUND_MODELS.has(model) && payload.grantId) {
      let members = this.#byGrant.get(payload.grantId);
      if (!members) {
        members = new Set();
        this.#byGrant.set(payload.grantId, members);
      }
      members.add(key);
    }
    if (model === 'Session' && typeof payload.uid === 'string') this.#sessionByUid.set(payload.uid, key);
    if (typeof payload.userCode === 'string') this.#byUserCode.set(payload.userCode, key);
    this.#enforceCap();
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const { grantId, uid, userCode } = entry.payload;
    if (grantId) {
      const members = this.#byGrant.get(grantId);
      members?.delete(key);
      if (members?.size === 0) this.#byGrant.delete(grantId);
    }
    if (typeof uid === 'string' && this.#sessionByUid.get(uid) === key) this.#sessionByUid.delete(uid);
    if (typeof userCode === 'string' && this.#byUserCode.get(userCode) === key)
      this.#byUserCode.delete(userCode);
  }

  keyForSessionUid(uid: string): string | undefined {
    return this.#sessionByUid.get(uid);
  }

  keyForUserCode(userCode: string): string | undefined {
    return this.#byUserCode.get(userCode);
  }

  revokeGrant(grantId: string): void {
    for (const key of [...(this.#byGrant.get(grantId) ?? [])]) this.delete(key);
    this.#byGrant.delete(grantId);
  }

  clear(): void {
    this.#entries.clear();
    this.#byGrant.clear();
    this.#sessionByUid.clear();
    this.#byUserCode.clear();
  }

  #enforceCap(): void {
    if (this.#entries.size <= this.#maxEntries) return;
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.delete(key);
    }
    if (this.#entries.size <= this.#maxEntries) return;
    // Still too many live entries: drop those that would expire soonest (ties: oldest first, as
    // Map iteration is insertion order), so long-lived clients and refresh tokens survive longest.
    const byExpiry = [...this.#entries].sort((a, b) => a[1].expiresAt - b[1].expiresAt);
    for (const [key] of byExpiry.slice(0, this.#entries.size - this.#maxEntries)) this.delete(key);
  }
}

/** One model's view of a {@link OidcMemoryStore}; `expiresIn` is optional, as for clients. */
export class MemoryModelAdapter implements Adapter {
  constructor(
    private readonly store: OidcMemoryStore,
    private readonly model: string,
  ) {}

  #key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.store.set(this.model, this.#key(id), payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.store.get(this.#key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const key = this.store.keyForSessionUid(uid);
    return key === undefined ? undefined : this.store.get(key);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const key = this.store.keyForUserCode(userCode);
    return key === undefined ? undefined : this.store.get(key);
  }

  async consume(id: string): Promise<void> {
    const payload = this.store.get(this.#key(id));
    // oidc-provider reads `consumed` to detect refresh-token and authorization-code reuse.
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.store.revokeGrant(grantId);
  }
}
