/**
 * Streamed answers on Discord: the answer's message (the deferred "thinking…" reply when a command
 * is waiting for one, else a new message where the conversation's replies go) is edited as text
 * arrives, at most once per `intervalMs` per message (1 s: Discord's pace for editing one message
 * without hitting its rate limit). Past 2,000 characters the text goes on in a next message, cut
 * where a non-streamed answer would be cut (`splitMessage`), so the finished answer reads the same.
 *
 * Streams live in memory: a stream starts and ends in the process running the turn's LLM step.
 */
import type { Conversation } from '../../src/conversation.js';
import { describeError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { feedbackButtons, type MessageBody, noMentions } from './render.js';
import type { DiscordRest } from './rest.js';
import type { MessageRef } from './state.js';
import { splitMessage } from './text.js';

/** Shown at the end of a message still being written. */
const CURSOR = ' ▍';

/** What the stream needs from the Discord surface. */
export interface DiscordStreamHost {
  readonly rest: DiscordRest;
  /** Sends a message where the conversation's replies go (the deferred reply first). */
  send(c: Conversation, message: MessageBody): Promise<MessageRef>;
}

interface Part {
  ref: MessageRef;
  content: string;
}

interface Live {
  c: Conversation;
  text: string;
  parts: Part[];
  lastAt: number;
  timer?: NodeJS.Timeout;
  work: Promise<void>;
  done: boolean;
  failed: boolean;
}

const plain = (content: string): MessageBody => ({ content, allowed_mentions: noMentions() });

export class DiscordStreams {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly host: DiscordStreamHost,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  /** Takes the next piece of stream `id`'s text; edits at most once per interval. */
  append(c: Conversation, id: string, delta: string): void {
    let live = this.live.get(id);
    if (!live) {
      live = { c, text: '', parts: [], lastAt: 0, work: Promise.resolve(), done: false, failed: false };
      this.live.set(id, live);
    }
    live.text += delta;
    this.schedule(live);
  }

  /**
   * Ends stream `id` with the whole answer; its messages end as a non-streamed answer's would,
   * the last one with the 👍/👎 of `answerId` (in the same, last edit).
   */
  async stop(c: Conversation, id: string, text: string, answerId?: string): Promise<void> {
    const live = this.live.get(id);
    this.live.delete(id);
    const votes = answerId ? feedbackButtons(answerId) : undefined;
    if (!live) {
      const parts = splitMessage(text);
      for (const [i, part] of parts.entries())
        await this.host.send(c, {
          ...plain(part),
          ...(i === parts.length - 1 && votes && { components: votes }),
        });
      return;
    }
    live.done = true;
    clearTimeout(live.timer);
    await live.work;
    // The last edit keeps the pace too.
    const wait = live.lastAt + this.intervalMs - Date.now();
    if (wait > 0 && live.parts.length > 0) await new Promise((r) => setTimeout(r, wait));
    await this.show(live, splitMessage(text), votes);
  }

  private schedule(live: Live): void {
    if (live.done || live.failed || live.timer) return;
    const wait = Math.max(0, live.lastAt + this.intervalMs - Date.now());
    live.timer = setTimeout(() => {
      live.timer = undefined;
      live.work = live.work.then(() => this.flush(live));
    }, wait);
  }

  private async flush(live: Live): Promise<void> {
    if (live.done) return;
    // A timer set while the last edit was out counted from that edit's start: wait out the rest.
    if (Date.now() < live.lastAt + this.intervalMs) return this.schedule(live);
    const parts = splitMessage(live.text);
    const last = parts.length - 1;
    // The cursor only where it fits: a full last part is shown as it is.
    if (`${parts[last]}${CURSOR}`.length <= 2000) parts[last] = `${parts[last]}${CURSOR}`;
    try {
      await this.show(live, parts);
    } catch (err) {
      // Discord refused an edit: stop streaming; the finished answer is still shown at the end.
      this.logger.debug({ err: describeError(err) }, 'streaming to Discord failed');
      live.failed = true;
    }
  }

  /**
   * Makes the messages show `parts`: edits the ones that differ, sends the ones not there yet.
   * `components` go on the last part (edited for them even when its text is already there).
   */
  private async show(live: Live, parts: string[], components?: MessageBody['components']): Promise<void> {
    live.lastAt = Date.now();
    try {
      await this.showParts(live, parts, components);
    } finally {
      // The pace counts from Discord's reply, not from the send: the next edit then reaches
      // Discord an interval after this one did, however long this one spent in flight.
      live.lastAt = Date.now();
    }
  }

  private async showParts(
    live: Live,
    parts: string[],
    components?: MessageBody['components'],
  ): Promise<void> {
    for (const [i, content] of parts.entries()) {
      const part = live.parts[i];
      const extra = i === parts.length - 1 && components ? { components } : {};
      if (!part) {
        live.parts.push({ ref: await this.host.send(live.c, { ...plain(content), ...extra }), content });
        continue;
      }
      if (part.content === content && !extra.components) continue;
      await this.edit(part.ref, { ...plain(content), ...extra });
      part.content = content;
    }
  }

  private async edit(ref: MessageRef, message: MessageBody): Promise<void> {
    if (ref.via === 'channel') await this.host.rest.editMessage(ref.channelId, ref.messageId, message);
    else await this.host.rest.editReply(ref, ref.messageId, message);
  }
}
