/**
 * What comes in from Discord, turned into calls on the inbound port: mentions, DMs and slash
 * commands become messages; autocomplete asks for names; button clicks and modal submits become
 * answers. Both receivers (gateway, HTTP endpoint) hand every interaction here with a `respond`
 * for its initial response, which is sent first — within Discord's 3 seconds — and everything
 * slow follows it. The core decides every answer (owner, validity, once only) and words every
 * refusal; this module shows the core's sentence to the person who acted, privately.
 */
import {
  type APIApplicationCommandAutocompleteInteraction,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIChatInputApplicationCommandInteraction,
  type APIInteraction,
  type APIInteractionResponse,
  type APIMessageApplicationCommandInteraction,
  type APIMessageComponentInteraction,
  type APIModalSubmitInteraction,
  ApplicationCommandType,
  ChannelType,
  type GatewayMessageCreateDispatchData,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
} from 'discord.js';
import type { Actor, Conversation } from '../../src/conversation.js';
import { describeError, personSentence } from '../../src/errors.js';
import type { Answer, AnswerReply, ParleyInbound } from '../../src/inbound.js';
import type { Logger } from '../../src/logger.js';
import { askAboutText, hostOf } from '../../src/text.js';
import { ASK_ABOUT, commandText, PRIVATE_COMMANDS } from './commands.js';
import { type ButtonAction, parseCustomId } from './ids.js';
import type { FormPages } from './paging.js';
import { openedLinkMessage, privateLinkMessage } from './render.js';
import type { DiscordRest, InteractionHook } from './rest.js';
import { type DiscordState, DM, TOKEN_TTL_MS } from './state.js';
import { body, type DiscordSurface, PLATFORM } from './surface.js';
import { clip } from './text.js';

/** Sends an interaction's initial response (once). */
export type Respond = (body: APIInteractionResponse) => Promise<void>;

const AUTOCOMPLETE_BUDGET_MS = 2_000;
const THREAD_TYPES = new Set<number>([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);
/** Clicks that are answers as they are: the button's action → the neutral answer. */
const ANSWERS: Partial<Record<ButtonAction, Answer>> = {
  decline: { action: 'decline' },
  yes: { action: 'approve' },
  no: { action: 'decline' },
  done: { action: 'done' },
};

export interface DiscordInboundOptions {
  agent: ParleyInbound;
  state: DiscordState;
  rest: DiscordRest;
  surface: DiscordSurface;
  pages: FormPages;
  logger: Logger;
  /** The bot's user id, for mentions (the application id until the gateway says otherwise). */
  botUserId: () => string;
  /** A thread's parent from discord.js's cache, for threads Parley didn't start. */
  cachedThreadParent: (channelId: string) => string | undefined;
  /** Runs a turn outside the event's own handling; `after` runs when it ends. */
  run: (conversation: Conversation, text: string, after?: () => Promise<void>) => void;
  now: () => number;
}

function ephemeral(content: string): APIInteractionResponse {
  return {
    type: InteractionResponseType.ChannelMessageWithSource,
    data: { content, flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } },
  };
}

const hookOf = (i: APIInteraction): InteractionHook => ({ applicationId: i.application_id, token: i.token });

function userOf(i: APIInteraction): string {
  const user = i.member?.user ?? i.user;
  if (!user) throw new Error('The interaction names no user.');
  return user.id;
}

function actorOf(i: APIInteraction): Actor {
  return { platform: PLATFORM, workspace: i.guild_id ?? DM, user: userOf(i) };
}

function conversationOf(i: APIInteraction): Conversation {
  const channelId = i.channel?.id ?? i.channel_id ?? '';
  const inThread = i.channel !== undefined && THREAD_TYPES.has(i.channel.type);
  const parent = inThread ? (i.channel as { parent_id?: string | null }).parent_id : undefined;
  return {
    platform: PLATFORM,
    workspace: i.guild_id ?? DM,
    channel: parent ?? channelId,
    ...(parent && { thread: channelId }),
    user: userOf(i),
  };
}

export class DiscordInbound {
  constructor(private readonly o: DiscordInboundOptions) {}

  // ───────────────────────────── messages ─────────────────────────────

