/**
 * Posting one message in a conversation's place, decided from the conversation key alone (so any
 * process can post): in the thread for a thread, in the DM for a DM, and ephemeral to the person in
 * a channel without a thread (the slash command) — falling back to the command's response_url
 * where the bot can't post. Also the "working" placeholder each session shows while Parley works,
 * kept in the store so whichever process answers can replace it in place.
 */
import type { webApi } from '@slack/bolt';
import type { Conversation } from '../../src/conversation.js';
import { describeError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { getJson, type Store, setJson, takeJson } from '../../src/store/index.js';
import { keys } from './keys.js';
import type { SlackMessage } from './messages.js';
import type { ResponseUrls } from './response-urls.js';

/** Where a conversation's messages go (not the core's `Delivery`, which hands answers on). */
export type Placement = 'thread' | 'dm' | 'ephemeral';

export function deliveryFor(c: Conversation): Placement {
  if (c.channel.startsWith('D')) return 'dm';
  return c.thread ? 'thread' : 'ephemeral';
}

/** The "working" message of a session, which the answer (or an offer) replaces. */
export interface Placeholder {
  channel: string;
  ts: string;
}

const PLACEHOLDER_TTL_MS = 3600_000;

export interface SlackSenderOptions {
  store: Store;
  logger: Logger;
  /** The bot's client, once the adapter has started (throws before). */
  web: () => webApi.WebClient;
  responseUrls: ResponseUrls;
}

export class SlackSender {
  constructor(private readonly o: SlackSenderOptions) {}

  /** The session's placeholder, taken: it is then the caller's to replace or delete. */
  takePlaceholder(c: Conversation): Promise<Placeholder | undefined> {
    return takeJson<Placeholder>(this.o.store, keys.placeholder(c));
  }

  /** The session's placeholder, left in place (a progress line rewrites it again and again). */
  getPlaceholder(c: Conversation): Promise<Placeholder | undefined> {
    return getJson<Placeholder>(this.o.store, keys.placeholder(c));
  }

  setPlaceholder(c: Conversation, ph: Placeholder): Promise<void> {
    return setJson(this.o.store, keys.placeholder(c), ph, PLACEHOLDER_TTL_MS);
  }

  /** Rewrites the "working" placeholder in place; false (logged) when Slack refuses, to post anew. */
  async rewrite(ph: Placeholder, msg: SlackMessage): Promise<boolean> {
    try {
      await this.o.web().chat.update({
        channel: ph.channel,
        ts: ph.ts,
        text: msg.text,
        ...(msg.blocks.length > 0 && { blocks: msg.blocks }),
      });
      return true;
    } catch (err) {
      this.o.logger.debug({ err: describeError(err) }, 'placeholder update failed; posting instead');
      return false;
    }
  }

  /** Posts in the conversation's place; returns the message ts (ordinary messages only). */
  async send(c: Conversation, msg: SlackMessage, ephemeral: boolean): Promise<string | undefined> {
    const blocks = msg.blocks.length > 0 ? { blocks: msg.blocks } : {};
    const thread = c.thread ? { thread_ts: c.thread } : {};
    try {
      if (ephemeral) {
        await this.o.web().chat.postEphemeral({
          channel: c.channel,
          user: c.user,
          text: msg.text,
          ...blocks,
          ...thread,
        });
        return undefined;
      }
      const res = await this.o.web().chat.postMessage({
        channel: c.channel,
        text: msg.text,
        ...blocks,
        ...thread,
      });
      return res.ts;
    } catch (err) {
      // A slash command in a channel the bot isn't in: its response_url still reaches the person.
      const code = (err as { data?: { error?: string } }).data?.error;
      const url =
        code === 'channel_not_found' || code === 'not_in_channel'
          ? await this.o.responseUrls.forSession(c)
          : undefined;
      if (!url) throw err;
      await this.o.responseUrls.respond(url, { text: msg.text, ...blocks, replace_original: false });
      return undefined;
    }
  }
}
