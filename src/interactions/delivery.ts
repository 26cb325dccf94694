/**
 * Delivery: an answer taken from the store reaches whoever waits for it. A paused turn is resumed
 * (in this process — any process can); a live server request waits in one process, so an answer
 * received elsewhere is relayed to it over the store's pub/sub — and counts as delivered only when
 * the owner acknowledges it within {@link RELAY_ACK_MS}. A process that was killed or is frozen
 * (GC, a blocked event loop, SIGSTOP) does not acknowledge, and the person is told the truth: the
 * form expired. Who decides is one atomic write: the owner's "got it" or the sender's "too late"
 * on the same key, first one wins, so the two sides never disagree (no clocks compared).
 */
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import type { FormContent } from './form.js';
import { keyFor, newId, type PendingInteraction, type PendingStore } from './pending.js';

const ACK_TTL_MS = 60_000;

/**
 * What a waiting call receives: the shape of an MCP `ElicitResult`. A confirmation or a finished
 * link step is an `accept`; an approval-only form is an `accept` with empty content.
 */
export interface Resolution {
  action: 'accept' | 'decline' | 'cancel';
  content?: FormContent;
}

export interface DeliveryOptions {
  store: Store;
  pending: PendingStore;
  logger: Logger;
  processId: string;
  now: () => number;
  /** Resumes a paused turn (its stored JSON, just taken) with the answer, in the background. */
  resumeTurn: (turnJson: string, resolution: Resolution) => void;
}

/** How a hand-off ended: delivered, already answered by someone else, or nobody waits any more. */
export type HandOff = 'delivered' | 'used' | 'expired';

/** How long a relayed answer may wait for its owner's acknowledgement (ms). */
export const RELAY_ACK_MS = 2_000;
const ACK_POLL_MS = 20;

interface Relay {
  id: string;
  resolution: Resolution;
  /** The store key whose first writer decides: `ok` (the owner) or `late` (the sender). */
  ack: string;
}

interface Waiter {
  resolve: (r: Resolution) => void;
  timer: NodeJS.Timeout;
}

export class Delivery {
  private readonly waiters = new Map<string, Waiter>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly options: DeliveryOptions) {}

  private get channel(): string {
    return `proc:${this.options.processId}`;
  }

  /** Subscribes to answers relayed to this process. */
  async start(): Promise<void> {
    this.unsubscribe = await this.options.store.subscribe(this.channel, (raw) => this.onRelay(raw));
  }

  /** Stops listening; every live waiter hears `cancel`. */
  async stop(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
    this.unsubscribe = undefined;
    for (const id of [...this.waiters.keys()]) this.resolveWaiter(id, { action: 'cancel' });
  }

  /**
   * Waits in this process for the answer to interaction `id` (a live server request). When
   * `signal` aborts (the call ended, the server withdrew the request) or `ttlMs` passes first,
   * `onEnd` is told why and the wait resolves `cancel`.
   */
  wait(
    id: string,
    ttlMs: number,
    signal: AbortSignal,
    onEnd: (why: 'expired' | 'ended') => void,
  ): Promise<Resolution> {
    return new Promise<Resolution>((resolve) => {
      const end = (why: 'expired' | 'ended') => {
        if (!this.waiters.has(id)) return;
        this.resolveWaiter(id, { action: 'cancel' });
        onEnd(why);
      };
      const timer = setTimeout(() => end('expired'), ttlMs);
      timer.unref();
      this.waiters.set(id, { resolve, timer });
      if (signal.aborted) end('ended');
      else signal.addEventListener('abort', () => end('ended'), { once: true });
    });
  }

  /**
   * Consumes interaction `record` and hands `resolution` to what waits for it. For a paused turn
   * the record and the turn leave the store in one atomic step, so a store failure never leaves
   * an answer consumed that nobody received; a relay whose store round trips fail puts the record
   * back. Throws `store_unavailable` when nothing was consumed (the person may answer again).
   */
  async hand(record: PendingInteraction, resolution: Resolution, outcome: string): Promise<HandOff> {
    const { pending, now } = this.options;
    const { route } = record;
    if (route.type === 'turn') {
      const taken = await pending.takeWith(record.id, outcome, now(), [keyFor('turn', record.id)], record);
      if (!taken) return 'used';
      const turn = taken.taken[0];
      if (turn === undefined) return 'expired';
      this.options.resumeTurn(turn, resolution);
      return 'delivered';
    }
    const taken = await pending.take(record.id, outcome, now());
    if (!taken) return 'used';
    if (route.processId === this.options.processId)
      return this.resolveWaiter(record.id, resolution) ? 'delivered' : 'expired';
    const relay: Relay = { id: record.id, resolution, ack: `relay-ack:${newId()}` };
    try {
      await this.options.store.publish(`proc:${route.processId}`, JSON.stringify(relay));
    } catch (err) {
      // Nothing reached the owner: put the answer back, so the person can send it again.
      await pending.restore(taken, now()).catch(() => undefined);
      throw err;
    }
    return (await this.acknowledged(relay.ack)) ? 'delivered' : 'expired';
  }

  /**
   * Waits for the owner's acknowledgement of a published relay; false when none comes in time.
   * The receiver count of the publish is not trusted (a frozen process counts; a cluster counts
   * one node). A failed poll is retried: the owner may have acknowledged meanwhile.
   */
  private async acknowledged(ack: string): Promise<boolean> {
    const { store } = this.options;
    const until = Date.now() + RELAY_ACK_MS;
    while (Date.now() < until) {
      if ((await store.get(ack).catch(() => undefined)) === 'ok') return true;
      await new Promise((r) => setTimeout(r, ACK_POLL_MS));
    }
    if (await store.setIfAbsent(ack, 'late', ACK_TTL_MS)) return false;
    return (await store.get(ack)) === 'ok';
  }

  private onRelay(raw: string): void {
    let message: Relay;
    try {
      message = JSON.parse(raw) as Relay;
    } catch (err) {
      this.options.logger.warn({ err: describeError(err) }, 'bad relayed answer');
      return;
    }
    void this.acknowledge(message).catch((err: unknown) =>
      this.options.logger.warn({ err: describeError(err) }, 'could not acknowledge a relayed answer'),
    );
  }

  private async acknowledge({ id, resolution, ack }: Relay): Promise<void> {
    if (!this.waiters.has(id)) return; // not ours any more: the sender's timeout tells the truth
    if (await this.options.store.setIfAbsent(ack, 'ok', ACK_TTL_MS)) this.resolveWaiter(id, resolution);
    // Too late: the person was told the form expired, so the tool hears the same.
    else this.resolveWaiter(id, { action: 'cancel' });
  }

  private resolveWaiter(id: string, resolution: Resolution): boolean {
    const waiter = this.waiters.get(id);
    if (!waiter) return false;
    clearTimeout(waiter.timer);
    this.waiters.delete(id);
    waiter.resolve(resolution);
    return true;
  }
}