  /** A mention in a guild channel or any DM; replies to a mention go into a thread on it. */
  async onMessage(m: GatewayMessageCreateDispatchData): Promise<void> {
    if (m.author.bot || m.webhook_id) return;
    const botId = this.o.botUserId();
    const dm = !m.guild_id;
    if (!dm && !m.mentions.some((u) => u.id === botId)) return;
    try {
      await this.routeMessage(m, botId, dm);
    } catch (err) {
      // Nothing redelivers a gateway dispatch: a store failure before the turn starts (the
      // once-only mark, the thread's route) is told on the message, not lost. Nothing runs, so
      // once-only holds; each process on the shard that failed says it (at most once each).
      this.o.logger.warn({ err: describeError(err) }, 'a Discord message could not be taken in');
      await this.o.rest
        .createMessage(m.channel_id, {
          ...body(personSentence(err)),
          message_reference: { message_id: m.id, fail_if_not_exists: false },
        })
        .catch((e: unknown) => this.o.logger.warn({ err: describeError(e) }, 'could not say so either'));
    }
  }

  private async routeMessage(m: GatewayMessageCreateDispatchData, botId: string, dm: boolean): Promise<void> {
    if (!(await this.o.state.firstSight(m.id))) return;
    const text = m.content.replace(new RegExp(`<@!?${botId}>`, 'g'), '').trim() || '/help';
    const user = m.author.id;
    const base = { platform: PLATFORM, user };
    let conversation: Conversation;
    let channelId = m.channel_id;
    let replyTo: string | undefined;
    if (dm) {
      conversation = { ...base, workspace: DM, channel: m.channel_id };
    } else {
      const workspace = m.guild_id as string;
      const parent = await this.threadParent(m.channel_id);
      if (parent) {
        conversation = { ...base, workspace, channel: parent, thread: m.channel_id };
      } else {
        const thread = await this.startThread(m.channel_id, m.id, text);
        conversation = { ...base, workspace, channel: m.channel_id, ...(thread && { thread }) };
        if (thread) channelId = thread;
        else replyTo = m.id;
      }
    }
    await this.o.state.saveRoute(conversation, { type: 'channel', channelId, ...(replyTo && { replyTo }) });
    this.o.run(conversation, text);
  }

  private async threadParent(channelId: string): Promise<string | undefined> {
    return (await this.o.state.threadParent(channelId)) ?? this.o.cachedThreadParent(channelId);
  }

  /** A thread on the mention; undefined when one can't be made (replies then quote the message). */
  private async startThread(channelId: string, messageId: string, text: string): Promise<string | undefined> {
    try {
      const name = clip(text.startsWith('/') ? `Parley: ${text}` : text, 90) || 'Parley';
      const thread = await this.o.rest.startThread(channelId, messageId, name);
      await this.o.state.saveThread(thread, channelId);
      return thread;
    } catch (err) {
      this.o.logger.info({ err: describeError(err) }, 'could not start a thread; replying in the channel');
      return undefined;
    }
  }

  // ───────────────────────────── interactions ─────────────────────────────

  /**
   * One interaction, from either receiver. `respond` sends the initial response; a failure is
   * told to the person privately, as the initial response or, after it, as a follow-up.
   */
  async handleInteraction(i: APIInteraction, respond: Respond): Promise<void> {
    let responded = false;
    const once: Respond = async (b) => {
      responded = true;
      await respond(b);
    };
    try {
      switch (i.type) {
        case InteractionType.Ping:
          return await once({ type: InteractionResponseType.Pong });
        case InteractionType.ApplicationCommand:
          if (i.data.type === ApplicationCommandType.ChatInput)
            return await this.onCommand(i as APIChatInputApplicationCommandInteraction, once);
          if (i.data.type === ApplicationCommandType.Message && i.data.name === ASK_ABOUT)
            return await this.onAskAbout(i as APIMessageApplicationCommandInteraction, once);
          return await once(ephemeral('Parley has no such command.'));
        case InteractionType.ApplicationCommandAutocomplete:
          return await this.onAutocomplete(i, once);
        case InteractionType.MessageComponent:
          return await this.onComponent(i, once);
        case InteractionType.ModalSubmit:
          return await this.onModalSubmit(i, once);
      }
    } catch (err) {
      this.o.logger.warn({ err: describeError(err), type: i.type }, 'discord interaction failed');
      const sorry = personSentence(err);
      if (!responded) await respond(ephemeral(sorry)).catch(() => undefined);
      else await this.tell(i, sorry).catch(() => undefined);
    }
  }

