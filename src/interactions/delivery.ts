/**
 * Delivery: an answer taken from the store reaches whoever waits for it. A paused turn is resumed
 * (in this process — any process can); a live server request waits in one process, so an answer
 * received elsewhere is relayed to it over the store's pub/sub.
 */
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import type { FormContent } from './form.js';
import type { PendingInteraction } from './pending.js';

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
  logger: Logger;
  processId: string;
  /** Resumes a paused turn with the answer; false when the turn is gone. */
  resumeTurn: (turnId: string, resolution: Resolution) => Promise<boolean>;
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
   * Waits in this process for the answer to interaction `id` (a live server request). Resolves
   * with `cancel` when `signal` aborts; calls `onTimeout` and resolves `cancel` after `ttlMs`.
   */
  wait(id: string, ttlMs: number, signal: AbortSignal, onTimeout: () => void): Promise<Resolution> {
    return new Promise<Resolution>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        onTimeout();
        resolve({ action: 'cancel' });
      }, ttlMs);
      timer.unref();
      this.waiters.set(id, { resolve, timer });
      signal.addEventListener('abort', () => this.resolveWaiter(id, { action: 'cancel' }), { once: true });
    });
  }

  /** Hands an answer to what waits for `record`. False when nothing waits any more. */
  async hand(record: PendingInteraction, resolution: Resolution): Promise<boolean> {
    const { route } = record;
    if (route.type === 'turn') return this.options.resumeTurn(route.turnId, resolution);
    if (route.processId === this.options.processId) return this.resolveWaiter(record.id, resolution);
    const receivers = await this.options.store.publish(
      `proc:${route.processId}`,
      JSON.stringify({ id: record.id, resolution }),
    );
    return receivers > 0;
  }

  private onRelay(raw: string): void {
    try {
      const { id, resolution } = JSON.parse(raw) as { id: string; resolution: Resolution };
      this.resolveWaiter(id, resolution);
    } catch (err) {
      this.options.logger.warn({ err: describeError(err) }, 'bad relayed answer');
    }
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
