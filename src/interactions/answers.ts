/**
 * Answers: the single place that decides what a person's click, submit or close means. It checks
 * the owner, that the answer fits the interaction, the values against the form, and that nothing
 * answered it before (a claim, then an atomic take); it words every reply a person sees. Adapters
 * only call it (through the inbound port) and show its sentence.
 */
import { type Actor, sameActor } from '../conversation.js';
import { toParleyError } from '../errors.js';
import type { Answer, AnswerRefusal, AnswerReply, LookupReply, Received } from '../inbound.js';
import type { Logger } from '../logger.js';
import type { InteractionOutcome } from '../surface.js';
import type { Delivery, Resolution } from './delivery.js';
import { validateSubmission } from './form.js';
import type { PendingInteraction, PendingStore } from './pending.js';
import { type Presenter, viewMessage } from './presenter.js';

export const SENTENCES = {
  notYours: 'This form isn’t yours.',
  used: 'This was already answered.',
  expired: 'This form has expired. Please ask again.',
  expiredOnDelivery: 'This form expired before your answer arrived. Please ask again.',
  mismatch: 'That answer doesn’t fit this request.',
  fix: 'Some answers need fixing.',
} as const;

type Decision = { resolution: Resolution; outcome: InteractionOutcome; url?: string } | AnswerRefusal;

export interface AnswerDeskOptions {
  pending: PendingStore;
  presenter: Presenter;
  delivery: Delivery;
  logger: Logger;
  now: () => number;
}

export class AnswerDesk {
  /** Interactions whose answer this process is handing on (see {@link claim}). */
  private readonly claimed = new Set<string>();

  constructor(private readonly o: AnswerDeskOptions) {}

  /** Checks and hands on an answer in one call. */
  async answer(id: string, actor: Actor, answer: Answer): Promise<AnswerReply> {
    const received = await this.receive(id, actor, answer);
    return received.ok ? received.deliver() : received;
  }

  /**
   * Checks an answer and claims it for this caller; `deliver` consumes and hands it on. Nothing is
   * consumed by a refusal: an invalid form stays open for a corrected submit.
   */
  async receive(id: string, actor: Actor, answer: Answer): Promise<Received> {
    try {
      const found = await this.find(id, actor);
      if (!found.ok) return found;
      const { record } = found;
      const decision = decide(record, answer);
      if ('ok' in decision) return decision;
      if (!this.claim(id)) return refuse('used', SENTENCES.used);
      return {
        ok: true,
        deliver: async () => {
          const reply = await this.deliver(record, decision);
          if (!reply.ok && reply.code !== 'used')
            await this.o.presenter.post(record.conversation, { kind: 'notice', text: reply.message });
          return reply;
        },
      };
    } catch (err) {
      return this.unavailable(err);
    }
  }

  /** The interaction for its owner, to render it again. */
  async lookup(id: string, actor: Actor): Promise<LookupReply> {
    try {
      const found = await this.find(id, actor);
      if (!found.ok) return found;
      const message = viewMessage(found.record);
      return { ok: true, interaction: message } as LookupReply;
    } catch (err) {
      return this.unavailable(err);
    }
  }

  /**
   * Ends an interaction without a person's answer (a surface couldn't show it, its sign-in
   * finished): consumes it and hands `resolution` on. False when it was answered already.
   */
  async settle(
    record: PendingInteraction,
    resolution: Resolution,
    outcome: InteractionOutcome,
  ): Promise<boolean> {
    // What ended it (a finished sign-in, say) is true whether or not anything still waited.
    if ((await this.o.delivery.hand(record, resolution, outcome)) === 'used') return false;
    await this.o.presenter.close(record, outcome);
    return true;
  }

  private async deliver(
    record: PendingInteraction,
    decision: Exclude<Decision, AnswerRefusal>,
  ): Promise<AnswerReply> {
    try {
      const handed = await this.o.delivery.hand(record, decision.resolution, decision.outcome);
      // Consumed (or someone else consumed it): the tombstone refuses any later answer.
      this.claimed.delete(record.id);
      if (handed === 'used') return refuse('used', SENTENCES.used);
      await this.o.presenter.close(record, handed === 'delivered' ? decision.outcome : 'expired');
      if (handed === 'expired') return refuse('expired', SENTENCES.expiredOnDelivery);
      return decision.url ? { ok: true, url: decision.url } : { ok: true };
    } catch (err) {
      // Nothing was consumed (or it was put back): the person may answer again.
      this.unclaim(record.id);
      return this.unavailable(err);
    }
  }

  /**
   * The once-only claim, in this process's memory: of two submits reaching this process (a double
   * click, a replayed delivery), the second is refused at once, with no store round trip before
   * Slack's 3-second ack. Across processes the atomic take decides (the loser hears "already
   * answered" from `deliver`). Not in the store: a claim written there outlives a hand-off that
   * failed when its release failed too — as both do while a Redis master dies — and would then
   * refuse every retry with "already answered" although nothing was.
   */
  private claim(id: string): boolean {
    if (this.claimed.has(id)) return false;
    this.claimed.add(id);
    return true;
  }

  private unclaim(id: string): void {
    this.claimed.delete(id);
  }

  private async find(
    id: string,
    actor: Actor,
  ): Promise<{ ok: true; record: PendingInteraction } | AnswerRefusal> {
    const record = this.o.presenter.knownRecord(id) ?? (await this.o.pending.get(id));
    if (!record) {
      const tomb = await this.o.pending.tombstone(id);
      // A form closed because its time ran out left a tombstone too: that one is "expired", not
      // "already answered" (an untrue sentence, and the person would not ask again).
      return tomb && tomb.outcome !== 'expired'
        ? refuse('used', SENTENCES.used)
        : refuse('expired', SENTENCES.expired);
    }
    if (!sameActor(record.conversation, actor)) return refuse('not_yours', SENTENCES.notYours);
    return { ok: true, record };
  }

  private unavailable(err: unknown): AnswerRefusal {
    const e = toParleyError(err);
    this.o.logger.warn({ code: e.code, err: e.message }, 'answer failed');
    return refuse('unavailable', e.userMessage);
  }
}

function refuse(
  code: AnswerRefusal['code'],
  message: string,
  errors?: Record<string, string>,
): AnswerRefusal {
  return errors ? { ok: false, code, message, errors } : { ok: false, code, message };
}

/** What an answer means for this interaction, or why it doesn't fit. */
function decide(record: PendingInteraction, answer: Answer): Decision {
  if (answer.action === 'decline') return { resolution: { action: 'decline' }, outcome: 'declined' };
  if (answer.action === 'cancel') return { resolution: { action: 'cancel' }, outcome: 'cancelled' };
  switch (record.kind) {
    case 'form': {
      if (answer.action !== 'submit' || !record.form) break;
      const checked = validateSubmission(record.form, answer.values);
      if (!checked.ok) return refuse('invalid', SENTENCES.fix, checked.errors);
      return { resolution: { action: 'accept', content: checked.content }, outcome: 'submitted' };
    }
    case 'confirm':
      if (answer.action !== 'approve') break;
      return { resolution: { action: 'accept', content: {} }, outcome: 'confirmed' };
    case 'link': {
      const purpose = record.link?.purpose;
      if (answer.action === 'open' && purpose === 'consent')
        return { resolution: { action: 'accept' }, outcome: 'opened', url: record.link?.url as string };
      if (answer.action === 'done' && purpose === 'retry')
        return { resolution: { action: 'accept' }, outcome: 'done' };
      break;
    }
  }
  return refuse('invalid', SENTENCES.mismatch);
}
