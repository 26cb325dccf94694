/**
 * A recording chat surface: the test's adapter. It keeps every neutral message the agent posts,
 * per conversation, and lets a test wait for one. (It is an adapter, the edge the core talks to —
 * not a stand-in for core code.)
 */
import { expect } from 'vitest';
import type { Conversation } from '../../src/conversation.js';
import type {
  ChatSurface,
  ConfirmView,
  FormView,
  LinkView,
  OutboundMessage,
  SurfaceCapabilities,
} from '../../src/surface.js';

export interface Posted {
  conversation: Conversation;
  message: OutboundMessage;
}

export class RecordingSurface implements ChatSurface {
  readonly posts: Posted[] = [];
  constructor(
    readonly platform = 'test',
    readonly capabilities?: SurfaceCapabilities,
    /** Take answers as streams (`stream` messages) instead of whole texts. */
    readonly streams = false,
  ) {}

  async post(conversation: Conversation, message: OutboundMessage): Promise<void> {
    this.posts.push({ conversation, message });
  }

  for(user: string): OutboundMessage[] {
    return this.posts.filter((p) => p.conversation.user === user).map((p) => p.message);
  }

  texts(user: string): string[] {
    return this.for(user).flatMap((m) =>
      m.kind === 'text' || m.kind === 'notice' || (m.kind === 'stream' && m.phase === 'stop') ? [m.text] : [],
    );
  }

  async waitForText(user: string, pattern: RegExp, timeout = 10_000): Promise<string> {
    await expect
      .poll(() => this.texts(user).some((t) => pattern.test(t)), { timeout, interval: 20 })
      .toBe(true);
    return this.texts(user).find((t) => pattern.test(t)) as string;
  }

  /** Waits for the n-th (1-based) interaction of a kind posted to `user`. */
  async waitFor<K extends 'form' | 'link' | 'confirm'>(
    user: string,
    kind: K,
    nth = 1,
    timeout = 10_000,
  ): Promise<K extends 'form' ? FormView : K extends 'link' ? LinkView : ConfirmView> {
    const list = () => this.for(user).filter((m) => m.kind === kind);
    await expect.poll(() => list().length, { timeout, interval: 20 }).toBeGreaterThanOrEqual(nth);
    const m = list()[nth - 1] as Extract<OutboundMessage, { kind: K }>;
    return (m as unknown as { view: never }).view;
  }
}

export function conv(user: string, channel = 'C1', platform = 'test'): Conversation {
  return { platform, workspace: 'W1', channel, user };
}
