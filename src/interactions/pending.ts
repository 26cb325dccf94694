/**
 * Pending interactions in the store. Each has an unguessable id, a TTL, exactly one owner, and is
 * consumed atomically once: of two submits (double click, replay, two processes), one wins and
 * the other is told it was already answered — a tombstone outlives the record for that.
 *
 * Given a {@link Sealer}, records are kept sealed: a pending link holds a usable URL (a person's
 * sign-in start link, a server's consent URL), and a form what a server asked of one person. A
 * record that doesn't open is refused with a sentence (`sealed_unreadable`), never acted on.
 */
import { randomBytes } from 'node:crypto';
import { type Actor, type Conversation, identityKey, sameActor } from '../conversation.js';
import type { Logger } from '../logger.js';
import { metrics } from '../observability/metrics.js';
import {
  getJson,
  SealedRecords,
  type Sealer,
  type Store,
  type TakeMark,
  unreadableRecord,
} from '../store/index.js';
import type { FormSpec } from './form.js';

export type PendingRoute =
  /** A server-initiated request awaited by a live handler in process `processId`. */
  | { type: 'live'; processId: string }
  /** A paused turn in the store, resumable from any process. */
  | { type: 'turn'; turnId: string };

export interface PendingInteraction {
  id: string;
  conversation: Conversation;
  kind: 'form' | 'link' | 'confirm';
  origin: string;
  createdAt: number;
  expiresAt: number;
  route: PendingRoute;
  form?: FormSpec;
  link?: {
    url: string;
    host: string;
    message: string;
    purpose: 'consent' | 'signin' | 'retry';
    elicitationId?: string;
  };
  confirm?: { title: string; message: string };
}

/** `attempt`: the token of the take that wrote it (see {@link PendingStore.takeWith}). */
export type Tombstone = { outcome: string; at: number; attempt?: string };

/** A take whose reply never came: the record it was for, and the call to repeat (this process). */
interface Unsettled {
  record: PendingInteraction;
  keys: string[];
  mark: TakeMark;
}

const TOMBSTONE_TTL_MS = 24 * 3600_000;
/** Most ids a person's index of open interactions keeps (the newest). */
const OWNER_INDEX_MAX = 50;
/** How long a taken record (and its turn) stays kept after the form would have expired (ms). */
const KEPT_GRACE_MS = 60_000;
/** Most takes with a lost reply this process remembers (the oldest are forgotten first). */
const UNSETTLED_MAX = 1_000;

export function newId(): string {
  return randomBytes(16).toString('base64url');
}

export class PendingStore {
  private readonly sealed: SealedRecords | undefined;
  /** Takes whose reply was lost, by interaction id: their owner's retry repeats them. */
  private readonly unsettled = new Map<string, Unsettled>();

  /**
   * Without `sealer` records are kept in clear: only for a store no one else reads (the in-memory
   * one). The composition root gives one whenever the store is shared or a platform is configured.
   */
  constructor(
    private readonly store: Store,
    private readonly ttlMs: number,
    sealer?: Sealer,
    logger?: Logger,
  ) {
    this.sealed = sealer && new SealedRecords(store, sealer, logger, 'pending interaction');
  }

  get ttl(): number {
    return this.ttlMs;
  }

  async create(
    record: Omit<PendingInteraction, 'id' | 'createdAt' | 'expiresAt'>,
    now: number,
  ): Promise<PendingInteraction> {
    const full = this.draft(record, now);
    await this.save(full);
    return full;
  }

  /** The record `create` would store (its id, times), not stored yet: see {@link save}. */
  draft(record: Omit<PendingInteraction, 'id' | 'createdAt' | 'expiresAt'>, now: number): PendingInteraction {
    // Field by field, not a spread: a spread of the three kinds' shapes gave every record a hidden
    // class of its own (~250 bytes each, under 5,000 records kept for fast answers).
    const { conversation, kind, origin, route } = record;
    const full: PendingInteraction = {
      id: newId(),
      conversation,
      kind,
      origin,
      route,
      createdAt: now,
      expiresAt: now + this.ttlMs,
    };
    if (record.form) full.form = record.form;
    if (record.link) full.link = record.link;
    if (record.confirm) full.confirm = record.confirm;
    return full;
  }

  /** Stores a drafted record (sealed when a sealer was given), and lists it in its owner's index. */
  async save(full: PendingInteraction): Promise<void> {
    // Both in one tick: the store's client sends them in one write (one round trip, not two).
    const [saved] = await Promise.allSettled([
      this.store.set(pendingKey(full.id), this.encode(full), this.ttlMs),
      // Only for the person's home: an index that failed to take it costs that line, not the form.
      this.store.append(ownerKey(full.conversation), [full.id], OWNER_INDEX_MAX, this.ttlMs),
    ]);
    if (saved.status === 'rejected') throw saved.reason;
  }

  /**
   * The person's open interactions, newest first: those still in the store, unexpired, and theirs
   * (the index is per person, and each record's owner is checked again). A record that doesn't
   * open (`sealed_unreadable`) is left out: it can't be answered either.
   */
  async openFor(actor: Actor, now: number): Promise<PendingInteraction[]> {
    const ids = [...new Set(await this.store.range(ownerKey(actor)))].reverse();
    const records = await Promise.all(ids.map((id) => this.get(id).catch(() => undefined)));
    return records.filter(
      (r): r is PendingInteraction =>
        r !== undefined && r.expiresAt > now && sameActor(r.conversation, actor),
    );
  }

