/**
 * The Slack side of the adapter port: renders the core's neutral messages as Slack messages.
 *
 * Where things go, decided from the conversation key alone (so any process can post; send.ts):
 * - a thread (mentions): answers, forms and confirmations in the thread; links privately
 *   (ephemeral) in the thread, since sign-in and consent links belong to one person;
 * - a DM with the bot: everything in the DM, which is already private;
 * - a channel without a thread (the slash command): everything ephemeral to the person.
 *
 * State every process needs lives in the store: the "working" placeholder per session (send.ts),
 * and per interaction the message that offered it, so whichever process sees it end can rewrite it
 * (message-refs.ts). What could post as Parley — a `response_url` (response-urls.ts), and the
 * message records that keep one — is stored only sealed (the core's Sealer port), so a copy of the
 * store can't.
 */
import type { webApi } from '@slack/bolt';
import type { Actor, Conversation } from '../../src/conversation.js';
import { describeError } from '../../src/errors.js';
import type { ParleyHttpServer } from '../../src/http.js';
import type { Logger } from '../../src/logger.js';
import type { Sealer, Store } from '../../src/store/index.js';
import type {
  ChatSurface,
  FormView,
  InteractionOutcome,
  OutboundFile,
  OutboundMessage,
} from '../../src/surface.js';
import { splitText } from '../../src/text.js';
import { isAssistantThread, statusFor, waitingStatus } from './assistant.js';
import { ModalChain } from './chain.js';
import { feedbackBlock } from './feedback.js';
import { uploadFiles } from './files.js';
import { formModal, type ModalView, SLACK_CAPABILITIES } from './form-modal.js';
import { LIMITS } from './kit.js';
import { MessageRefs } from './message-refs.js';
import {
  confirmHeadline,
  confirmMessage,
  formHeadline,
  formMessage,
  linkHeadline,
  linkMessage,
  markdownMessage,
} from './messages.js';
import { markdownToMrkdwn } from './mrkdwn.js';
import { ResponseUrls } from './response-urls.js';
import { deliveryFor, type Placeholder, type Placement, SlackSender } from './send.js';
import { SlackStreams, type StreamHost } from './stream.js';

/** The adapter's store keys (keys.ts), also here for the inbound handlers. */
export { keys } from './keys.js';

export const PLATFORM = 'slack';

export interface SlackSurfaceOptions {
  store: Store;
  /** Seals response URLs and the message records holding one (the deployment's PARLEY_SECRET). */
  sealer: Sealer;
  logger: Logger;
  http?: ParleyHttpServer | undefined;
  /** Background work (message rewrites) is tracked so tests and shutdown can wait for it. */
  track: (work: Promise<unknown>) => void;
  fetch?: typeof fetch;
  /** Least time between two updates of a message being streamed (ms; default 1000). */
  streamIntervalMs?: number;
}

export class SlackSurface implements ChatSurface, StreamHost {
  readonly platform = PLATFORM;
  readonly capabilities = SLACK_CAPABILITIES;
  readonly streams = true;
  private client: webApi.WebClient | undefined;
  private readonly fetchFn: typeof fetch;
  /** Submitted modals waiting for a wizard's next step (see chain.ts). */
  readonly chain = new ModalChain();
  private readonly streamed: SlackStreams;
  /** Set by the adapter to its App Home (home.ts), which re-publishes a person's home. */
  onHomeChanged: ((actor: Actor) => void) | undefined;
  /** Per interaction, the message that offered it (message-refs.ts). */
  private readonly refs: MessageRefs;
  /** Per session, the last slash command's or shortcut's response_url (response-urls.ts). */
  private readonly responseUrls: ResponseUrls;
  /** Posting one message where the conversation's messages go, and the placeholder (send.ts). */
  private readonly sender: SlackSender;

  constructor(private readonly options: SlackSurfaceOptions) {
    this.fetchFn = options.fetch ?? globalThis.fetch;
    const web = () => this.web;
    this.responseUrls = new ResponseUrls(options.store, options.sealer, options.logger, this.fetchFn);
    this.sender = new SlackSender({
      store: options.store,
      logger: options.logger,
      web,
      responseUrls: this.responseUrls,
    });
    this.refs = new MessageRefs({
      store: options.store,
      sealer: options.sealer,
      logger: options.logger,
      web,
      sender: this.sender,
      responseUrls: this.responseUrls,
    });
    this.streamed = new SlackStreams(this, options.logger, options.streamIntervalMs);
  }