  /** A private follow-up to the person who acted. */
  private async tell(i: APIInteraction, text: string): Promise<void> {
    await this.o.rest.followUp(hookOf(i), { ...body(text), flags: MessageFlags.Ephemeral });
  }

  private async onCommand(i: APIChatInputApplicationCommandInteraction, respond: Respond): Promise<void> {
    const options: Record<string, string> = {};
    for (const o of (i.data.options ?? []) as APIApplicationCommandInteractionDataBasicOption[])
      if ('value' in o) options[o.name] = String(o.value);
    const text = commandText(i.data.name, options);
    if (text === undefined) return respond(ephemeral(`Parley has no command called /${i.data.name}.`));
    return this.commandTurn(i, text, PRIVATE_COMMANDS.has(i.data.name), respond);
  }

  /** "Ask Parley about this" on a message: a turn with the message's text as its context. */
  private async onAskAbout(i: APIMessageApplicationCommandInteraction, respond: Respond): Promise<void> {
    const target = i.data.resolved.messages[i.data.target_id];
    return this.commandTurn(i, askAboutText(target?.content ?? ''), false, respond);
  }

  /** Defers the reply, routes the conversation's replies through it, and runs the turn. */
  private async commandTurn(
    i: APIChatInputApplicationCommandInteraction | APIMessageApplicationCommandInteraction,
    text: string,
    isPrivate: boolean,
    respond: Respond,
  ): Promise<void> {
    await respond({
      type: InteractionResponseType.DeferredChannelMessageWithSource,
      data: isPrivate ? { flags: MessageFlags.Ephemeral } : {},
    });
    const conversation = conversationOf(i);
    await this.o.state.saveRoute(conversation, {
      type: 'interaction',
      ...hookOf(i),
      expiresAt: this.o.now() + TOKEN_TTL_MS,
      ephemeral: isPrivate,
      original: 'open',
      channelId: i.channel?.id ?? i.channel_id ?? '',
    });
    // The turn may end without a word for this reply: never leave Discord's "thinking…" behind.
    this.o.run(conversation, text, async () => {
      const route = await this.o.state.route(conversation);
      if (route.type === 'interaction' && route.token === i.token && route.original === 'open')
        await this.o.rest.editReply(hookOf(i), '@original', body('✅ Done.'));
    });
  }

