/**
 * The Discord side of the surface port: renders the core's neutral messages as Discord messages.
 *
 * Where things go is decided from the conversation's stored route alone (so any process can
 * post): a slash command's replies go through its interaction webhook while the token lives
 * (ephemeral for private commands), everything else to the channel, thread or DM. Links that are
 * personal (sign-in, retry) go privately: ephemeral where an interaction allows it, as they are in
 * a DM, and behind a "Show my link" button in a shared channel. `post` throws when Discord refuses:
 * the core then declines an interaction it could not show, with the reason.
 */
import { MessageFlags } from 'discord.js';
import { type Conversation, sessionKey } from '../../src/conversation.js';
import { describeError, ParleyError } from '../../src/errors.js';
import type { ParleyHttpServer } from '../../src/http.js';
import type { Logger } from '../../src/logger.js';
import type {
  ChatSurface,
  ConfirmView,
  FormView,
  InteractionOutcome,
  LinkView,
  OutboundFile,
  OutboundMessage,
} from '../../src/surface.js';
import { DISCORD_CAPABILITIES, planForm } from './forms.js';
import {
  closedMessage,
  confirmMessage,
  consentMessage,
  feedbackButtons,
  formButtons,
  formText,
  LINK_URL_LIMIT,
  type MessageBody,
  noMentions,
  privateLinkMessage,
  revealMessage,
} from './render.js';
import type { DiscordRest, UploadFile } from './rest.js';
import { type DiscordState, DM, type MessageRef } from './state.js';
import { DiscordStreams } from './stream.js';
import { clip, splitMessage } from './text.js';

export const PLATFORM = 'discord';

/** Discord's documented limits for a message's files: 10 attachments, 10 MiB together (unboosted). */
export const ATTACHMENT_LIMITS = { perMessage: 10, totalBytes: 10 * 1024 * 1024 };

/** Groups files into messages within Discord's attachment limits, in order. */
function fileBatches(files: OutboundFile[]): UploadFile[][] {
  const batches: UploadFile[][] = [];
  let current: UploadFile[] = [];
  let bytes = 0;
  for (const f of files) {
    const data = Buffer.from(f.data, 'base64');
    if (
      current.length >= ATTACHMENT_LIMITS.perMessage ||
      (current.length && bytes + data.length > ATTACHMENT_LIMITS.totalBytes)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ name: f.name, data, contentType: f.mimeType });
    bytes += data.length;
  }
  if (current.length) batches.push(current);
  return batches;
}
/** Discord shows "typing…" for about 10 s; renewed this often while a turn runs, this many times. */
const TYPING_RENEW_MS = 8_000;
const TYPING_RENEW_MAX = 30;

export interface DiscordSurfaceOptions {
  rest: DiscordRest;
  state: DiscordState;
  logger: Logger;
  /** Parley's HTTP server: `/l/:id` short links for URLs longer than a link button takes. */
  http?: ParleyHttpServer | undefined;
  now: () => number;
  /** Least time between two edits of a message being streamed (ms; default 1000). */
  streamIntervalMs?: number;
}

/** A plain message body in which nobody is pinged. */
export function body(content: string): MessageBody {
  return { content, allowed_mentions: noMentions() };
}

export class DiscordSurface implements ChatSurface {
  readonly platform = PLATFORM;
  readonly capabilities = DISCORD_CAPABILITIES;
  readonly streams = true;
  private readonly streamed: DiscordStreams;
  /** "typing…" kept up per conversation until something is said there (this process only). */
  private readonly typing = new Map<string, NodeJS.Timeout>();

  constructor(private readonly o: DiscordSurfaceOptions) {
    this.streamed = new DiscordStreams(
      { rest: o.rest, send: (c, m) => this.send(c, m) },
      o.logger,
      o.streamIntervalMs,
    );
  }

