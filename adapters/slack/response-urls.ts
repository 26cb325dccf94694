/**
 * Slack's response_url: the way to reach a person where the bot can't post (a slash command in a
 * channel it isn't in) and the only way to replace an ephemeral message. A command's or shortcut's
 * URL is kept per session for its 30 minutes, and only sealed (the core's Sealer port): it can post
 * as Parley, so a copy of the store must not be able to.
 */
import type { Conversation } from '../../src/conversation.js';
import type { Logger } from '../../src/logger.js';
import { SealedRecords, type Sealer, type Store } from '../../src/store/index.js';
import { keys } from './keys.js';

/** Slack's response_url lives 30 minutes. */
export const RESPONSE_URL_TTL_MS = 30 * 60_000;

export class ResponseUrls {
  /** Per session, the last slash command's or shortcut's response_url. */
  private readonly records: SealedRecords;

  constructor(
    store: Store,
    sealer: Sealer,
    logger: Logger,
    private readonly fetchFn: typeof fetch,
  ) {
    this.records = new SealedRecords(store, sealer, logger, 'Slack response_url');
  }

  /**
   * Keeps a slash command's or shortcut's response_url for the session (sealed, for its 30
   * minutes): the way to reach the person in a channel the bot can't post in.
   */
  remember(c: Conversation, responseUrl: string): Promise<void> {
    return this.records.set(keys.responseUrl(c), responseUrl, RESPONSE_URL_TTL_MS);
  }

  /** The session's last command response_url, while it lives. */
  forSession(c: Conversation): Promise<string | undefined> {
    return this.records.get<string>(keys.responseUrl(c));
  }

  /** Posts to a response_url (ephemeral replies, replacing an ephemeral message). */
  async respond(url: string, body: Record<string, unknown>): Promise<void> {
    const res = await this.fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', ...body }),
    });
    if (!res.ok) throw new Error(`Slack refused the response_url post (HTTP ${res.status}).`);
  }
}
