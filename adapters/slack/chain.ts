/**
 * A wizard in one modal. When a form's submit is acknowledged, its modal turns into "Loading the
 * next step…" (`response_action: update`); if the core posts the same person's next form soon
 * after, it opens in that modal (`views.update`) instead of waiting for another "Fill in" click.
 * If nothing follows within the window, the modal says the answer was sent. The message with
 * the "Fill in" button is still posted, so a person who closed the modal can open the step.
 *
 * Modals belong to the process that acknowledged the submit; a next step posted by another
 * process simply isn't chained (its "Fill in" button works as before).
 */
import type { Conversation } from '../../src/conversation.js';
import type { ModalView } from './form-modal.js';

/** How long a loading modal waits for the next step (ms), after the answer was handed on. */
export const NEXT_STEP_WINDOW_MS = 4_000;

type Update = (viewId: string, view: ModalView) => Promise<void>;

export class ModalChain {
  private readonly loading = new Map<string, { viewId: string; timer?: NodeJS.Timeout }>();

  constructor(private readonly windowMs = NEXT_STEP_WINDOW_MS) {}

  /** The person behind a conversation or an actor: forms are chained per person per workspace. */
  static key(who: Pick<Conversation, 'workspace' | 'user'>): string {
    return `${who.workspace}:${who.user}`;
  }

  /** The submit of `key` was acknowledged with a loading view: its modal waits for a next step. */
  expect(key: string, viewId: string): void {
    const old = this.loading.get(key);
    clearTimeout(old?.timer);
    this.loading.set(key, { viewId });
  }

  /** A form is being posted for `key`: the waiting modal to open it in (once), if there is one. */
  take(key: string): string | undefined {
    const entry = this.loading.get(key);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.loading.delete(key);
    return entry.viewId;
  }

  /**
   * The answer was handed on: if no next step took the modal within the window, `finish` updates
   * it with the closing words. A refusal ends the wait at once.
   */
  settle(key: string, viewId: string, finish: Update, view: ModalView, now = false): void {
    const entry = this.loading.get(key);
    if (!entry || entry.viewId !== viewId) return;
    const done = () => {
      if (this.loading.get(key)?.viewId !== viewId) return;
      this.loading.delete(key);
      void finish(viewId, view);
    };
    if (now) {
      done();
      return;
    }
    entry.timer = setTimeout(done, this.windowMs);
    entry.timer.unref();
  }

  /** Stops every wait (shutdown). */
  clear(): void {
    for (const e of this.loading.values()) clearTimeout(e.timer);
    this.loading.clear();
  }
}