  async post(conversation: Conversation, message: OutboundMessage): Promise<void> {
    if (message.kind !== 'progress' && message.kind !== 'closed') this.stopTyping(conversation);
    switch (message.kind) {
      case 'text': {
        const parts = message.text ? splitMessage(message.text) : [];
        const batches = fileBatches(message.files ?? []);
        // Files ride on the last part of the text; more than one message's worth follow it. A
        // final answer's last part has its 👍/👎.
        const last = parts.pop() ?? (batches.length ? '📎' : undefined);
        const votes = message.answerId ? { components: feedbackButtons(message.answerId) } : {};
        for (const part of parts) await this.send(conversation, body(part));
        if (last !== undefined)
          await this.send(conversation, { ...body(last), ...votes }, { files: batches.shift() });
        for (const batch of batches) await this.send(conversation, body('📎'), { files: batch });
        return;
      }
      case 'stream':
        if (message.phase === 'append') return this.streamed.append(conversation, message.id, message.text);
        return this.streamed.stop(conversation, message.id, message.text, message.answerId);
      case 'progress':
        return this.progress(conversation, message.text);
      case 'notice':
        for (const part of splitMessage(message.text))
          await this.send(conversation, body(part), { private: true });
        return;
      case 'form':
        return this.o.state.posting.show(message.view.id, this.showForm(conversation, message.view));
      case 'confirm':
        return this.o.state.posting.show(message.view.id, this.showConfirm(conversation, message.view));
      case 'link':
        return this.o.state.posting.show(message.view.id, this.showLink(conversation, message.view));
      case 'closed':
        return this.close(message.id, message.outcome);
    }
  }

  /** A link button's URL: the link itself, or a short redirect on Parley's server when too long. */
  async href(url: string, expiresAt: number): Promise<string> {
    if (url.length <= LINK_URL_LIMIT) return url;
    if (!this.o.http)
      throw new ParleyError(
        'config_invalid',
        'A link is longer than Discord allows on a button, and no HTTP server is configured for short links.',
      );
    return this.o.http.shortLink(url, Math.max(expiresAt - this.o.now(), 60_000));
  }

  // ───────────────────────────── interactions ─────────────────────────────

  private ownerMention(c: Conversation): string | undefined {
    return c.workspace === DM ? undefined : `<@${c.user}>`;
  }

  private async showForm(c: Conversation, view: FormView): Promise<void> {
    const planned = planForm(view.form);
    // The core checked the form against DISCORD_CAPABILITIES; what still fails here is declined
    // by the core, which hears of it from this throw.
    if (!planned.ok) throw new Error(`a form the core passed can't be shown on Discord: ${planned.reason}`);
    const parts = splitMessage(formText(view, planned.plan, this.ownerMention(c)));
    const last = parts.pop() as string;
    for (const part of parts) await this.send(c, body(part));
    const message: MessageBody = {
      content: last,
      components: formButtons(view.id),
      allowed_mentions: noMentions([c.user]),
    };
    await this.o.state.track(view.id, await this.send(c, message), last, view.expiresAt);
  }

  private async showConfirm(c: Conversation, view: ConfirmView): Promise<void> {
    const message = { ...confirmMessage(view, this.ownerMention(c)), allowed_mentions: noMentions([c.user]) };
    await this.o.state.track(view.id, await this.send(c, message), message.content, view.expiresAt);
  }

  private async showLink(c: Conversation, view: LinkView): Promise<void> {
    let message: MessageBody;
    let ref: MessageRef;
    if (view.purpose === 'consent') {
      message = { ...consentMessage(view, this.ownerMention(c)), allowed_mentions: noMentions([c.user]) };
      ref = await this.send(c, message);
    } else if ((await this.o.state.usableRoute(c)).type === 'channel' && c.workspace !== DM) {
      // A shared channel without an interaction to answer privately: a button reveals the link.
      message = { ...revealMessage(view, `<@${c.user}>`), allowed_mentions: noMentions([c.user]) };
      ref = await this.send(c, message);
    } else {
      message = privateLinkMessage(view, await this.href(view.url, view.expiresAt), { answers: true });
      ref = await this.send(c, message, { private: true });
    }
    await this.o.state.track(view.id, ref, message.content, view.expiresAt);
  }

