/**
 * The turns running in this process: one at a time per conversation (each holds its
 * conversation's lease, leases.ts), a paused turn resumed in the background behind the one
 * running there, counted so {@link RunningTurns.whenIdle} knows when none is, and ended in one
 * sentence to the person when they fail. The leases' heartbeat, and the sentence a person gets
 * when a dying process cut their turn off, are started and stopped from here.
 */
import { type Conversation, sessionKey } from '../conversation.js';
import { describeError, toParleyError } from '../errors.js';
import type { Presenter } from '../interactions/presenter.js';
import type { Logger } from '../logger.js';
import { metrics } from '../observability/metrics.js';
import { withSpan } from '../observability/tracing.js';
import type { Store } from '../store/index.js';
import { type TurnLease, TurnLeases } from './leases.js';

/** How long a resumed turn waits for one running in its conversation before it goes on (ms). */
const RESUME_WAIT_MS = 30_000;

export interface RunningTurnsOptions {
  store: Store;
  logger: Logger;
  processId: string;
  /** How long a process may miss its heartbeat before its running turns count as cut off (ms). */
  leaseMs: number;
  presenter: Presenter;
}

export class RunningTurns {
  private readonly leases: TurnLeases;
  /** The leases of turns running in this process, by conversation. */
  private readonly running = new Map<string, TurnLease>();
  private busy = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly o: RunningTurnsOptions) {
    this.leases = new TurnLeases({
      store: o.store,
      logger: o.logger,
      processId: o.processId,
      leaseMs: o.leaseMs,
      tellCutOff: async (conversation, doing) => {
        await o.presenter.say(
          conversation,
          doing
            ? `⚠️ I was restarted while working on this, during ${doing}, so it may or may not have run. Please check before asking again.`
            : '⚠️ I was restarted while working on your last message, so I couldn’t finish it. Please send it again.',
        );
      },
    });
  }

  /** Starts the leases' heartbeat and the sweep for other processes' cut-off turns. */
  start(): Promise<void> {
    return this.leases.start();
  }

  stop(): Promise<void> {
    return this.leases.stop();
  }

  /** Resolves when this process has no turn running (a turn paused in the store counts as done). */
  whenIdle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Records what the conversation's running turn is doing (a tool call), for a sweep to tell. */
  doing(conversation: Conversation, what: string | undefined): void {
    void this.running
      .get(sessionKey(conversation))
      ?.doing(what)
      .catch(() => undefined);
  }

  /**
   * Runs a turn holding its conversation's lease (see turns/leases.ts). Without `wait`, a turn
   * already running there means this one is refused with a sentence; with it, it waits its turn.
   */
  async leased(conversation: Conversation, wait: number, work: () => Promise<void>): Promise<void> {
    // A resumed turn (wait > 0) holds an answer already taken from the store: it goes on even if
    // the store can't give it the lease right now. A new message is better refused.
    const lease = await this.leases.acquire(conversation, wait).catch((err: unknown) => {
      if (wait === 0) throw err;
      this.o.logger.warn({ err: describeError(err) }, 'resuming a turn without its conversation lease');
      return { doing: async () => undefined, release: async () => undefined };
    });
    if (!lease) {
      await this.o.presenter.say(
        conversation,
        'I’m still working on your last message here. Send this again once I’ve answered.',
      );
      return;
    }
    const key = sessionKey(conversation);
    this.running.set(key, lease);
    try {
      await work();
    } finally {
      if (this.running.get(key) === lease) this.running.delete(key);
      await lease.release();
    }
  }

  /**
   * Resumes a paused turn in the background (traced, counted): after any turn running in its
   * conversation now, never interleaved; a failure is told to the person.
   */
  resume(conversation: Conversation, work: () => Promise<void>): void {
    void this.track(() =>
      withSpan('parley.turn.resume', { 'parley.platform': conversation.platform }, () =>
        this.leased(conversation, RESUME_WAIT_MS, work),
      ).catch((err) => this.fail(conversation, err)),
    );
  }

  /** Counts `work` as running in this process until it settles (see {@link whenIdle}). */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.busy += 1;
    try {
      return await work();
    } finally {
      this.busy -= 1;
      if (this.busy === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Ends a failed turn: logged with its code, counted, and told to the person in one sentence. */
  async fail(conversation: Conversation, err: unknown): Promise<void> {
    const e = toParleyError(err);
    this.o.logger.warn({ code: e.code, err: e.message }, 'turn failed');
    metrics.turn(conversation.platform, 'failed');
    await this.o.presenter.say(conversation, `⚠️ ${e.userMessage}`);
  }
}
