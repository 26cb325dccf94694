/**
 * After a sign-in ends (the OAuth callback, in whichever process received it; callback.ts): the
 * people who waited are told, their sign-in links are closed, and the turns that paused for the
 * sign-in resume (or are cancelled when it failed).
 */
import type { AnswerDesk } from '../interactions/answers.js';
import type { Resolution } from '../interactions/delivery.js';
import type { PendingStore } from '../interactions/pending.js';
import type { Presenter } from '../interactions/presenter.js';
import type { SignInOutcome } from './callback.js';

export interface ResumeAfterSignInDeps {
  presenter: Presenter;
  pending: PendingStore;
  desk: AnswerDesk;
}

/**
 * Tells each conversation in `outcome.notify` once, settles each waiter's sign-in link (`done`,
 * which resumes its turn, or `cancelled`), and tells the surfaces the person's home changed.
 */
export async function resumeAfterSignIn(deps: ResumeAfterSignInDeps, outcome: SignInOutcome): Promise<void> {
  const { presenter, pending, desk } = deps;
  for (const conversation of outcome.notify) {
    const text = outcome.ok
      ? `✅ You’re signed in to **${outcome.title}**.`
      : `⚠️ ${outcome.message ?? `Signing in to ${outcome.title} didn’t work.`}`;
    await presenter.say(conversation, text);
  }
  const resolution: Resolution = { action: outcome.ok ? 'accept' : 'cancel' };
  for (const waiter of outcome.waiters) {
    const record = await pending.get(waiter.interactionId);
    if (record) await desk.settle(record, resolution, outcome.ok ? 'done' : 'cancelled');
  }
  // Signed in (or not after all): the person's home shows it either way.
  if (outcome.actor.platform) presenter.homeChanged(outcome.actor);
}