  /** Set once the adapter has checked the bot token. */
  setClient(client: webApi.WebClient): void {
    this.client = client;
  }

  get web(): webApi.WebClient {
    if (!this.client) throw new Error('The Slack adapter was not started, so it cannot post yet.');
    return this.client;
  }

  /**
   * A wizard's next step opens in the modal its last step was submitted from, when that modal is
   * still waiting. A failure leaves the "Fill in" button as the way in.
   */
  private async openInWaitingModal(conversation: Conversation, view: FormView): Promise<void> {
    const viewId = this.chain.take(ModalChain.key(conversation));
    if (!viewId) return;
    const built = formModal(view.id, view.form, view.origin);
    if (!built.ok) return;
    try {
      await this.web.views.update({ view_id: viewId, view: built.view });
    } catch (err) {
      // Usually the person closed the waiting modal: the step's "Fill in" button is the way in.
      this.options.logger.debug(
        { err: describeError(err) },
        'Slack: opening the next step in the modal failed',
      );
    }
  }

  homeChanged(actor: Actor): void {
    this.onHomeChanged?.(actor);
  }

  /** Replaces a waiting modal's content (the chain's closing words). */
  async updateModal(viewId: string, view: ModalView): Promise<void> {
    try {
      await this.web.views.update({ view_id: viewId, view });
    } catch (err) {
      this.options.logger.debug({ err: describeError(err) }, 'Slack: updating a finished modal failed');
    }
  }

  async post(conversation: Conversation, message: OutboundMessage): Promise<void> {
    // An assistant thread has a status line for what Parley is doing; a message clears it.
    if ((message.kind === 'progress' || 'view' in message) && (await this.inAssistantThread(conversation))) {
      if (message.kind === 'progress') return this.setStatus(conversation, statusFor(message.text));
      await this.render(conversation, message);
      return this.setStatus(conversation, waitingStatus(message.kind));
    }
    return this.render(conversation, message);
  }

  private async inAssistantThread(c: Conversation): Promise<boolean> {
    return (
      Boolean(c.thread) &&
      deliveryFor(c) === 'dm' &&
      isAssistantThread(this.options.store, c.channel, c.thread as string)
    );
  }

  /** assistant.threads.setStatus; a failure only costs the status line (logged). */
  private async setStatus(c: Conversation, status: string): Promise<void> {
    try {
      await this.web.assistant.threads.setStatus({
        channel_id: c.channel,
        thread_ts: c.thread as string,
        status,
      });
    } catch (err) {
      this.options.logger.debug({ err: describeError(err) }, 'assistant status failed');
    }
  }

  private async render(conversation: Conversation, message: OutboundMessage): Promise<void> {
    switch (message.kind) {
      case 'text':
        if (message.text) await this.postText(conversation, message.text, message.answerId);
        if (message.files?.length) await this.postFiles(conversation, message.files);
        return;
      case 'stream':
        if (message.phase === 'append') return this.streamed.append(conversation, message.id, message.text);
        return this.streamed.stop(conversation, message.id, message.text, message.answerId);
      case 'progress':
        return this.postProgress(conversation, message.text);
      case 'notice':
        return this.notice(conversation, message.text);
      case 'form':
      case 'confirm': {
        if (message.kind === 'form') await this.openInWaitingModal(conversation, message.view);
        const [msg, headline] =
          message.kind === 'form'
            ? [formMessage(message.view, conversation.user), formHeadline(message.view)]
            : [confirmMessage(message.view, conversation.user), confirmHeadline(message.view)];
        return this.refs.offer(
          conversation,
          message.view.id,
          msg,
          headline,
          deliveryFor(conversation) === 'ephemeral',
        );
      }
      case 'link': {
        const view = message.view;
        const url =
          view.url.length > LIMITS.buttonUrl && this.options.http
            ? await this.options.http.shortLink(view.url, Math.max(60_000, view.expiresAt - Date.now()))
            : view.url;
        return this.refs.offer(
          conversation,
          view.id,
          linkMessage(view, url),
          linkHeadline(view),
          // Links are personal (sign-in, consent): never a message others in the channel can see.
          deliveryFor(conversation) !== 'dm',
        );
      }
      case 'closed':
        // Rewriting the old message must not hold up the answer that closed it (the ack waits).
        this.options.track(
          this.close(message.id, message.outcome).catch((err: unknown) =>
            this.options.logger.warn(
              { err: describeError(err), id: message.id },
              'could not update a Slack message',
            ),
          ),
        );
        return;
    }
  }

