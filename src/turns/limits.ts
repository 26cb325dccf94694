/**
 * Fair use: how fast one person, and one workspace, may send messages, and how many language
 * model tokens one person may use per hour. The counters live in the store (rate-limiter-flexible
 * on the shared Redis), so a person spreading messages over several processes still has one
 * budget. A limit of 0 is off.
 */
import { type Actor, type Conversation, identityKey } from '../conversation.js';
import type { Logger } from '../logger.js';
import type { RateLimiter, RateLimitVerdict, Store } from '../store/index.js';

export interface RateLimits {
  /** Messages one person may send per minute (0: unlimited). */
  personPerMinute: number;
  /** Messages one workspace (Slack team, Discord guild) may send per minute, everyone together (0: unlimited). */
  workspacePerMinute: number;
  /** Language model tokens (prompt + completion, as the model reports them) one person may use per hour (0: unlimited). */
  tokensPerPersonPerHour: number;
}

export const NO_LIMITS: RateLimits = { personPerMinute: 0, workspacePerMinute: 0, tokensPerPersonPerHour: 0 };

const enc = encodeURIComponent;

export class TurnLimits {
  private readonly person: RateLimiter | undefined;
  private readonly workspace: RateLimiter | undefined;
  private readonly tokens: RateLimiter | undefined;

  constructor(
    store: Store,
    limits: RateLimits,
    private readonly logger: Logger,
  ) {
    const per = (name: string, points: number, durationSeconds: number) =>
      points > 0 ? store.rateLimiter({ name, points, durationSeconds }) : undefined;
    this.person = per('person', limits.personPerMinute, 60);
    this.workspace = per('workspace', limits.workspacePerMinute, 60);
    this.tokens = per('tokens', limits.tokensPerPersonPerHour, 3600);
  }

  /**
   * Counts one message from `conversation`'s person. Resolves with the sentence to answer
   * instead of running it when a limit is reached, undefined when it may go on. `usesModel`:
   * the message would ask the language model, so the person's token budget must have room.
   * Throws `store_unavailable` when the counters can't be reached.
   */
  async admit(conversation: Conversation, usesModel: boolean): Promise<string | undefined> {
    const person = identityKey(conversation);
    if (usesModel && this.tokens) {
      const verdict = await this.tokens.check(person);
      if (!verdict.ok)
        return `You’ve used your share of the language model for now — try again in ${wait(verdict)}.`;
    }
    const mine = await this.person?.consume(person);
    if (mine && !mine.ok)
      return `You’re sending messages faster than I can handle — try again in ${wait(mine)}.`;
    const team = await this.workspace?.consume(
      [conversation.platform, conversation.workspace].map(enc).join(':'),
    );
    if (team && !team.ok)
      return `This workspace is sending messages faster than I can handle — try again in ${wait(team)}.`;
    return undefined;
  }

  /** Counts `tokens` the model used for `actor` (never refuses: they are spent already). */
  spent(actor: Actor, tokens: number): void {
    if (!this.tokens || tokens <= 0) return;
    this.tokens
      .charge(identityKey(actor), tokens)
      .catch((err: unknown) => this.logger.warn({ err: String(err) }, 'could not count LLM tokens'));
  }
}

/** "N seconds" (at least 1), or "N minutes" past two minutes. */
function wait(verdict: Extract<RateLimitVerdict, { ok: false }>): string {
  const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
  if (seconds > 120) return `${Math.ceil(seconds / 60)} minutes`;
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}