  private async onAutocomplete(i: APIApplicationCommandAutocompleteInteraction, respond: Respond) {
    const focused = (i.data.options ?? []).find((o) => 'focused' in o && o.focused) as
      | { name: string; value: unknown }
      | undefined;
    const typed = String(focused?.value ?? '').toLowerCase();
    let names: string[] = [];
    if (i.data.name === 'call' && focused?.name === 'tool') names = await this.toolNames(actorOf(i));
    else if (focused?.name === 'server') names = this.o.agent.serverNames();
    const choices = names
      .filter((n) => n.toLowerCase().includes(typed))
      .slice(0, 25)
      .filter((n) => n.length <= 100)
      .map((n) => ({ name: n, value: n }));
    await respond({ type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices } });
  }

  /**
   * The tools this person may call, within the autocomplete time budget (Discord drops a late
   * answer). Connections keep their tool lists, so repeated keystrokes are cheap.
   */
  private toolNames(actor: Actor): Promise<string[]> {
    const timeout = new Promise<string[]>((resolve) =>
      setTimeout(() => resolve([]), AUTOCOMPLETE_BUDGET_MS).unref(),
    );
    return Promise.race([this.o.agent.toolNames(actor), timeout]);
  }

  private async onComponent(i: APIMessageComponentInteraction, respond: Respond): Promise<void> {
    const parsed = parseCustomId(i.data.custom_id);
    if (parsed?.type !== 'button') return respond(ephemeral('This button is no longer in use.'));
    const actor = actorOf(i);
    const { id, action } = parsed;
    const answer = ANSWERS[action];
    if (answer) return this.answerClick(i, respond, id, answer);
    if (action === 'good' || action === 'bad') return this.feedback(i, respond, id, action);
    if (action === 'open') return this.openConsent(i, respond, id);
    // Fill in and Show my link must answer with a modal or a message at once: a quick lookup.
    const found = await this.o.agent.lookup(id, actor);
    if (!found.ok) return respond(ephemeral(found.message));
    const { interaction } = found;
    if (action === 'fill' && interaction.kind === 'form') {
      const data = await this.o.pages.modal(interaction.view, parsed.page);
      return respond({ type: InteractionResponseType.Modal, data });
    }
    if (action === 'reveal' && interaction.kind === 'link') {
      const { view } = interaction;
      const href = await this.o.surface.href(view.url, view.expiresAt);
      const message = privateLinkMessage(view, href, { answers: true });
      await this.o.state.postTracked(id, message.content, view.expiresAt, async () => {
        await respond({ type: InteractionResponseType.ChannelMessageWithSource, data: message });
        return this.o.state.webhookRef(hookOf(i), '@original');
      });
      return;
    }
    await respond(ephemeral('This button is no longer in use.'));
  }

  /** Decline, Approve, Cancel, Done: acknowledged at once, then checked and handed on by the core. */
  private async answerClick(i: APIInteraction, respond: Respond, id: string, answer: Answer): Promise<void> {
    await respond({ type: InteractionResponseType.DeferredMessageUpdate });
    const { reply, told } = await this.settle(i, id, answer);
    if (!reply.ok && !told) await this.tell(i, reply.message);
  }

  /**
   * 👍/👎 under an answer: the core counts it (once per person per answer); the clicker alone
   * reads its sentence, in the click's own ephemeral reply.
   */
  private async feedback(i: APIInteraction, respond: Respond, answerId: string, value: 'good' | 'bad') {
    await respond({
      type: InteractionResponseType.DeferredChannelMessageWithSource,
      data: { flags: MessageFlags.Ephemeral },
    });
    const reply = await this.o.agent.feedback(answerId, actorOf(i), value);
    await this.o.rest.editReply(hookOf(i), '@original', body(reply.message));
  }

  /**
   * "Open link" on a URL consent: opening it is the consent. Acknowledged like the other buttons
   * (an update, which need say nothing), so a refusal the core already told is not repeated; the
   * link, or a refusal the core didn't tell, comes as a private follow-up.
   */
  private async openConsent(i: APIInteraction, respond: Respond, id: string): Promise<void> {
    await respond({ type: InteractionResponseType.DeferredMessageUpdate });
    const { reply, told } = await this.settle(i, id, { action: 'open' });
    if (!reply.ok) {
      if (!told) await this.tell(i, reply.message);
      return;
    }
    if (!reply.url) throw new Error('the core accepted a consent without its link');
    const href = await this.o.surface.href(reply.url, this.o.now() + 3600_000);
    const message = openedLinkMessage(href, hostOf(reply.url) || 'the page');
    await this.o.rest.followUp(hookOf(i), { ...message, flags: MessageFlags.Ephemeral });
  }

  /**
   * Checks an answer with the core, then hands it on; the turn's replies may use this click's
   * token from then on. `told`: the refusal was met while handing on, and the core told the
   * person itself (all but "another answer was first").
   */
  private async settle(
    i: APIInteraction,
    id: string,
    answer: Answer,
  ): Promise<{ reply: AnswerReply; told: boolean }> {
    const received = await this.o.agent.receive(id, actorOf(i), answer);
    if (!received.ok) return { reply: received, told: false };
    await this.o.state.refreshRoute(conversationOf(i), hookOf(i));
    const reply = await received.deliver();
    return { reply, told: !reply.ok && reply.code !== 'used' };
  }

  private async onModalSubmit(i: APIModalSubmitInteraction, respond: Respond): Promise<void> {
    const parsed = parseCustomId(i.data.custom_id);
    if (parsed?.type !== 'modal') return respond(ephemeral('This form is no longer in use.'));
    // Acknowledged without changing the message that opened the modal; answers follow below.
    await respond({ type: InteractionResponseType.DeferredMessageUpdate });
    const actor = actorOf(i);
    const found = await this.o.agent.lookup(parsed.id, actor);
    if (!found.ok) return this.tell(i, found.message);
    if (found.interaction.kind !== 'form') return this.tell(i, 'This form is no longer in use.');
    await this.o.pages.submit({
      interaction: i,
      actor,
      view: found.interaction.view,
      page: parsed.page,
      accepted: () => this.o.state.refreshRoute(conversationOf(i), hookOf(i)),
    });
  }
}
