/**
 * Pending interactions in the store. Each has an unguessable id, a TTL, exactly one owner, and is
 * consumed atomically once: of two submits (double click, replay, two processes), one wins and
 * the other is told it was already answered — a tombstone outlives the record for that.
 */
import { randomBytes } from 'node:crypto';
import type { Conversation } from '../conversation.js';
import { metrics } from '../observability/metrics.js';
import { getJson, type Store, setJson } from '../store/index.js';
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

export type Tombstone = { outcome: string; at: number };

const TOMBSTONE_TTL_MS = 24 * 3600_000;

export function newId(): string {
  return randomBytes(16).toString('base64url');
}

export class PendingStore {
  constructor(
    private readonly store: Store,
    private readonly ttlMs: number,
  ) {}

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
    return { ...record, id: newId(), createdAt: now, expiresAt: now + this.ttlMs };
  }

  /** Stores a drafted record. */
  save(record: PendingInteraction): Promise<void> {
    return setJson(this.store, pendingKey(record.id), record, this.ttlMs);
  }

  get(id: string): Promise<PendingInteraction | undefined> {
    if (!isPlausibleId(id)) return Promise.resolve(undefined);
    return getJson<PendingInteraction>(this.store, pendingKey(id));
  }

  /** Atomically consumes the record; leaves a tombstone so a replay is told what happened. */
  async take(id: string, outcome: string, now: number): Promise<PendingInteraction | undefined> {
    return (await this.takeWith(id, outcome, now, []))?.record;
  }

  /**
   * Consumes the record and, in the same atomic step, takes `with` (keys sharing the record's
   * hash tag, see {@link keyFor}): the answer and what receives it leave the store together or
   * not at all. `undefined` when the record was gone. `known`: the record as the caller has it
   * (not parsed again).
   */
  async takeWith(
    id: string,
    outcome: string,
    now: number,
    withKeys: string[],
    known?: PendingInteraction,
  ): Promise<{ record: PendingInteraction; taken: Array<string | undefined> } | undefined> {
    if (!isPlausibleId(id)) return undefined;
    const tomb: Tombstone = { outcome, at: now };
    const values = await this.store.takeTogether([pendingKey(id), ...withKeys], {
      key: `done:{${id}}`,
      value: JSON.stringify(tomb),
      ttlMs: TOMBSTONE_TTL_MS,
    });
    // The caller's copy when it has one (the answer desk read it a moment ago): parsed once.
    const record =
      values?.[0] === undefined ? undefined : known?.id === id ? known : parse<PendingInteraction>(values[0]);
    if (record) metrics.interaction(record.kind, outcome);
    return record ? { record, taken: values?.slice(1) ?? [] } : undefined;
  }

  /** Puts a consumed record back (its answer could not be handed on): it may be answered again. */
  async restore(record: PendingInteraction, now: number): Promise<void> {
    await setJson(this.store, pendingKey(record.id), record, Math.max(1_000, record.expiresAt - now));
    await this.store.delete(`done:{${record.id}}`);
    await this.unclaim(record.id);
  }

  /**
   * Claims the right to answer: of two submits (double click, replayed delivery, two processes),
   * only the first claim succeeds. A claim is released when the answer is refused after all.
   */
  claim(id: string): Promise<boolean> {
    if (!isPlausibleId(id)) return Promise.resolve(false);
    return this.store.setIfAbsent(`claim:{${id}}`, '1', this.ttlMs + 60_000);
  }

  unclaim(id: string): Promise<void> {
    return this.store.delete(`claim:{${id}}`);
  }

  tombstone(id: string): Promise<Tombstone | undefined> {
    if (!isPlausibleId(id)) return Promise.resolve(undefined);
    return getJson<Tombstone>(this.store, `done:{${id}}`);
  }
}

/**
 * A store key about interaction `id`. Every key about one interaction — the record, its
 * tombstone, its claim, the turn paused on it — carries the hash tag `{id}`, so they share a
 * Redis Cluster slot and can change in one atomic step.
 */
export function keyFor(kind: 'pending' | 'done' | 'claim' | 'turn', id: string): string {
  return `${kind}:{${id}}`;
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
