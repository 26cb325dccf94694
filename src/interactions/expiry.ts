/**
 * When the stored (2026-07-28 MRTR) rounds this process posted run out of time. Nothing waits on
 * such a round in the process, so nothing else would notice; and a process may hold ten thousand
 * of them, so each costs one small entry, not a timer and not the call's context (issue 12: a
 * waiting MRTR form costs about nothing in process). One unref'd timer is armed for the earliest
 * entry; entries usually come in the order they expire (every round lives as long), and a sweep
 * then stops at the first one not due; otherwise it looks at them all.
 */

import type { Conversation } from '../conversation.js';

/** What is told when a round lapses: whose it was and which tool asked. */
export interface Lapse {
  id: string;
  conversation: Conversation;
  server: string;
  tool: string;
}

export class RoundExpiry {
  /** Insertion order ≈ expiry order (one TTL for every round). One object per round: its lapse. */
  private readonly due = new Map<string, Lapse & { at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  /** Whether insertion order is still expiry order (then a sweep stops at the first not due). */
  private ordered = true;
  private lastAt = Number.NEGATIVE_INFINITY;

  /**
   * @param onLapse called once per entry whose time came (errors are the caller's to swallow)
   * @param now the clock, ms
   */
  constructor(
    private readonly onLapse: (lapse: Lapse) => void,
    private readonly now: () => number,
  ) {}

  /** Watches round `lapse.id` until `at` (epoch ms); returns what cancels the watch. */
  add(lapse: Lapse, at: number): () => void {
    // A literal (not a spread): one object with its fields in it, no separate property store.
    const { id, conversation, server, tool } = lapse;
    this.due.set(id, { id, conversation, server, tool, at });
    if (at < this.lastAt) this.ordered = false;
    this.lastAt = Math.max(this.lastAt, at);
    if (at < this.armedFor) this.arm(at);
    return () => {
      this.due.delete(lapse.id);
    };
  }

  /** Forgets every entry (the agent stops). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    this.due.clear();
    this.ordered = true;
    this.lastAt = Number.NEGATIVE_INFINITY;
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [id, entry] of this.due) {
      if (entry.at <= now) {
        this.due.delete(id);
        this.onLapse(entry);
      } else {
        next = Math.min(next, entry.at);
        // In order, later entries expire later still: no need to look further.
        if (this.ordered) break;
      }
    }
    if (this.due.size === 0) {
      this.ordered = true;
      this.lastAt = Number.NEGATIVE_INFINITY;
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  }
}
