/**
 * Live interactions: a question that waits in this process for its answer — a 2025-11-25
 * server request (elicitation, sampling) during a call, or a form Parley itself asks (a prompt's
 * arguments). One waiting path for both: shown once its waiter exists, closed with the reason
 * when it expires or what it belongs to ends.
 */
import type { Conversation } from '../conversation.js';
import type { CallContext } from '../mcp/connection.js';
import { toInputResponse } from '../turns/state.js';
import type { Delivery, Resolution } from './delivery.js';
import { RoundExpiry } from './expiry.js';
import type { FormSpec } from './form.js';
import type { PendingInteraction, PendingStore } from './pending.js';
import { holdKey, type Presenter } from './presenter.js';
import type { InputRequests, ServerRequest } from './requests.js';

export interface LiveInteractionsOptions {
  processId: string;
  requests: InputRequests;
  delivery: Delivery;
  presenter: Presenter;
  pending: PendingStore;
  now: () => number;
}

export class LiveInteractions {
  /** The stored rounds this process posted, until they lapse (see {@link expireStored}). */
  private readonly expiry: RoundExpiry;

  constructor(private readonly o: LiveInteractionsOptions) {
    this.expiry = new RoundExpiry(
      (lapse) => void this.closeUnanswered(lapse.id, lapse, 'lapsed').catch(() => undefined),
      o.now,
    );
  }

  /**
   * A record of a stored (2026-07-28 MRTR) round, posted by this process: nothing waits on it
   * here, so nothing would notice its lifetime end. When it does, it is closed like a live form
   * that expired — the store decides, once (the same take as {@link closeUnanswered}), so an
   * answer that arrived first wins and nothing is said. One unref'd timer for them all ({@link RoundExpiry});
   * a process that restarts forgets them (the offer then closes when next clicked, as before).
   * Returns what cancels it (the record was never shown).
   */
  expireStored(record: PendingInteraction, ctx: CallContext): () => void {
    // Only what the sentence needs: the call's context holds far more (its progress callback).
    const { conversation, server, tool } = ctx;
    return this.expiry.add({ id: record.id, conversation, server, tool }, record.expiresAt);
  }

  /** Forgets the stored rounds' expiry (the agent stops). */
  stop(): void {
    this.expiry.stop();
  }

  private get route() {
    return { type: 'live', processId: this.o.processId } as const;
  }

  /**
   * A server request of the call `ctx`: answered at once, or shown to the person and awaited.
   * Resolves with the request's result; throws to answer the server with an error.
   */
  async serverRequest(
    ctx: CallContext,
    request: ServerRequest,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const dispatched = await this.o.requests.dispatch(ctx, request, this.route);
    if (dispatched.kind === 'answered') return dispatched.result;
    if (dispatched.kind === 'failed') throw new Error(dispatched.message);
    return toInputResponse(await this.await(dispatched.record, ctx, signal));
  }

  /** A form Parley asks itself; undefined when it couldn't be shown (the person is told why). */
  async ask(conversation: Conversation, origin: string, form: FormSpec): Promise<Resolution | undefined> {
    const shown = await this.o.presenter.show(conversation, origin, this.route, { kind: 'form', form });
    if (!shown.ok) {
      await this.o.presenter.say(conversation, `⚠️ ${origin}: ${shown.reason}.`);
      return undefined;
    }
    return this.await(shown.record, { conversation, server: origin, tool: '' }, new AbortController().signal);
  }

  /** Waits for the answer to a shown record, releasing its view once the waiter exists. */
  private async await(
    record: PendingInteraction,
    ctx: CallContext,
    signal: AbortSignal,
  ): Promise<Resolution> {
    let closing: Promise<void> | undefined;
    const answered = this.o.delivery.wait(record.id, this.o.pending.ttl, signal, (why) => {
      closing = this.closeUnanswered(record.id, ctx, why);
    });
    await this.o.presenter.release(holdKey(this.route, record.id));
    const resolution = await answered;
    await closing;
    return resolution;
  }

  /**
   * A form ended without an answer: it expired (live, or `lapsed`: a stored round, whose tool is
   * not waiting and hears nothing), or what it belongs to ended (the server finished or withdrew
   * it, the connection was lost). Its message is closed and the person told.
   */
  private async closeUnanswered(
    id: string,
    ctx: Pick<CallContext, 'conversation' | 'server' | 'tool'>,
    why: 'expired' | 'ended' | 'lapsed',
  ): Promise<void> {
    const { conversation } = ctx;
    // The store's TTL may have dropped the record already; only an answer (a tombstone) means
    // there is nothing to tell the person.
    const taken = await this.o.pending.take(id, 'expired', this.o.now()).catch(() => undefined);
    if (!taken && (await this.o.pending.tombstone(id).catch(() => undefined))) return;
    await this.o.presenter.close({ id, conversation }, 'expired');
    await this.o.presenter.say(conversation, UNANSWERED[why](ctx));
  }
}

const UNANSWERED: Record<
  'expired' | 'ended' | 'lapsed',
  (ctx: Pick<CallContext, 'server' | 'tool'>) => string
> = {
  expired: () =>
    'The form expired before it was answered, so the tool was told you cancelled. Ask again any time.',
  lapsed: (ctx) =>
    `The form expired before it was answered, so ${ctx.server} · ${ctx.tool} stopped there. Ask again any time.`,
  ended: (ctx) => `${ctx.server} · ${ctx.tool} stopped before you answered, so I closed its form.`,
};
