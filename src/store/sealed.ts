/**
 * Sealed records: the port for values that would be usable by whoever reads the store — a chat
 * platform's reply capability (a Slack `response_url`, a Discord interaction token), a sign-in
 * link, a pending link's URL. They are kept only sealed (authenticated encryption bound to the key
 * they are written under), so a copy of the store (a backup, `redis-cli`, a replica) holds nothing
 * that posts as Parley or links an account (issue 10 §4).
 *
 * The core and the adapters depend on the {@link Sealer} port only; the composition root gives
 * them one key (PARLEY_SECRET, see src/auth/crypto.ts `SecretBox`), the same in every process on
 * one store.
 */
import { ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

/** Authenticated encryption for values at rest. `context` is what the value belongs to (its store key). */
export interface Sealer {
  /** The sealed form of `text`, opened only with the same `context`. */
  seal(text: string, context: string): string;
  /** The text, or undefined when the value is not ours (another key or context, tampered, not sealed). */
  open(sealed: string, context: string): string | undefined;
}

/** What a person is told when a record they act on fails its check. */
export const UNREADABLE_SENTENCE =
  'I can’t use this: what I stored for it failed its integrity check (it was changed, or sealed with another secret). Please ask again.';

/** Thrown (as a ParleyError with code `sealed_unreadable`) where an unreadable record must be refused. */
export function unreadableRecord(what: string): ParleyError {
  return new ParleyError('sealed_unreadable', UNREADABLE_SENTENCE, {
    detail: `a sealed ${what} record could not be opened`,
  });
}

/**
 * JSON records kept sealed in a {@link Store}: each value is sealed with its key as context, so a
 * value copied under another key doesn't open there. A value that doesn't open (tampered, sealed
 * with a secret this process lacks, or written in clear) reads as absent and is logged once per
 * instance as a warning with code `sealed_unreadable` — never the value or the key.
 */
export class SealedRecords {
  private warned = false;

  /** `what` names the records in the warning ("Slack message", "Discord route"). */
  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly logger: Logger | undefined,
    private readonly what: string,
  ) {}

  /** The record at `key`; undefined when absent or unreadable (see the class comment). */
  async get<T>(key: string): Promise<T | undefined> {
    return this.open<T>(key, await this.store.get(key));
  }

  /** Reads and deletes in one step (see Store.take). */
  async take<T>(key: string): Promise<T | undefined> {
    return this.open<T>(key, await this.store.take(key));
  }

  /** Writes `value` (as JSON, sealed for `key`) for `ttlMs` milliseconds. */
  set(key: string, value: unknown, ttlMs: number): Promise<void> {
    return this.store.set(key, this.seal(key, value), ttlMs);
  }

  /** The sealed form of `value` for `key`, for callers that write it themselves (scripts, batches). */
  seal(key: string, value: unknown): string {
    return this.sealer.seal(JSON.stringify(value), key);
  }

  /** The record in `raw` (read from `key`), or undefined when absent or unreadable (logged). */
  open<T>(key: string, raw: string | undefined): T | undefined {
    if (raw === undefined) return undefined;
    const opened = this.sealer.open(raw, key);
    if (opened !== undefined) {
      try {
        return JSON.parse(opened) as T;
      } catch {
        // Sealed by us, so not tampered with: a bug wrote it. Same outcome, same warning.
      }
    }
    this.unreadable();
    return undefined;
  }

  /** Logs that a record of this kind failed its check: a warning the first time, debug after. */
  unreadable(): void {
    const message = `a sealed ${this.what} record in the store could not be opened (changed by someone, or sealed with a secret this process lacks: check PARLEY_SECRET and PARLEY_SECRET_PREVIOUS); it is ignored`;
    if (this.warned) this.logger?.debug({ code: 'sealed_unreadable' }, message);
    else this.logger?.warn({ code: 'sealed_unreadable' }, message);
    this.warned = true;
  }
}
