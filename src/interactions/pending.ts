/**
 * Pending interactions in the store. Each has an unguessable id, a TTL, exactly one owner, and is
 * consumed atomically once: of two submits (double click, replay, two processes), one wins and
 * the other is told it was already answered — a tombstone outlives the record for that.
 */
import { randomBytes } from 'node:crypto';
import type { Conversation } from '../conversation.js';
import { metrics } from '../observability/metrics.js';
import { getJson, type Store, setJson, takeJson } from '../store/index.js';
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
    const full: PendingInteraction = { ...record, id: newId(), createdAt: now, expiresAt: now + this.ttlMs };
    await setJson(this.store, `pending:${full.id}`, full, this.ttlMs);
    return full;
  }

  get(id: string): Promise<PendingInteraction | undefined> {
    if (!isPlausibleId(id)) return Promise.resolve(undefined);
    return getJson<PendingInteraction>(this.store, `pending:${id}`);
  }

  /** Atomically consumes the record; leaves a tombstone so a replay is told what happened. */
  async take(id: string, outcome: string, now: number): Promise<PendingInteraction | undefined> {
    if (!isPlausibleId(id)) return undefined;
    const record = await takeJson<PendingInteraction>(this.store, `pending:${id}`);
    if (record) {
      metrics.interaction(record.kind, outcome);
      await setJson(this.store, `done:${id}`, { outcome, at: now } satisfies Tombstone, TOMBSTONE_TTL_MS);
    }
    return record;
  }

  tombstone(id: string): Promise<Tombstone | undefined> {
    if (!isPlausibleId(id)) return Promise.resolve(undefined);
    return getJson<Tombstone>(this.store, `done:${id}`);
  }
}

/** Ids are 22 base64url characters; anything else is tampered and never reaches the store. */
export function isPlausibleId(id: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(id);
}
