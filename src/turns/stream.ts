/**
 * An answer streamed to a surface while the model writes it. Text arrives synchronously from the
 * LLM stream; posts go out one at a time, in order, and whatever arrived while a post was in
 * flight goes out as one append — so a slow surface costs fewer calls, never reordered text.
 * Platform limits (edits per second, message length) are the surface's to keep.
 */
import type { Conversation } from '../conversation.js';
import type { Presenter } from '../interactions/presenter.js';

export class AnswerStream {
  /** Everything streamed so far. */
  text = '';
  private pending = '';
  private flushing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly presenter: Presenter,
    private readonly conversation: Conversation,
    readonly id: string,
  ) {}

  /** True once any text was streamed (the surface shows a message for it). */
  get started(): boolean {
    return this.text.length > 0;
  }

  /** Hands the stream a piece of text; never throws, never waits. */
  push(delta: string): void {
    if (this.stopped || !delta) return;
    this.text += delta;
    this.pending += delta;
    if (!this.flushing) this.flushing = this.flush();
  }

  private async flush(): Promise<void> {
    while (this.pending) {
      const text = this.pending;
      this.pending = '';
      await this.presenter.post(this.conversation, { kind: 'stream', id: this.id, phase: 'append', text });
    }
    this.flushing = undefined;
  }

  /**
   * Ends the stream with its whole text (`text`, or what was streamed) after the appends still in
   * flight. Returns false when the surface failed to show it: the caller then says it plainly.
   * `answerId`: a final answer's, for its 👍/👎 (see OutboundMessage).
   */
  async stop(text = this.text, answerId?: string): Promise<boolean> {
    this.stopped = true;
    while (this.flushing) await this.flushing;
    return this.presenter.post(this.conversation, {
      kind: 'stream',
      id: this.id,
      phase: 'stop',
      text,
      ...(answerId && { answerId }),
    });
  }
}
