/**
 * Slots under the pool's connection cap (MCP_MAX_CONNECTIONS). A connect takes a slot before it
 * starts: a free one, or one an idle connection gives up (the pool chooses which). With neither,
 * it waits until a use ends or a connection closes, up to `waitMs`, then hears "busy" — work is
 * never failed just because the cap was reached a moment ago (issue 12 §1).
 */
import type { ServerConfig } from '../config.js';
import { ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface SlotOptions {
  max: number;
  /** How long a connect waits for a slot (ms). */
  waitMs: number;
  logger: Logger;
  /** Connections open now. */
  live: () => number;
  /** Closes one idle connection, if any; true when one went (its slot is free at once). */
  evictOne: () => boolean;
}

export class ConnectionSlots {
  /** Connects under way: they hold a slot. */
  private opening = 0;
  /** First come, first served; each freed slot wakes one (a herd would each scan the pool). */
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly o: SlotOptions) {}

  get full(): boolean {
    return this.o.live() + this.opening >= this.o.max;
  }

  /** Work is waiting for a slot right now. */
  get contended(): boolean {
    return this.waiters.length > 0;
  }

  /** Takes a slot, or throws `mcp_busy` ("…try again in a moment") after `waitMs`. */
  async reserve(server: ServerConfig): Promise<void> {
    const deadline = Date.now() + this.o.waitMs;
    for (let woken = false; ; woken = true) {
      if (!this.full) {
        this.opening += 1;
        return;
      }
      if (this.o.evictOne()) continue;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.o.logger.warn(
          { server: server.name, max: this.o.max },
          'connection cap reached; work turned away',
        );
        throw new ParleyError(
          'mcp_busy',
          `I’m busy with a lot of people right now and couldn’t reach ${server.title ?? server.name}. Please try again in a moment.`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          const i = this.waiters.indexOf(wake);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve();
        }, left);
        // Woken but beaten to the slot: keep its place at the front.
        if (woken) this.waiters.unshift(wake);
        else this.waiters.push(wake);
      });
    }
  }

  /** The connect succeeded: its slot now counts as a live connection. */
  opened(): void {
    this.opening -= 1;
  }

  /** The connect failed: its slot is free. */
  abandoned(): void {
    this.opening -= 1;
    this.wake();
  }

  /** A slot may have come free (a use ended, a connection closed): the longest waiter looks. */
  wake(): void {
    this.waiters.shift()?.();
  }
}