  /** Rewrites an interaction's message to say how it ended; buttons go away. */
  close(id: string, outcome: InteractionOutcome, viaResponseUrl?: string): Promise<void> {
    return this.refs.close(id, outcome, viaResponseUrl);
  }

  /** Notes the response_url of a click on an ephemeral message, the only way to rewrite it later. */
  rememberResponseUrl(id: string, responseUrl: string): Promise<void> {
    return this.refs.rememberResponseUrl(id, responseUrl);
  }

  /**
   * Keeps a slash command's or shortcut's response_url for the session (sealed, for its 30
   * minutes): the way to reach the person in a channel the bot can't post in.
   */
  rememberCommandResponseUrl(c: Conversation, responseUrl: string): Promise<void> {
    return this.responseUrls.remember(c, responseUrl);
  }

  /** A short note only the person sees, where the conversation is (ephemeral; plain in a DM). */
  async notice(c: Conversation, text: string): Promise<void> {
    await this.sender.send(c, { text: markdownToMrkdwn(text), blocks: [] }, deliveryFor(c) !== 'dm');
  }

  /** Posts to a response_url (ephemeral replies, replacing an ephemeral message). */
  respond(url: string, body: Record<string, unknown>): Promise<void> {
    return this.responseUrls.respond(url, body);
  }

  // ───────────────────────────── text and progress ─────────────────────────────

  /**
   * Text goes out as Markdown in a `markdown` block (Slack renders what models write), with a
   * mrkdwn `text` fallback; longer than one message's markdown allowance, it is split on
   * paragraph, line or word breaks (code fences closed and reopened) into several messages.
   */
  delivery(c: Conversation): Placement {
    return deliveryFor(c);
  }

  takePlaceholder(c: Conversation): Promise<Placeholder | undefined> {
    return this.sender.takePlaceholder(c);
  }

  setPlaceholder(c: Conversation, ph: Placeholder): Promise<void> {
    return this.sender.setPlaceholder(c, ph);
  }

  postPlain(c: Conversation, text: string): Promise<string | undefined> {
    return this.sender.send(c, { text, blocks: [] }, false);
  }

  answer(c: Conversation, text: string, answerId?: string): Promise<void> {
    return this.postText(c, text, answerId);
  }

  /** `answerId`: a final answer's; its last message gets the 👍/👎 (feedback.ts). */
  private async postText(c: Conversation, text: string, answerId?: string): Promise<void> {
    const messages = splitText(text, LIMITS.markdownText).map(markdownMessage);
    const last = messages.at(-1);
    if (answerId && last) last.blocks.push(feedbackBlock(answerId));
    const delivery = deliveryFor(c);
    if (delivery === 'ephemeral') {
      for (const msg of messages) await this.sender.send(c, msg, true);
      return;
    }
    // The first part replaces the "working" placeholder, so the answer appears once, where the
    // person was looking.
    const ph = await this.sender.takePlaceholder(c);
    const [first, ...others] = messages;
    const replaced = ph && first !== undefined && (await this.sender.rewrite(ph, first));
    for (const msg of replaced ? others : messages) await this.sender.send(c, msg, false);
  }

  private async postProgress(c: Conversation, text: string): Promise<void> {
    // A slash command's ack already says Parley is working; ephemeral messages can't be updated.
    if (deliveryFor(c) === 'ephemeral') return;
    const line = `⏳ ${markdownToMrkdwn(text)}`;
    const ph = await this.sender.getPlaceholder(c);
    if (ph && (await this.sender.rewrite(ph, { text: line, blocks: [] }))) return;
    const ts = await this.sender.send(c, { text: line, blocks: [] }, false);
    if (ts) await this.sender.setPlaceholder(c, { channel: c.channel, ts });
  }

  /**
   * Uploads files into the conversation's place (files.ts). Files can't be ephemeral: where
   * replies are private (a slash command in a channel) the person is told instead, rather than
   * the whole channel shown what a tool returned to them.
   */
  private async postFiles(c: Conversation, files: OutboundFile[]): Promise<void> {
    if (deliveryFor(c) === 'ephemeral') {
      const names = files.map((f) => `\`${f.name}\``).join(', ');
      await this.notice(
        c,
        `📎 The result has files (${names}) I can only share in a thread or in our DM — ask me there to get them.`,
      );
      return;
    }
    await uploadFiles(this.web, this.fetchFn, c, files);
  }
}