  /**
   * The record, undefined when absent; throws `sealed_unreadable` when it fails its check. A
   * record this process took but never heard back about (see {@link takeWith}) still reads here,
   * so its owner's retry is checked like the first answer and then repeats the take.
   */
  async get(id: string): Promise<PendingInteraction | undefined> {
    if (!isPlausibleId(id)) return undefined;
    const raw = await this.store.get(pendingKey(id));
    if (raw === undefined) return this.unsettled.get(id)?.record;
    return this.decode(id, raw);
  }

  /** Atomically consumes the record; leaves a tombstone so a replay is told what happened. */
  async take(
    id: string,
    outcome: string,
    now: number,
    known?: PendingInteraction,
  ): Promise<PendingInteraction | undefined> {
    return (await this.takeWith(id, outcome, now, [], known))?.record;
  }

  /**
   * Consumes the record and, in the same atomic step, takes `with` (keys sharing the record's
   * hash tag, see {@link keyFor}): the answer and what receives it leave the store together or
   * not at all. `undefined` when the record was gone.
   *
   * Given `known` (the record the caller read, so about to hand on), the take is repeatable:
   * its tombstone carries a fresh attempt token and the taken values stay kept (in the same
   * slot) until shortly after the form's expiry. When the store fails the call — possibly after
   * running it, its reply lost (Issue 10 §2) — this process remembers the call; the next take of
   * `id` here (the owner's retry, after {@link get} still returned the record) repeats it with the
   * same token, and gets the taken values back if the first one did run. Only one repeat at a
   * time: it is forgotten while in flight, so a concurrent second retry finds nothing to repeat.
   * Memory of one process only: a retry that reaches another process hears "already answered".
   */
  async takeWith(
    id: string,
    outcome: string,
    now: number,
    withKeys: string[],
    known?: PendingInteraction,
  ): Promise<{ record: PendingInteraction; taken: Array<string | undefined> } | undefined> {
    if (!isPlausibleId(id)) return undefined;
    const again = this.unsettled.get(id);
    this.unsettled.delete(id);
    const keys = again?.keys ?? [pendingKey(id), ...withKeys];
    const tomb: Tombstone = { outcome, at: now, attempt: newId() };
    const mark: TakeMark = again?.mark ?? {
      key: keyFor('done', id),
      value: JSON.stringify(tomb),
      ttlMs: TOMBSTONE_TTL_MS,
      ...(known && {
        keep: {
          keys: keys.map((_, i) => keptKey(id, i)),
          ttlMs: Math.max(0, known.expiresAt - now) + KEPT_GRACE_MS,
        },
      }),
    };
    const record = again?.record ?? known;
    let values: Array<string | undefined> | undefined;
    try {
      values = await this.store.takeTogether(keys, mark);
    } catch (err) {
      if (record && mark.keep) this.remember(id, { record, keys, mark }, now);
      throw err;
    }
    // Heard: nobody repeats this take, so its kept copies can go (their TTL ends them otherwise).
    if (values && mark.keep)
      for (const key of mark.keep.keys) void this.store.delete(key).catch(() => undefined);
    // Taken even when it doesn't open: an unreadable record is consumed, and refused with a sentence.
    const taken = this.decode(id, values?.[0]);
    if (taken) metrics.interaction(taken.kind, outcome);
    return taken ? { record: taken, taken: values?.slice(1) ?? [] } : undefined;
  }

  private remember(id: string, entry: Unsettled, now: number): void {
    for (const [other, u] of this.unsettled)
      if (u.record.expiresAt + KEPT_GRACE_MS <= now) this.unsettled.delete(other);
    this.unsettled.set(id, entry);
    for (const other of this.unsettled.keys()) {
      if (this.unsettled.size <= UNSETTLED_MAX) break;
      this.unsettled.delete(other);
    }
  }

  /** Puts a consumed record back (its answer could not be handed on): it may be answered again. */
  async restore(record: PendingInteraction, now: number): Promise<void> {
    await this.store.set(pendingKey(record.id), this.encode(record), Math.max(1_000, record.expiresAt - now));
    await this.store.delete(keyFor('done', record.id));
  }

  tombstone(id: string): Promise<Tombstone | undefined> {
    if (!isPlausibleId(id)) return Promise.resolve(undefined);
    return getJson<Tombstone>(this.store, keyFor('done', id));
  }

  private encode(record: PendingInteraction): string {
    return this.sealed ? this.sealed.seal(pendingKey(record.id), record) : JSON.stringify(record);
  }

  private decode(id: string, raw: string | undefined): PendingInteraction | undefined {
    if (raw === undefined) return undefined;
    if (!this.sealed) return parse<PendingInteraction>(raw);
    const record = this.sealed.open<PendingInteraction>(pendingKey(id), raw);
    if (!record) throw unreadableRecord('pending interaction');
    return record;
  }
}

/**
 * A store key about interaction `id`. Every key about one interaction — the record, its
 * tombstone, the turn paused on it — carries the hash tag `{id}`, so they share a
 * Redis Cluster slot and can change in one atomic step.
 */
export function keyFor(kind: 'pending' | 'done' | 'turn', id: string): string {
  return `${kind}:{${id}}`;
}

/** The index of a person's interactions (ids, oldest first), for their home. */
function ownerKey(actor: Actor): string {
  return `pending:by:${identityKey(actor)}`;
}

/** Where the `i`-th value of a repeatable take of interaction `id` is kept (same slot). */
function keptKey(id: string, i: number): string {
  return `taken:{${id}}:${i}`;
}

function pendingKey(id: string): string {
  return keyFor('pending', id);
}

function parse<T>(raw: string): T | undefined {
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/** Ids are 22 base64url characters; anything else is tampered and never reaches the store. */
export function isPlausibleId(id: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(id);
}