  /** Rewrites the messages of an ended interaction: the outcome appended, no buttons left. */
  private async close(id: string, outcome: InteractionOutcome): Promise<void> {
    for (const t of await this.o.state.takeTracked(id)) {
      const edit = closedMessage(t.content, outcome);
      try {
        if (t.ref.via === 'channel') await this.o.rest.editMessage(t.ref.channelId, t.ref.messageId, edit);
        else if (t.ref.expiresAt > this.o.now()) await this.o.rest.editReply(t.ref, t.ref.messageId, edit);
      } catch (err) {
        // An ephemeral message the person dismissed can't be edited; nothing is left to clean.
        this.o.logger.debug({ err: describeError(err) }, 'could not close a Discord message');
      }
    }
  }

  // ───────────────────────────── text and progress ─────────────────────────────

  private async progress(c: Conversation, text: string): Promise<void> {
    const route = await this.o.state.usableRoute(c);
    if (route.type === 'channel') {
      this.keepTyping(c, route.channelId);
      return this.o.rest.typing(route.channelId);
    }
    if (route.original === 'open')
      await this.o.rest.editReply(route, '@original', body(`⏳ ${clip(text, 1900)}`));
  }

  /** Renews "typing…" while the turn runs (a long model call or tool shows no progress). */
  private keepTyping(c: Conversation, channelId: string): void {
    const key = sessionKey(c);
    if (this.typing.has(key)) return;
    let left = TYPING_RENEW_MAX;
    const timer = setInterval(() => {
      if (--left <= 0) this.stopTyping(c);
      this.o.rest.typing(channelId).catch((err: unknown) => {
        this.o.logger.debug({ err: describeError(err) }, 'typing failed');
        this.stopTyping(c);
      });
    }, TYPING_RENEW_MS);
    timer.unref();
    this.typing.set(key, timer);
  }

  private stopTyping(c: Conversation): void {
    const key = sessionKey(c);
    clearInterval(this.typing.get(key));
    this.typing.delete(key);
  }

  /**
   * Sends a message where the conversation's replies go. A private message in a public command's
   * reply becomes an ephemeral follow-up; the deferred reply is used for the first answer.
   */
  async send(
    c: Conversation,
    message: MessageBody,
    opts: { private?: boolean; files?: UploadFile[] | undefined } = {},
  ): Promise<MessageRef> {
    const { state, rest } = this.o;
    const files = opts.files;
    const route = await state.usableRoute(c);
    if (route.type === 'interaction') {
      if (route.original === 'open') {
        const privateInPublic = opts.private && !route.ephemeral;
        const first = privateInPublic ? body('🔒 I sent you a private message about this.') : message;
        const edited = await rest.editReply(
          route,
          '@original',
          { ...first, flags: undefined },
          privateInPublic ? undefined : files,
        );
        await state.saveRoute(c, { ...route, original: 'done' });
        if (!privateInPublic) return state.webhookRef(route, edited.id, route.expiresAt);
      }
      const ephemeral = route.ephemeral || Boolean(opts.private);
      const sent = await rest.followUp(
        route,
        { ...message, flags: ephemeral ? MessageFlags.Ephemeral : undefined },
        files,
      );
      return state.webhookRef(route, sent.id, route.expiresAt);
    }
    const sent = await rest.createMessage(
      route.channelId,
      {
        ...message,
        flags: undefined,
        ...(route.replyTo && { message_reference: { message_id: route.replyTo, fail_if_not_exists: false } }),
      },
      files,
    );
    if (route.replyTo) await state.saveRoute(c, { type: 'channel', channelId: route.channelId });
    return { via: 'channel', channelId: route.channelId, messageId: sent.id };
  }
}
