/**
 * Streamed answers on Slack. In a thread, the answer streams with Slack's chat streaming API
 * (`chat.startStream` / `appendStream` / `stopStream`, through web-api's `chatStream` helper);
 * where that is unavailable (a DM without a thread, a workspace or token without it, a refusal)
 * the "working" placeholder is edited in place instead. Either way calls are throttled to one per
 * `intervalMs` per message (chat.update is Tier 3: about one a second per message is safe), and
 * the finished answer is rewritten with exactly the rendering of a non-streamed answer (the
 * surface's `answer`). Private deliveries (a slash command in a channel) can't be edited: their
 * answer is posted once, finished.
 *
 * Streams live in memory: a stream starts and ends in the process running the turn's LLM step.
 */
import type { webApi } from '@slack/bolt';
import type { Conversation } from '../../src/conversation.js';
import { describeError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { markdownToMrkdwn } from './mrkdwn.js';

/** Slack's limit for `markdown_text` in one streaming call (chat.appendStream docs). */
export const STREAM_CHUNK_LIMIT = 12_000;
/**
 * Most of the text shown while editing in place: Slack advises keeping a message's `text` under
 * 4,000 characters (it truncates past 40,000); the finished answer is split properly.
 */
const EDIT_TEXT_LIMIT = 3_900;
/** Shown at the end of a message still being written (edit-in-place mode). */
const CURSOR = ' ▍';

/** Errors that mean the streaming API isn't there for this app: don't try it again. */
const UNAVAILABLE = new Set([
  'unknown_method',
  'missing_scope',
  'not_allowed_token_type',
  'method_deprecated',
  'feature_not_enabled',
]);

/** What the stream needs from the Slack surface. */
export interface StreamHost {
  readonly web: webApi.WebClient;
  /** Where the conversation's messages go. */
  delivery(c: Conversation): 'thread' | 'dm' | 'ephemeral';
  /** The "working" placeholder message, taken (it is then this stream's to use or delete). */
  takePlaceholder(c: Conversation): Promise<{ channel: string; ts: string } | undefined>;
  setPlaceholder(c: Conversation, ph: { channel: string; ts: string }): Promise<void>;
  /** Posts a message in the conversation's place; its ts. */
  postPlain(c: Conversation, text: string): Promise<string | undefined>;
  /** Shows a finished answer as non-streamed answers are shown (rewriting the placeholder). */
  answer(c: Conversation, text: string, answerId?: string): Promise<void>;
}

type Mode = 'new' | 'api' | 'edit' | 'quiet';

interface Live {
  c: Conversation;
  mode: Mode;
  text: string;
  /** How much of `text` Slack has. */
  sent: number;
  streamer?: webApi.ChatStreamer;
  ph?: { channel: string; ts: string };
  lastAt: number;
  timer?: NodeJS.Timeout;
  work: Promise<void>;
  /** Set at stop: nothing more is sent for it. */
  done: boolean;
  /** Slack refused a call: no more updates until the finished answer. */
  broken?: boolean;
}

export class SlackStreams {
  private readonly live = new Map<string, Live>();
  /** Set once Slack said the streaming API isn't available to this app. */
  private apiUnavailable = false;

  constructor(
    private readonly host: StreamHost,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  /** Takes the next piece of stream `id`'s text; sends at most once per interval. */
  append(c: Conversation, id: string, delta: string): void {
    let live = this.live.get(id);
    if (!live) {
      const mode: Mode = this.host.delivery(c) === 'ephemeral' ? 'quiet' : 'new';
      live = { c, mode, text: '', sent: 0, lastAt: 0, work: Promise.resolve(), done: false };
      this.live.set(id, live);
    }
    live.text += delta;
    this.schedule(live);
  }

  /** Ends stream `id` with the whole answer, rendered as a non-streamed answer is (👍/👎 too). */
  async stop(c: Conversation, id: string, text: string, answerId?: string): Promise<void> {
    const live = this.live.get(id);
    this.live.delete(id);
    if (!live) return this.host.answer(c, text, answerId);
    live.done = true;
    clearTimeout(live.timer);
    await live.work;
    if (live.mode === 'api' && live.streamer) {
      try {
        const rest = live.text.slice(live.sent);
        await live.streamer.stop(rest ? { markdown_text: rest.slice(0, STREAM_CHUNK_LIMIT) } : {});
      } catch (err) {
        this.logger.debug({ err: describeError(err) }, 'chat.stopStream failed');
      }
      const ts = live.streamer.ts;
      if (ts) await this.host.setPlaceholder(c, { channel: c.channel, ts });
    } else if (live.ph) {
      await this.host.setPlaceholder(c, live.ph);
    }
    await this.host.answer(c, text, answerId);
  }

  private schedule(live: Live): void {
    if (live.mode === 'quiet' || live.done || live.broken || live.timer) return;
    const wait = Math.max(0, live.lastAt + this.intervalMs - Date.now());
    live.timer = setTimeout(() => {
      live.timer = undefined;
      live.work = live.work.then(() => this.flush(live));
    }, wait);
  }

  private async flush(live: Live): Promise<void> {
    if (live.done || live.sent >= live.text.length) return;
    // A timer set while the last call was out counted from that call's start: wait out the rest.
    if (Date.now() < live.lastAt + this.intervalMs) return this.schedule(live);
    live.lastAt = Date.now();
    try {
      if (live.mode === 'new') await this.begin(live);
      else if (live.mode === 'api') await this.appendApi(live);
      else if (live.mode === 'edit') await this.edit(live);
    } catch (err) {
      // A refused update leaves the message as it was; the finished answer still replaces it.
      this.logger.debug({ err: describeError(err), mode: live.mode }, 'streaming to Slack failed');
      // Nothing more is sent; a started stream is still stopped and rewritten at the end.
      live.broken = true;
    }
    // The pace counts from Slack's reply, not from the send: the next call then reaches Slack an
    // interval after this one did, however long this one spent in flight.
    live.lastAt = Date.now();
    // Text that came while this call was out goes in the next one, an interval later.
    if (live.sent < live.text.length) this.schedule(live);
  }

  private async begin(live: Live): Promise<void> {
    const { c } = live;
    if (c.thread && !this.apiUnavailable) {
      live.streamer = this.host.web.chatStream({
        channel: c.channel,
        thread_ts: c.thread,
        // Required outside DMs: the person the streamed answer is for.
        ...(this.host.delivery(c) !== 'dm' && { recipient_user_id: c.user, recipient_team_id: c.workspace }),
        buffer_size: 1,
      });
      try {
        await this.appendApi(live);
        live.mode = 'api';
        // The streamed message takes the placeholder's place.
        const ph = await this.host.takePlaceholder(c);
        if (ph)
          await this.host.web.chat.delete({ channel: ph.channel, ts: ph.ts }).catch((err: unknown) => {
            this.logger.debug({ err: describeError(err) }, 'placeholder delete failed');
          });
        return;
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code && UNAVAILABLE.has(code)) this.apiUnavailable = true;
        this.logger.debug({ err: describeError(err) }, 'chat streaming unavailable; editing in place');
        live.streamer = undefined;
        live.sent = 0;
      }
    }
    live.mode = 'edit';
    await this.edit(live);
  }

  private async appendApi(live: Live): Promise<void> {
    const streamer = live.streamer as webApi.ChatStreamer;
    // Only what is here now: text arriving meanwhile waits for the next interval.
    const end = live.text.length;
    while (live.sent < end) {
      const piece = live.text.slice(live.sent, Math.min(end, live.sent + STREAM_CHUNK_LIMIT));
      await streamer.append({ markdown_text: piece });
      live.sent += piece.length;
    }
  }

  /** Edit-in-place: the placeholder (or a new message) shows the text so far. */
  private async edit(live: Live): Promise<void> {
    const { c } = live;
    const shown = `${markdownToMrkdwn(live.text).slice(0, EDIT_TEXT_LIMIT - CURSOR.length)}${CURSOR}`;
    live.sent = live.text.length;
    if (!live.ph) {
      live.ph = await this.host.takePlaceholder(c);
      if (!live.ph) {
        const ts = await this.host.postPlain(c, shown);
        if (ts) live.ph = { channel: c.channel, ts };
        else live.mode = 'quiet';
        return;
      }
    }
    await this.host.web.chat.update({ channel: live.ph.channel, ts: live.ph.ts, text: shown });
  }
}
