/**
 * A tool's progress as the person sees it: `notifications/progress` of a call (MCP 2025-11-25
 * "Progress": `progress`, optional `total` and `message`) become the conversation's status line,
 * at most one post per `intervalMs`, always in order. A burst keeps only its newest update (shown
 * at the end of the interval); nothing is posted once the call has ended.
 */
import type { Conversation } from '../conversation.js';
import type { Presenter } from '../interactions/presenter.js';

/** One progress notification's content (MCP `ProgressNotificationParams`, token aside). */
export interface ToolProgress {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

/** "Running demo · sync… 3/10 — copying files" (the status a progress update shows). */
export function progressLine(origin: string, p: ToolProgress): string {
  const count = p.total !== undefined ? `${p.progress}/${p.total}` : `${p.progress}`;
  const message = p.message?.trim();
  return `Running ${origin}… ${count}${message ? ` — ${message}` : ''}`;
}

export class ProgressReporter {
  private lastAt = 0;
  private pending: ToolProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly presenter: Presenter,
    private readonly conversation: Conversation,
    private readonly origin: string,
    private readonly intervalMs = 1_000,
  ) {}

  /** Takes an update from the server (never throws, never waits). */
  readonly update = (p: ToolProgress): void => {
    if (this.ended) return;
    this.pending = p;
    if (this.timer) return;
    const wait = Math.max(0, this.lastAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  };

  private flush(): void {
    this.timer = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (!p || this.ended) return;
    this.lastAt = Date.now();
    const text = progressLine(this.origin, p);
    // Posts go one after another, so the status never steps back.
    this.chain = this.chain.then(() => this.presenter.post(this.conversation, { kind: 'progress', text }));
  }

  /** The call ended: no more status from it; resolves once what was posted is out. */
  async end(): Promise<void> {
    this.ended = true;
    clearTimeout(this.timer);
    await this.chain;
  }
}
