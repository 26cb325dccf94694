/**
 * The message that offered an interaction (a form, a confirmation, a link): posted where the person
 * is looking, and recorded by interaction id so whichever process sees the interaction end can
 * rewrite it to say how it ended. A record can hold a response_url (the only way to rewrite an
 * ephemeral message), so records are kept only sealed (the core's Sealer port).
 */
import type { webApi } from '@slack/bolt';
import type { Conversation } from '../../src/conversation.js';
import { describeError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { SealedRecords, type Sealer, type Store } from '../../src/store/index.js';
import { type InteractionOutcome, ShowingViews } from '../../src/surface.js';
import { keys } from './keys.js';
import { closedMessage, type SlackMessage } from './messages.js';
import { RESPONSE_URL_TTL_MS, type ResponseUrls } from './response-urls.js';
import { deliveryFor, type SlackSender } from './send.js';

/** Where the message offering an interaction is, so it can be rewritten when the interaction ends. */
interface MessageRef {
  channel: string;
  /**
   * Set for ordinary messages (chat.update works on them). Without it the message is ephemeral
   * (or went through a response_url), and only a response_url from a click on it can replace it:
   * that is kept apart, under `keys.refUrl` (see `rememberResponseUrl`).
   */
  ts?: string;
  headline: string;
}

const REF_TTL_MS = 24 * 3600_000;

export interface MessageRefsOptions {
  store: Store;
  /** Seals the records (the deployment's PARLEY_SECRET). */
  sealer: Sealer;
  logger: Logger;
  /** The bot's client, once the adapter has started (throws before). */
  web: () => webApi.WebClient;
  sender: SlackSender;
  responseUrls: ResponseUrls;
}

export class MessageRefs {
  /** Per interaction, the message that offered it (with a response_url once one is known). */
  private readonly refs: SealedRecords;
  /** Offers being posted by this process: a close waits for their record (ShowingViews). */
  private readonly showing = new ShowingViews();

  constructor(private readonly o: MessageRefsOptions) {
    this.refs = new SealedRecords(o.store, o.sealer, o.logger, 'Slack message');
  }

  /** Posts the message offering interaction `id` and records where it is (`headline` for later). */
  offer(c: Conversation, id: string, msg: SlackMessage, headline: string, ephemeral: boolean): Promise<void> {
    return this.showing.show(id, this.post(c, id, msg, headline, ephemeral));
  }

  private async post(
    c: Conversation,
    id: string,
    msg: SlackMessage,
    headline: string,
    ephemeral: boolean,
  ): Promise<void> {
    let ts: string | undefined;
    // The "working" placeholder becomes the offer, where the person is already looking (one call
    // instead of delete + post). Private offers can't replace a public message: it just goes.
    const ph = deliveryFor(c) === 'ephemeral' ? undefined : await this.o.sender.takePlaceholder(c);
    if (ph && !ephemeral) {
      if (await this.o.sender.rewrite(ph, msg)) ts = ph.ts;
    } else if (ph) {
      await this.o
        .web()
        .chat.delete({ channel: ph.channel, ts: ph.ts })
        .catch((err: unknown) => {
          this.o.logger.debug({ err: describeError(err) }, 'placeholder delete failed');
        });
    }
    if (!ts) ts = await this.o.sender.send(c, msg, ephemeral);
    const ref: MessageRef = { channel: c.channel, headline, ...(ts && { ts }) };
    await this.refs.set(keys.ref(id), ref, REF_TTL_MS);
  }

  /** Rewrites an interaction's message to say how it ended; buttons go away. */
  async close(id: string, outcome: InteractionOutcome, viaResponseUrl?: string): Promise<void> {
    // Offered here a moment ago: its record is written once the offer is posted (or failed).
    await this.showing.settled(id);
    // Taken in one step: of two processes that see the interaction end, only one rewrites it.
    const ref = await this.refs.take<MessageRef>(keys.ref(id));
    if (!ref) return;
    const msg = closedMessage(ref.headline, outcome);
    if (ref.ts) {
      await this.o
        .web()
        .chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, blocks: msg.blocks });
      return;
    }
    // A noted URL is taken too: it can post as Parley, and nothing needs it once this is closed.
    const noted = await this.refs.take<string>(keys.refUrl(id));
    const responseUrl = viaResponseUrl ?? noted;
    if (responseUrl) {
      await this.o.responseUrls.respond(responseUrl, { ...msg, replace_original: true });
    } else {
      // An ephemeral message nobody has clicked: a later click's response_url can still rewrite it.
      await this.refs.set(keys.ref(id), ref, REF_TTL_MS);
    }
  }

  /**
   * Notes the response_url of a click on an ephemeral message, the only way to rewrite it later
   * (for the URL's 30 minutes). Kept in a record of its own: writing it into the message's record
   * (read, then written back) could bring that record back just after another process took it to
   * close the message, which would then be rewritten twice.
   */
  async rememberResponseUrl(id: string, responseUrl: string): Promise<void> {
    await this.refs.set(keys.refUrl(id), responseUrl, RESPONSE_URL_TTL_MS);
  }
}
