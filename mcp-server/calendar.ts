/**
 * The fake calendar behind `connect_calendar` and `calendar_events`. Consent happens out of band:
 * the user opens the auth-mock's consent page in a browser (URL-mode elicitation) and the server
 * learns the outcome by polling the auth-mock's status endpoint. Connections are remembered per
 * caller (see `identity.ts`) in memory, bounded in time and count like the auth-mock's decisions.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ANONYMOUS } from './identity.js';

export type ConsentDecision = 'approved' | 'denied' | 'timeout' | 'aborted';

const statusSchema = z.object({ status: z.enum(['pending', 'approved', 'denied']) });

export interface CalendarServiceOptions {
  /** The auth-mock's issuer URL; it serves `/calendar/connect` and `/calendar/status/:id`. */
  issuer: string;
  /** How long to wait for the user to decide before giving up. */
  waitMs: number;
  pollMs?: number;
  /** How long a connection is remembered. Default one day. */
  connectionTtlMs?: number;
  /** Most callers remembered at once (connected, and pending apart); the oldest go first. Default 1000. */
  maxCallers?: number;
  now?: () => number;
  logger: Logger;
}

/** How long `calendar_events` checks a consent page it showed (the auth-mock keeps decisions 1 h). */
const PENDING_TTL_MS = 60 * 60_000;

export interface CalendarEvent {
  title: string;
  start: string;
  end: string;
}

export class CalendarService {
  readonly issuer: string;
  private readonly connected: ExpiringMap<true>;
  /** Consent pages shown to a caller by `calendar_events` (the -32042 path), checked on retry. */
  private readonly pending: ExpiringMap<string>;
  // Aborted by close(), so no poll loop outlives the server.
  private readonly lifetime = new AbortController();

  constructor(private readonly options: CalendarServiceOptions) {
    this.issuer = options.issuer.replace(/\/+$/, '');
    const now = options.now ?? Date.now;
    const max = options.maxCallers ?? 1000;
    this.connected = new ExpiringMap(options.connectionTtlMs ?? 24 * 60 * 60_000, max, now);
    this.pending = new ExpiringMap(PENDING_TTL_MS, max, now);
  }

  newElicitationId(): string {
    return randomUUID();
  }

  consentUrl(elicitationId: string): string {
    return `${this.issuer}/calendar/connect?elicitation_id=${encodeURIComponent(elicitationId)}`;
  }

  isConnected(caller: string): boolean {
    return this.connected.get(caller) !== undefined;
  }

  markConnected(caller: string): void {
    this.connected.set(caller, true);
    this.pending.delete(caller);
  }

  /** Remembers the consent page a caller was sent to, so a retry can check it. */
  rememberPending(caller: string, elicitationId: string): void {
    this.pending.set(caller, elicitationId);
  }

  pendingFor(caller: string): string | undefined {
    return this.pending.get(caller);
  }

  /** One look at the consent status; network trouble reads as "pending". */
  async status(elicitationId: string, signal?: AbortSignal): Promise<'pending' | 'approved' | 'denied'> {
    const url = `${this.issuer}/calendar/status/${encodeURIComponent(elicitationId)}`;
    try {
      const res = await fetch(url, {
        signal: anySignal([signal, this.lifetime.signal, AbortSignal.timeout(5000)]),
      });
      if (!res.ok) return 'pending';
      const parsed = statusSchema.safeParse(await res.json());
      return parsed.success ? parsed.data.status : 'pending';
    } catch (err) {
      // The id is left out: whoever holds it can decide the consent.
      this.options.logger.debug({ err }, 'calendar status check failed');
      return 'pending';
    }
  }

  /**
   * Polls until the user approves or denies, the wait times out, or `signal` aborts. `onWaiting`
   * is called about once a second with the time waited so far, so a caller can report progress.
   */
  async waitForDecision(
    elicitationId: string,
    signal?: AbortSignal,
    onWaiting?: (waitedMs: number) => void | Promise<void>,
  ): Promise<ConsentDecision> {
    const started = Date.now();
    const deadline = started + this.options.waitMs;
    const stop = anySignal([signal, this.lifetime.signal]);
    let lastReport = started;
    for (;;) {
      if (stop.aborted) return 'aborted';
      const status = await this.status(elicitationId, stop);
      if (status !== 'pending') return status;
      const now = Date.now();
      if (now >= deadline) return 'timeout';
      if (onWaiting && now - lastReport >= 1000) {
        lastReport = now;
        await onWaiting(now - started);
      }
      await sleep(Math.min(this.options.pollMs ?? 250, deadline - now), stop);
    }
  }

  /** A few made-up events, so a connected calendar has something to show. */
  eventsFor(caller: string, now = new Date()): CalendarEvent[] {
    const day = (offset: number, hour: number, minutes = 0): string => {
      const d = new Date(now);
      d.setUTCDate(d.getUTCDate() + offset);
      d.setUTCHours(hour, minutes, 0, 0);
      return d.toISOString();
    };
    const who = caller.startsWith('session:') || caller === ANONYMOUS ? 'you' : caller;
    return [
      { title: `Stand-up with ${who}`, start: day(1, 9), end: day(1, 9, 15) },
      { title: 'Parley demo review', start: day(1, 14), end: day(1, 15) },
      { title: 'Ticket triage', start: day(2, 10, 30), end: day(2, 11, 30) },
    ];
  }

  close(): void {
    this.lifetime.abort();
  }
}

/** A map whose entries expire after `ttlMs` and whose oldest entries go beyond `max`. */
class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    // Re-inserted, so it counts as the newest.
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
    this.#prune();
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  #prune(): void {
    const now = this.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
    // Map iteration is insertion order, so the first keys are the oldest.
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.max) break;
      this.#entries.delete(key);
    }
  }
}

function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
