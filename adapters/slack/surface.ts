/**
 * The Slack side of the adapter port: renders the core's neutral messages as Slack messages.
 *
 * Where things go, decided from the conversation key alone (so any process can post):
 * - a thread (mentions): answers, forms and confirmations in the thread; links privately
 *   (ephemeral) in the thread, since sign-in and consent links belong to one person;
 * - a DM with the bot: everything in the DM, which is already private;
 * - a channel without a thread (the slash command): everything ephemeral to the person.
 *
 * State every process needs lives in the store: the "working" placeholder per session, and per
 * interaction the message that offered it, so whichever process sees it end can rewrite it. What
 * could post as Parley — a `response_url`, and the message records that keep one — is stored only
 * sealed (the core's Sealer port), so a copy of the store can't.
 */
import type { webApi } from '@slack/bolt';
import type { Actor, Conversation } from '../../src/conversation.js';
import { sessionKey } from '../../src/conversation.js';
import { describeError } from '../../src/errors.js';
import type { ParleyHttpServer } from '../../src/http.js';
import type { Logger } from '../../src/logger.js';
import { getJson, SealedRecords, type Sealer, type Store, setJson, takeJson } from '../../src/store/index.js';
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
import { formModal, type ModalView, SLACK_CAPABILITIES } from './form-modal.js';
import { LIMITS } from './kit.js';
import {
  closedMessage,
  confirmHeadline,
  confirmMessage,
  formHeadline,
  formMessage,
  linkHeadline,
  linkMessage,
  markdownMessage,
  type SlackMessage,
} from './messages.js';
import { markdownToMrkdwn } from './mrkdwn.js';
import { SlackStreams, type StreamHost } from './stream.js';

export const PLATFORM = 'slack';

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

/** Where the message offering an interaction is, so it can be rewritten when the interaction ends. */
interface MessageRef {
  channel: string;
  /**
   * Set for ordinary messages (chat.update works on them). Without it the message is ephemeral
   * (or went through a response_url), and only a response_url from a click on it can replace it.
   */
  ts?: string;
  responseUrl?: string;
  headline: string;
}

interface Placeholder {
  channel: string;
  ts: string;
}

type Delivery = 'thread' | 'dm' | 'ephemeral';

/**
 * A form this process offered, kept in memory so the clicks and submits that usually come back to
 * the same process need no store round trip before their ack. The core still decides every answer
 * (owner, once only, expiry) from the store; this only lets the adapter answer Slack sooner.
 */
const REF_TTL_MS = 24 * 3600_000;
const PLACEHOLDER_TTL_MS = 3600_000;
/** Slack's response_url lives 30 minutes. */
export const RESPONSE_URL_TTL_MS = 30 * 60_000;

export const keys = {
  ref: (id: string) => `slack:msg:${id}`,
  placeholder: (c: Conversation) => `slack:ph:${sessionKey(c)}`,
  responseUrl: (c: Conversation) => `slack:resp:${sessionKey(c)}`,
  seen: (id: string) => `slack:seen:${id}`,
  submitted: (id: string, user: string) => `slack:submitted:${id}:${encodeURIComponent(user)}`,
  /** The person opened the App Home lately (home.ts keeps it current for them). */
  home: (identity: string) => `slack:home:${identity}`,
};

