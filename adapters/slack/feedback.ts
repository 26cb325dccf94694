/**
 * 👍/👎 under Parley's final answers in Slack: Slack's `feedback_buttons` element in a
 * `context_actions` block (Block Kit reference: at most 5 elements in the block; each button's
 * text plain_text ≤ 75 characters, value ≤ 2,000, accessibility_label ≤ 75). A click goes to the
 * core (ParleyInbound.feedback), which counts it; the person alone is told the core's sentence
 * (ephemeral, through the click's response_url).
 */
import type { App, BlockAction, FeedbackButtonsAction, types } from '@slack/bolt';
import type { Actor } from '../../src/conversation.js';
import { describeError } from '../../src/errors.js';
import type { FeedbackValue, ParleyInbound } from '../../src/inbound.js';
import type { Logger } from '../../src/logger.js';

export const FEEDBACK_ACTION = 'parley_feedback';

/** The buttons under answer `answerId`; each button's value says which and for what answer. */
export function feedbackBlock(answerId: string): types.ContextActionsBlock {
  return {
    type: 'context_actions',
    elements: [
      {
        type: 'feedback_buttons',
        action_id: FEEDBACK_ACTION,
        positive_button: {
          text: { type: 'plain_text', text: '👍' },
          value: `good:${answerId}`,
          accessibility_label: 'This answer was helpful',
        },
        negative_button: {
          text: { type: 'plain_text', text: '👎' },
          value: `bad:${answerId}`,
          accessibility_label: 'This answer was not helpful',
        },
      },
    ],
  };
}

/** `good:<id>` / `bad:<id>` back to the vote; undefined for anything else. */
export function readFeedbackValue(value: string): { value: FeedbackValue; answerId: string } | undefined {
  const m = /^(good|bad):(.+)$/.exec(value);
  return m ? { value: m[1] as FeedbackValue, answerId: m[2] as string } : undefined;
}

export interface FeedbackOptions {
  app: App;
  agent: ParleyInbound;
  logger: Logger;
  actorOf: (body: BlockAction) => Actor;
  /** Tells only the clicker (an ephemeral reply through the click's response_url). */
  tell: (responseUrl: string, text: string) => Promise<void>;
}

export function registerFeedback(o: FeedbackOptions): void {
  o.app.action<BlockAction<FeedbackButtonsAction>>(FEEDBACK_ACTION, async ({ ack, body, action }) => {
    await ack();
    try {
      const vote = readFeedbackValue(action.value ?? '');
      if (!vote) return;
      const reply = await o.agent.feedback(vote.answerId, o.actorOf(body), vote.value);
      if (body.response_url) await o.tell(body.response_url, reply.message);
    } catch (err) {
      o.logger.warn({ err: describeError(err) }, 'Slack feedback click failed');
    }
  });
}
