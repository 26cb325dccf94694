/**
 * One tool call in flight on a connection: its context, a signal that ends it (and whatever waits
 * on its behalf, such as an open form), and its own clock, which stops while a person answers one
 * of its server requests — the SDK's request timeout can't pause, so it is switched off.
 */
import { ParleyError } from '../errors.js';
import type { CallContext } from './connection.js';

/** Longest delay a Node timer takes (ms): "no SDK timeout", the call's own clock decides. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Why a call that returned ends what waited on its behalf. One shared error: nothing reads its
 * stack, and making one (a stack trace) for every call showed in CPU profiles.
 */
const RETURNED = new Error('the call ended');

/**
 * One call in flight: its context, a signal that ends it (and anything waiting on its behalf),
 * and its clock, which stops while a person answers one of its server requests.
 */
export class ActiveCall {
  readonly ended = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private waiting = 0;
  private readonly requests = new Set<Promise<unknown>>();

  constructor(
    readonly ctx: CallContext,
    private readonly timeoutMs: number,
  ) {
    this.resume();
  }

  pause(): void {
    this.waiting += 1;
    clearTimeout(this.timer);
  }

  /** Restarts the clock (a full `timeoutMs` from now) once nobody is asked any more. */
  resume(): void {
    if (this.waiting > 0) this.waiting -= 1;
    if (this.waiting > 0 || this.ended.signal.aborted) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () =>
        this.end(
          new ParleyError(
            'mcp_timeout',
            `${this.ctx.server} · ${this.ctx.tool} took too long to answer, so I stopped waiting.`,
          ),
        ),
      this.timeoutMs,
    );
    this.timer.unref();
  }

  end(reason: Error): void {
    clearTimeout(this.timer);
    if (!this.ended.signal.aborted) this.ended.abort(reason);
  }

  /** Keeps a server request of this call, so the call's end can wait for it to wind up. */
  track<T>(request: Promise<T>): Promise<T> {
    this.requests.add(request);
    void request.catch(() => undefined).finally(() => this.requests.delete(request));
    return request;
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.requests]);
  }

  /** The call returned: whatever still waits on its behalf (an open form) ends too. */
  finish(): void {
    this.end(RETURNED);
  }
}