function deliveryFor(c: Conversation): Delivery {
  if (c.channel.startsWith('D')) return 'dm';
  return c.thread ? 'thread' : 'ephemeral';
}

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
  /** Per interaction, the message that offered it (with a response_url once one is known). */
  private readonly refs: SealedRecords;
  /** Per session, the last slash command's or shortcut's response_url. */
  private readonly responseUrls: SealedRecords;

  constructor(private readonly options: SlackSurfaceOptions) {
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.refs = new SealedRecords(options.store, options.sealer, options.logger, 'Slack message');
    this.responseUrls = new SealedRecords(
      options.store,
      options.sealer,
      options.logger,
      'Slack response_url',
    );
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
        return this.postInteraction(
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
        return this.postInteraction(
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
  async close(id: string, outcome: InteractionOutcome, viaResponseUrl?: string): Promise<void> {
    // Taken in one step: of two processes that see the interaction end, only one rewrites it.
    const ref = await this.refs.take<MessageRef>(keys.ref(id));
    if (!ref) return;
    const responseUrl = viaResponseUrl ?? ref.responseUrl;
    const msg = closedMessage(ref.headline, outcome);
    if (ref.ts) {
      await this.web.chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, blocks: msg.blocks });
    } else if (responseUrl) {
      await this.respond(responseUrl, { ...msg, replace_original: true });
    } else {
      // An ephemeral message nobody has clicked: a later click's response_url can still rewrite it.
      await this.refs.set(keys.ref(id), ref, REF_TTL_MS);
    }
  }

  /** Notes the response_url of a click on an ephemeral message, the only way to rewrite it later. */
  async rememberResponseUrl(id: string, responseUrl: string): Promise<void> {
    const ref = await this.refs.get<MessageRef>(keys.ref(id));
    if (!ref || ref.ts) return;
    await this.refs.set(keys.ref(id), { ...ref, responseUrl }, REF_TTL_MS);
  }

  /**
   * Keeps a slash command's or shortcut's response_url for the session (sealed, for its 30
   * minutes): the way to reach the person in a channel the bot can't post in.
   */
  rememberCommandResponseUrl(c: Conversation, responseUrl: string): Promise<void> {
    return this.responseUrls.set(keys.responseUrl(c), responseUrl, RESPONSE_URL_TTL_MS);
  }

  /** A short note only the person sees, where the conversation is (ephemeral; plain in a DM). */
  async notice(c: Conversation, text: string): Promise<void> {
    await this.send(c, { text: markdownToMrkdwn(text), blocks: [] }, deliveryFor(c) !== 'dm');
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

  // ───────────────────────────── text and progress ─────────────────────────────

  /**
   * Text goes out as Markdown in a `markdown` block (Slack renders what models write), with a
   * mrkdwn `text` fallback; longer than one message's markdown allowance, it is split on
   * paragraph, line or word breaks (code fences closed and reopened) into several messages.
   */
  delivery(c: Conversation): Delivery {
    return deliveryFor(c);
  }

  takePlaceholder(c: Conversation): Promise<Placeholder | undefined> {
    return takeJson<Placeholder>(this.options.store, keys.placeholder(c));
  }

  setPlaceholder(c: Conversation, ph: Placeholder): Promise<void> {
    return setJson(this.options.store, keys.placeholder(c), ph, PLACEHOLDER_TTL_MS);
  }

  postPlain(c: Conversation, text: string): Promise<string | undefined> {
    return this.send(c, { text, blocks: [] }, false);
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
      for (const msg of messages) await this.send(c, msg, true);
      return;
    }
    // The first part replaces the "working" placeholder, so the answer appears once, where the
    // person was looking.
    const ph = await takeJson<Placeholder>(this.options.store, keys.placeholder(c));
    const [first, ...others] = messages;
    const replaced = ph && first !== undefined && (await this.rewrite(ph, first));
    for (const msg of replaced ? others : messages) await this.send(c, msg, false);
  }

  private async postProgress(c: Conversation, text: string): Promise<void> {
    // A slash command's ack already says Parley is working; ephemeral messages can't be updated.
    if (deliveryFor(c) === 'ephemeral') return;
    const line = `⏳ ${markdownToMrkdwn(text)}`;
    const ph = await getJson<Placeholder>(this.options.store, keys.placeholder(c));
    if (ph && (await this.rewrite(ph, { text: line, blocks: [] }))) return;
    const ts = await this.send(c, { text: line, blocks: [] }, false);
    if (ts)
      await setJson(this.options.store, keys.placeholder(c), { channel: c.channel, ts }, PLACEHOLDER_TTL_MS);
  }

  /**
   * Uploads files into the conversation's place, as Slack documents it: for each file
   * `files.getUploadURLExternal` (filename, length in bytes), the bytes POSTed to its URL, then one
   * `files.completeUploadExternal` sharing them all. Files can't be ephemeral: where replies are
   * private (a slash command in a channel) the person is told instead, rather than the whole
   * channel shown what a tool returned to them.
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
    const uploaded: Array<{ id: string; title: string }> = [];
    for (const file of files) {
      const bytes = Buffer.from(file.data, 'base64');
      // Slack documents `alt_txt` (at most 1,000 characters); the SDK's type calls it alt_text.
      const alt = file.kind === 'image' ? { alt_txt: clip(file.title ?? file.name, 1000) } : {};
      const target = await this.web.files.getUploadURLExternal({
        filename: file.name,
        length: bytes.length,
        ...alt,
      } as Parameters<webApi.WebClient['files']['getUploadURLExternal']>[0]);
      if (!target.upload_url || !target.file_id) throw new Error('Slack gave no upload URL for a file.');
      const res = await this.fetchFn(target.upload_url, { method: 'POST', body: bytes });
      if (!res.ok) throw new Error(`Slack refused a file upload (HTTP ${res.status}).`);
      uploaded.push({ id: target.file_id, title: file.title ?? file.name });
    }
    await this.web.files.completeUploadExternal({
      files: uploaded as [{ id: string; title: string }],
      channel_id: c.channel,
      ...(c.thread && { thread_ts: c.thread }),
    });
  }

  // ───────────────────────────── interactions ─────────────────────────────

  private async postInteraction(
    c: Conversation,
    id: string,
    msg: SlackMessage,
    headline: string,
    ephemeral: boolean,
  ): Promise<void> {
    let ts: string | undefined;
    // The "working" placeholder becomes the offer, where the person is already looking (one call
    // instead of delete + post). Private offers can't replace a public message: it just goes.
    const ph =
      deliveryFor(c) === 'ephemeral'
        ? undefined
        : await takeJson<Placeholder>(this.options.store, keys.placeholder(c));
    if (ph && !ephemeral) {
      if (await this.rewrite(ph, msg)) ts = ph.ts;
    } else if (ph) {
      await this.web.chat.delete({ channel: ph.channel, ts: ph.ts }).catch((err: unknown) => {
        this.options.logger.debug({ err: describeError(err) }, 'placeholder delete failed');
      });
    }
    if (!ts) ts = await this.send(c, msg, ephemeral);
    const ref: MessageRef = { channel: c.channel, headline, ...(ts && { ts }) };
    await this.refs.set(keys.ref(id), ref, REF_TTL_MS);
  }

  /** Rewrites the "working" placeholder in place; false (logged) when Slack refuses, to post anew. */
  private async rewrite(ph: Placeholder, msg: SlackMessage): Promise<boolean> {
    try {
      await this.web.chat.update({
        channel: ph.channel,
        ts: ph.ts,
        text: msg.text,
        ...(msg.blocks.length > 0 && { blocks: msg.blocks }),
      });
      return true;
    } catch (err) {
      this.options.logger.debug({ err: describeError(err) }, 'placeholder update failed; posting instead');
      return false;
    }
  }

  /** Posts in the conversation's place; returns the message ts (ordinary messages only). */
  private async send(c: Conversation, msg: SlackMessage, ephemeral: boolean): Promise<string | undefined> {
    const blocks = msg.blocks.length > 0 ? { blocks: msg.blocks } : {};
    const thread = c.thread ? { thread_ts: c.thread } : {};
    try {
      if (ephemeral) {
        await this.web.chat.postEphemeral({
          channel: c.channel,
          user: c.user,
          text: msg.text,
          ...blocks,
          ...thread,
        });
        return undefined;
      }
      const res = await this.web.chat.postMessage({
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
          ? await this.responseUrls.get<string>(keys.responseUrl(c))
          : undefined;
      if (!url) throw err;
      await this.respond(url, { text: msg.text, ...blocks, replace_original: false });
      return undefined;
    }
  }
}
