/**
 * Feedback on answers: the 👍/👎 a surface shows under a model's final answer (Slack's feedback
 * buttons, Discord buttons). Counted here, in the store — per answer, one vote per person — and in
 * `parley_feedback_total`. Adapters only pass the click on (ParleyInbound.feedback) and show the
 * sentence this returns.
 *
 * One vote per person per answer, and the first one stands: a second click (a change of mind, a
 * double click, a delivery the platform retried) changes nothing and is told so. That keeps the
 * store's tally and the metric (a counter, which can't take a vote back) telling the same story.
 *
 * Keys, all with the answer's hash tag: `feedback:{id}` (the answer exists and where it was
 * given), `feedback:{id}:by:<digest of the person>` (their vote), `feedback:{id}:votes` (the tally,
 * one item per counted vote).
 */
import { createHash } from 'node:crypto';
import { type Actor, type Conversation, identityKey } from './conversation.js';
import { describeError } from './errors.js';
import type { Logger } from './logger.js';
import { metrics } from './observability/metrics.js';
import { getJson, type Store, setJson } from './store/index.js';

export const FEEDBACK_VALUES = ['good', 'bad'] as const;
export type FeedbackValue = (typeof FEEDBACK_VALUES)[number];

export type FeedbackReply =
  /** `counted`: this click was the person's vote; false when they had voted already. */
  | { ok: true; counted: boolean; message: string }
  /**
   * `expired`: no such answer (too old, or an id that was never Parley's); `unavailable`: the
   * store failed and nothing was counted — the person may click again.
   */
  | { ok: false; code: 'expired' | 'unavailable'; message: string };

/** What feedback an answer has: one vote per person. */
export interface FeedbackTally {
  good: number;
  bad: number;
}

/** How long an answer can be rated (and its tally kept). */
export const FEEDBACK_TTL_MS = 30 * 24 * 3600_000;
/** Most votes one answer's tally keeps (a thread no bigger than a large channel). */
const MAX_VOTES = 10_000;

export const FEEDBACK_SENTENCES = {
  thanks: 'Thanks for the feedback.',
  already: (v: FeedbackValue) => `You already rated this answer ${v === 'good' ? '👍' : '👎'} — thanks!`,
  expired: 'This answer is too old to rate.',
  unavailable: 'I couldn’t record that just now. Please try again.',
} as const;

interface AnswerRecord {
  platform: string;
  at: number;
}

/** Answer ids are turn ids: 16 base64url characters. Anything else never reaches the store. */
export function isAnswerId(id: string): boolean {
  return /^[A-Za-z0-9_-]{16,32}$/.test(id);
}

export class FeedbackStore {
  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = FEEDBACK_TTL_MS,
  ) {}

  /** Notes that answer `id` was given in `conversation`, so votes on it are taken. */
  async answered(conversation: Conversation, id: string): Promise<void> {
    const record: AnswerRecord = { platform: conversation.platform, at: this.now() };
    await setJson(this.store, answerKey(id), record, this.ttlMs);
  }

  /**
   * A person's 👍/👎 on answer `id`: counted when it is their first on that answer (the store's
   * tally and `parley_feedback_total{surface,value}`), else left as it was. Never throws.
   */
  async record(id: string, actor: Actor, value: FeedbackValue): Promise<FeedbackReply> {
    if (!isAnswerId(id) || !FEEDBACK_VALUES.includes(value))
      return { ok: false, code: 'expired', message: FEEDBACK_SENTENCES.expired };
    try {
      const answer = await getJson<AnswerRecord>(this.store, answerKey(id));
      if (!answer || answer.platform !== actor.platform)
        return { ok: false, code: 'expired', message: FEEDBACK_SENTENCES.expired };
      const mark = voteKey(id, actor);
      if (!(await this.store.setIfAbsent(mark, value, this.ttlMs))) {
        const earlier = (await this.store.get(mark)) === 'bad' ? 'bad' : 'good';
        return { ok: true, counted: false, message: FEEDBACK_SENTENCES.already(earlier) };
      }
      try {
        await this.store.append(tallyKey(id), [value], MAX_VOTES, this.ttlMs);
      } catch (err) {
        // Not counted: the mark goes too, so the person's next click counts.
        await this.store.delete(mark).catch(() => undefined);
        throw err;
      }
      metrics.feedback(actor.platform, value);
      return { ok: true, counted: true, message: FEEDBACK_SENTENCES.thanks };
    } catch (err) {
      this.logger.warn({ err: describeError(err) }, 'recording feedback failed');
      return { ok: false, code: 'unavailable', message: FEEDBACK_SENTENCES.unavailable };
    }
  }

  /** The votes counted on answer `id` (zero when it has none, or is gone). */
  async tally(id: string): Promise<FeedbackTally> {
    const votes = isAnswerId(id) ? await this.store.range(tallyKey(id)) : [];
    return {
      good: votes.filter((v) => v === 'good').length,
      bad: votes.filter((v) => v === 'bad').length,
    };
  }
}

function answerKey(id: string): string {
  return `feedback:{${id}}`;
}

function tallyKey(id: string): string {
  return `feedback:{${id}}:votes`;
}

function voteKey(id: string, actor: Actor): string {
  const who = createHash('sha256').update(identityKey(actor), 'utf8').digest('base64url').slice(0, 22);
  return `feedback:{${id}}:by:${who}`;
}
