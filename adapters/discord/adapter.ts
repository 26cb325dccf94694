/**
 * The Discord adapter. Two edges feed the same handlers with raw Discord payloads: the gateway
 * (a discord.js `Client`: mentions in guild channels, DMs, and interactions when no endpoint URL
 * is configured) and the HTTP interactions endpoint on Parley's express server. Answers go out
 * through Discord's REST API — the interaction's webhook while its token lives (15 minutes),
 * the bot's channel messages otherwise.
 *
 * Everything another process may need lives in the store: where a conversation's replies go
 * (`route`), the messages that show a pending interaction (so whoever closes it can edit them),
 * thread parents, and a form's answers between modal pages.
 */

import {
  type APIApplicationCommandAutocompleteInteraction,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIChatInputApplicationCommandInteraction,
  type APIInteraction,
  type APIInteractionResponse,
  type APIMessage,
  type APIMessageComponentInteraction,
  type APIModalSubmitInteraction,
  type APIUser,
  ApplicationCommandType,
  ChannelType,
  Client,
  type ClientOptions,
  GatewayDispatchEvents,
  GatewayIntentBits,
  type GatewayMessageCreateDispatchData,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  Partials,
  type RESTOptions,
  Routes,
  Status,
} from 'discord.js';
import express, { type Request, type Response } from 'express';
import type { Agent, AnswerReply } from '../../src/agent.js';
import { type Actor, type Conversation, sessionKey } from '../../src/conversation.js';
import { describeError, ParleyError } from '../../src/errors.js';
import type { ParleyHttpServer } from '../../src/http.js';
import { type FormSpec, formDefaults, validateSubmission } from '../../src/interactions/form.js';
import type { Logger } from '../../src/logger.js';
import { metrics, secondsSince } from '../../src/observability/metrics.js';
import { getJson, type Store, setJson, takeJson } from '../../src/store/index.js';
import type {
  ChatSurface,
  ConfirmView,
  FormView,
  InteractionOutcome,
  LinkView,
  OutboundMessage,
} from '../../src/surface.js';
import { hostOf } from '../../src/text.js';
import { commandText, PRIVATE_COMMANDS } from './commands.js';
import { buildModal, type FormPlan, modalValues, pageAnswers, pageOf, planForm } from './forms.js';
import { parseCustomId } from './ids.js';
import {
  closedMessage,
  confirmMessage,
  consentMessage,
  continueMessage,
  fixMessage,
  formButtons,
  formText,
  LINK_URL_LIMIT,
  type MessageBody,
  noMentions,
  openedLinkMessage,
  privateLinkMessage,
  revealMessage,
} from './render.js';
import { freshTimestamp, publicKeyFromHex, verifySignature } from './signature.js';
import { clip, splitMessage } from './text.js';

export interface DiscordAdapterConfig {
  agent: Agent;
  store: Store;
  logger: Logger;
  /** The application id (interaction webhooks). */
  applicationId: string;
  /** The bot token: gateway log-in and channel messages. */
  token?: string | undefined;
  /** The application's public key (hex): mounts `/discord/interactions` on `http`. */
  publicKey?: string | undefined;
  /** Parley's HTTP server: the interactions endpoint and `/l/:id` short links for long URLs. */
  http?: ParleyHttpServer | undefined;
  /** Discord's REST base (DISCORD_API_URL); discord.js appends the API version. */
  apiUrl?: string | undefined;
  /** Log in to the gateway on start. Default: when a token is given and no `client` is passed. */
  gateway?: boolean | undefined;
  /** A discord.js client to use instead of a new one (tests pass one that never logs in). */
  client?: Client | undefined;
  /** Extra REST options for a new client (e.g. `makeRequest: fetch`, `retries`). */
  rest?: Partial<RESTOptions> | undefined;
  now?: () => number;
}

/** Where a conversation's replies go. */
type Route =
  | {
      type: 'interaction';
      applicationId: string;
      token: string;
      expiresAt: number;
      /** The command was answered privately: every reply is ephemeral. */
      ephemeral: boolean;
      /** 'open' while the deferred "thinking…" reply still waits for its first answer. */
      original: 'open' | 'done';
      channelId: string;
    }
  | { type: 'channel'; channelId: string; replyTo?: string };

/** A message that shows a pending interaction, so any process can edit it when it ends. */
type MessageRef =
  | { via: 'channel'; channelId: string; messageId: string }
  | { via: 'webhook'; applicationId: string; token: string; messageId: string; expiresAt: number };

interface Tracked {
  ref: MessageRef;
  content: string;
}

interface FormState {
  values: Record<string, unknown>;
}

type Respond = (body: APIInteractionResponse) => Promise<void>;

/** Interaction tokens live 15 minutes; stop using one a little before. */
const TOKEN_TTL_MS = 14 * 60_000;
/** A channel route (no token in it) is kept as long as a conversation is likely to go on. */
const ROUTE_TTL_MS = 7 * 24 * 3600_000;
const THREAD_TTL_MS = 30 * 24 * 3600_000;
const SEEN_TTL_MS = 10 * 60_000;
const AUTOCOMPLETE_BUDGET_MS = 2_000;
const THREAD_TYPES = new Set<number>([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);
const DM = '@me';
const K = {
  route: (c: Conversation) => `discord:route:${sessionKey(c)}`,
  thread: (id: string) => `discord:thread:${id}`,
  msgs: (id: string) => `discord:msgs:${id}`,
  form: (id: string) => `discord:form:${id}`,
  seen: (id: string) => `discord:seen:${id}`,
};

export class DiscordAdapter implements ChatSurface {
  readonly platform = 'discord';
  readonly client: Client;
  private readonly agent: Agent;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly ownsClient: boolean;
  private started = false;
  private listening = false;
  private usesGateway = false;

  constructor(private readonly config: DiscordAdapterConfig) {
    this.agent = config.agent;
    this.store = config.store;
    this.logger = config.logger;
    this.now = config.now ?? Date.now;
    this.ownsClient = !config.client;
    this.client =
      config.client ??
      new Client({
        // Mentions and DMs only: message content of a mention is delivered without the
        // privileged MessageContent intent.
        intents: [
          GatewayIntentBits.Guilds,
          GatewayIntentBits.GuildMessages,
          GatewayIntentBits.DirectMessages,
        ],
        partials: [Partials.Channel],
        rest: { ...(config.apiUrl && { api: config.apiUrl }), ...config.rest },
      } satisfies ClientOptions);
    if (config.token) this.client.rest.setToken(config.token);
    if (config.publicKey) {
      if (!config.http)
        throw new ParleyError(
          'config_invalid',
          'DISCORD_PUBLIC_KEY is set, but no HTTP server was given to mount /discord/interactions on.',
        );
      // Mounted now, so the route comes before any catch-all added later; it answers 503 until
      // start().
      this.mountHttp(config.http, config.publicKey);
    }
  }

  /** Mounts the HTTP endpoint, listens to the gateway and logs in when configured to. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (!this.listening) {
      this.listening = true;
      // Raw dispatches, so both edges feed the same handlers with the same payloads.
      this.client.ws.on(GatewayDispatchEvents.MessageCreate, (data: GatewayMessageCreateDispatchData) => {
        if (this.started) this.track(this.onMessage(data));
      });
      this.client.ws.on(GatewayDispatchEvents.InteractionCreate, (data: APIInteraction) => {
        if (!this.started) return;
        this.track(
          this.handleInteraction(data, async (body) => {
            await this.client.rest.post(Routes.interactionCallback(data.id, data.token), {
              body,
              auth: false,
            });
          }),
        );
      });
    }
    const gateway = this.config.gateway ?? (Boolean(this.config.token) && this.ownsClient);
    this.usesGateway = gateway;
    if (gateway) {
      if (!this.config.token)
        throw new ParleyError('config_invalid', 'The Discord gateway needs DISCORD_TOKEN.');
      await this.client.login(this.config.token);
    }
  }

  /** Whether Discord can reach this process: started, and its gateway shards (if any) ready. */
  get connected(): boolean {
    if (!this.started) return false;
    if (!this.usesGateway) return true;
    return this.client.isReady() && this.client.ws.shards.every((shard) => shard.status === Status.Ready);
  }

  async stop(): Promise<void> {
    await this.settled();
    if (this.ownsClient) await this.client.destroy();
    this.started = false;
  }

  /**
   * Resolves when every inbound event has been handled: acknowledged, and its own answers sent.
   * The turns they start are the agent's (`agent.whenIdle()`): a legacy-era turn can wait for a
   * person for minutes, and stopping must not wait for it.
   */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) =>
      this.logger.warn({ err: describeError(err) }, 'discord handler failed'),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Starts the agent's turn for a message or command, outside the event's own handling. */
  private startTurn(conversation: Conversation, text: string, after?: () => Promise<void>): void {
    void this.agent
      .handleMessage(conversation, text)
      .then(after)
      .catch((err: unknown) => this.logger.warn({ err: describeError(err) }, 'discord turn failed'));
  }

  // ───────────────────────────── the HTTP endpoint ─────────────────────────────

  private mountHttp(http: ParleyHttpServer, publicKeyHex: string): void {
    const key = publicKeyFromHex(publicKeyHex);
    http.app.post(
      '/discord/interactions',
      express.raw({ type: () => true, limit: '1mb' }),
      (req: Request, res: Response) => {
        if (!this.started) {
          res.status(503).json({ error: 'Parley’s Discord adapter is not running.' });
          return;
        }
        const body: unknown = req.body;
        if (!Buffer.isBuffer(body)) {
          this.logger.error(
            'the Discord endpoint got a parsed body: mount body parsers after /discord/interactions',
          );
          res.status(500).json({ error: 'raw body unavailable' });
          return;
        }
        const timestamp = req.get('x-signature-timestamp');
        if (!verifySignature(key, req.get('x-signature-ed25519'), timestamp, body)) {
          res.status(401).json({ error: 'invalid request signature' });
          return;
        }
        if (!freshTimestamp(timestamp, this.now())) {
          res.status(401).json({ error: 'stale request timestamp' });
          return;
        }
        let payload: APIInteraction;
        try {
          payload = JSON.parse(body.toString('utf8')) as APIInteraction;
        } catch {
          res.status(400).json({ error: 'the body is not JSON' });
          return;
        }
        // Follow-up calls must not reach Discord before this response does: `respond` resolves
        // once the response has been written.
        const sent = new Promise<void>((resolve) => res.once('finish', () => resolve()));
        let answer: ((b: APIInteractionResponse) => void) | undefined;
        const answered = new Promise<APIInteractionResponse | undefined>((resolve) => {
          answer = resolve;
          setTimeout(() => resolve(undefined), 2_800).unref();
        });
        this.track(
          this.handleInteraction(payload, async (b) => {
            answer?.(b);
            await sent;
          }).finally(() => answer?.({ type: InteractionResponseType.Pong })),
        );
        void answered.then((reply) => {
          if (
            !reply ||
            (reply.type === InteractionResponseType.Pong && payload.type !== InteractionType.Ping)
          ) {
            res.status(500).json({ error: 'the interaction was not answered in time' });
            return;
          }
          res.json(reply);
        });
      },
    );
  }

  // ───────────────────────────── inbound: messages ─────────────────────────────

  private botUserId(): string {
    return this.client.user?.id ?? this.config.applicationId;
  }

  /** A mention in a guild channel or any DM. */
  private async onMessage(m: GatewayMessageCreateDispatchData): Promise<void> {
    if (m.author.bot || m.webhook_id) return;
    const botId = this.botUserId();
    const dm = !m.guild_id;
    if (!dm && !m.mentions.some((u) => u.id === botId)) return;
    if (!(await this.store.setIfAbsent(K.seen(`m:${m.id}`), '1', SEEN_TTL_MS))) return;
    const text = m.content.replace(new RegExp(`<@!?${botId}>`, 'g'), '').trim() || '/help';
    const user = m.author.id;
    let conversation: Conversation;
    let route: Route;
    if (dm) {
      conversation = { platform: this.platform, workspace: DM, channel: m.channel_id, user };
      route = { type: 'channel', channelId: m.channel_id };
    } else {
      const workspace = m.guild_id as string;
      const parent = await this.threadParent(m.channel_id);
      if (parent) {
        conversation = { platform: this.platform, workspace, channel: parent, thread: m.channel_id, user };
        route = { type: 'channel', channelId: m.channel_id };
      } else {
        const thread = await this.startThread(m.channel_id, m.id, text);
        conversation = {
          platform: this.platform,
          workspace,
          channel: m.channel_id,
          ...(thread && { thread }),
          user,
        };
        route = thread
          ? { type: 'channel', channelId: thread }
          : { type: 'channel', channelId: m.channel_id, replyTo: m.id };
      }
    }
    await this.saveRoute(conversation, route);
    this.startTurn(conversation, text);
  }

  private async threadParent(channelId: string): Promise<string | undefined> {
    const known = await this.store.get(K.thread(channelId));
    if (known) return known;
    const cached = this.client.channels.cache.get(channelId);
    return cached?.isThread() ? (cached.parentId ?? undefined) : undefined;
  }

  /** Replies to a mention go into a thread on it; undefined when one can't be made (then: a reply). */
  private async startThread(channelId: string, messageId: string, text: string): Promise<string | undefined> {
    try {
      const thread = (await this.client.rest.post(Routes.threads(channelId, messageId), {
        body: {
          name: clip(text.startsWith('/') ? `Parley: ${text}` : text, 90) || 'Parley',
          auto_archive_duration: 1440,
        },
      })) as { id: string };
      await this.store.set(K.thread(thread.id), channelId, THREAD_TTL_MS);
      return thread.id;
    } catch (err) {
      this.logger.info({ err: describeError(err) }, 'could not start a thread; replying in the channel');
      return undefined;
    }
  }

  // ───────────────────────────── inbound: interactions ─────────────────────────────

  /**
   * One interaction, from either edge. `respond` sends the initial response; it is called first,
   * within Discord's 3 seconds, and everything slow happens after it.
   */
  async handleInteraction(i: APIInteraction, respond: Respond): Promise<void> {
    let responded = false;
    const received = performance.now();
    const once: Respond = async (body) => {
      responded = true;
      await respond(body);
      metrics.ack('discord', secondsSince(received));
    };
    try {
      switch (i.type) {
        case InteractionType.Ping:
          await once({ type: InteractionResponseType.Pong });
          return;
        case InteractionType.ApplicationCommand:
          if (i.data.type === ApplicationCommandType.ChatInput)
            await this.onCommand(i as APIChatInputApplicationCommandInteraction, once);
          else await once(ephemeral('Parley has no such command.'));
          return;
        case InteractionType.ApplicationCommandAutocomplete:
          await this.onAutocomplete(i, once);
          return;
        case InteractionType.MessageComponent:
          await this.onComponent(i, once);
          return;
        case InteractionType.ModalSubmit:
          await this.onModalSubmit(i, once);
          return;
      }
    } catch (err) {
      this.logger.warn({ err: describeError(err), type: i.type }, 'discord interaction failed');
      const sorry = 'Something went wrong on my side. Please try again.';
      if (!responded) await respond(ephemeral(sorry)).catch(() => undefined);
      else
        await this.followUp(i.application_id, i.token, {
          ...body(sorry),
          flags: MessageFlags.Ephemeral,
        }).catch(() => undefined);
    }
  }

  private userOf(i: APIInteraction): APIUser {
    const user = i.member?.user ?? i.user;
    if (!user) throw new Error('The interaction names no user.');
    return user;
  }

  private conversationOf(i: APIInteraction): Conversation {
    const user = this.userOf(i).id;
    const channelId = i.channel?.id ?? i.channel_id ?? '';
    const inThread = i.channel !== undefined && THREAD_TYPES.has(i.channel.type);
    const parent = inThread ? (i.channel as { parent_id?: string | null }).parent_id : undefined;
    return {
      platform: this.platform,
      workspace: i.guild_id ?? DM,
      channel: parent ?? channelId,
      ...(parent && { thread: channelId }),
      user,
    };
  }

  private actorOf(i: APIInteraction): Actor {
    return { platform: this.platform, workspace: i.guild_id ?? DM, user: this.userOf(i).id };
  }

  private async onCommand(i: APIChatInputApplicationCommandInteraction, respond: Respond): Promise<void> {
    const options: Record<string, string> = {};
    for (const o of (i.data.options ?? []) as APIApplicationCommandInteractionDataBasicOption[])
      if ('value' in o) options[o.name] = String(o.value);
    const text = commandText(i.data.name, options);
    if (text === undefined) {
      await respond(ephemeral(`Parley has no command called /${i.data.name}.`));
      return;
    }
    const isPrivate = PRIVATE_COMMANDS.has(i.data.name);
    await respond({
      type: InteractionResponseType.DeferredChannelMessageWithSource,
      data: isPrivate ? { flags: MessageFlags.Ephemeral } : {},
    });
    const conversation = this.conversationOf(i);
    await this.saveRoute(conversation, {
      type: 'interaction',
      applicationId: i.application_id,
      token: i.token,
      expiresAt: this.now() + TOKEN_TTL_MS,
      ephemeral: isPrivate,
      original: 'open',
      channelId: i.channel?.id ?? i.channel_id ?? '',
    });
    // The turn may end without a word for this reply: never leave Discord's "thinking…" behind.
    this.startTurn(conversation, text, async () => {
      const route = await this.loadRoute(conversation);
      if (route.type === 'interaction' && route.token === i.token && route.original === 'open')
        await this.editWebhook(i.application_id, i.token, '@original', body('✅ Done.'));
    });
  }

  private async onAutocomplete(
    i: APIApplicationCommandAutocompleteInteraction,
    respond: Respond,
  ): Promise<void> {
    const focused = (i.data.options ?? []).find((o) => 'focused' in o && o.focused) as
      | { name: string; value: unknown }
      | undefined;
    const typed = String(focused?.value ?? '').toLowerCase();
    let names: string[] = [];
    if (i.data.name === 'call' && focused?.name === 'tool') names = await this.toolNames(this.actorOf(i));
    else if (focused?.name === 'server') names = this.agent.pool.servers.map((s) => s.name);
    const choices = names
      .filter((n) => n.toLowerCase().includes(typed))
      .slice(0, 25)
      .filter((n) => n.length <= 100)
      .map((n) => ({ name: n, value: n }));
    await respond({ type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices } });
  }

  /**
   * `server__tool` names this person may call (the config's allow/deny lists applied), within the
   * autocomplete time budget. Connections keep their tool lists, so repeated keystrokes are cheap.
   */
  private async toolNames(actor: Actor): Promise<string[]> {
    const timeout = new Promise<string[]>((resolve) =>
      setTimeout(() => resolve([]), AUTOCOMPLETE_BUDGET_MS).unref(),
    );
    return Promise.race([this.agent.toolNames(actor), timeout]);
  }

  private async onComponent(i: APIMessageComponentInteraction, respond: Respond): Promise<void> {
    const parsed = parseCustomId(i.data.custom_id);
    if (parsed?.type !== 'button') {
      await respond(ephemeral('This button is no longer in use.'));
      return;
    }
    const actor = this.actorOf(i);
    const { id } = parsed;
    switch (parsed.action) {
      case 'fill': {
        // A modal must be the first response, so everything here is a quick store read.
        const got = await this.agent.interaction(id, actor);
        if (!got.ok) return respond(ephemeral(got.message));
        const form = got.record.form;
        const planned = form ? planForm(form) : undefined;
        if (!form || !planned) return respond(ephemeral('That button doesn’t belong to a form.'));
        if (!planned.ok) return respond(ephemeral(`I can’t show this form on Discord: ${planned.reason}.`));
        const page = Math.min(parsed.page, planned.plan.pages.length - 1);
        const state = await this.formState(id);
        const values = { ...formDefaults(form), ...state.values };
        await respond({
          type: InteractionResponseType.Modal,
          data: buildModal(id, form, planned.plan, page, values),
        });
        return;
      }
      case 'reveal': {
        const got = await this.agent.interaction(id, actor);
        if (!got.ok) return respond(ephemeral(got.message));
        const link = got.record.link;
        if (!link) return respond(ephemeral('That button doesn’t belong to a link.'));
        const view: LinkView = { id, ...link, origin: got.record.origin, expiresAt: got.record.expiresAt };
        const message = privateLinkMessage(view, await this.href(link.url, got.record.expiresAt), {
          answers: true,
        });
        await respond({ type: InteractionResponseType.ChannelMessageWithSource, data: message });
        await this.trackMessage(id, this.webhookRef(i, '@original'), message.content, got.record.expiresAt);
        return;
      }
      case 'open': {
        await respond({
          type: InteractionResponseType.DeferredChannelMessageWithSource,
          data: { flags: MessageFlags.Ephemeral },
        });
        const reply = await this.agent.openLink(id, actor);
        if (!reply.ok || !reply.url) {
          await this.editWebhook(
            i.application_id,
            i.token,
            '@original',
            body(reply.ok ? 'This link needs no consent.' : reply.message),
          );
          return;
        }
        const host = hostOf(reply.url) || 'the page';
        await this.editWebhook(
          i.application_id,
          i.token,
          '@original',
          openedLinkMessage(await this.href(reply.url, this.now() + 3600_000), host),
        );
        await this.refreshRoute(i);
        return;
      }
      case 'decline':
      case 'yes':
      case 'no':
      case 'done': {
        await respond({ type: InteractionResponseType.DeferredMessageUpdate });
        let reply: AnswerReply;
        if (parsed.action === 'decline') reply = await this.agent.declineForm(id, actor, 'decline');
        else if (parsed.action === 'done') reply = await this.agent.linkDone(id, actor);
        else reply = await this.agent.confirm(id, actor, parsed.action === 'yes');
        if (!reply.ok)
          await this.followUp(i.application_id, i.token, {
            ...body(reply.message),
            flags: MessageFlags.Ephemeral,
          });
        else await this.refreshRoute(i);
        return;
      }
    }
  }

  private async onModalSubmit(i: APIModalSubmitInteraction, respond: Respond): Promise<void> {
    const parsed = parseCustomId(i.data.custom_id);
    if (parsed?.type !== 'modal') {
      await respond(ephemeral('This form is no longer in use.'));
      return;
    }
    // Acknowledge without changing the message that opened the modal; answers follow below.
    await respond({ type: InteractionResponseType.DeferredMessageUpdate });
    const actor = this.actorOf(i);
    const { id, page } = parsed;
    const tell = (text: string) =>
      this.followUp(i.application_id, i.token, { ...body(text), flags: MessageFlags.Ephemeral });
    const got = await this.agent.interaction(id, actor);
    if (!got.ok) return void (await tell(got.message));
    const form = got.record.form;
    const planned = form ? planForm(form) : undefined;
    if (!form || !planned?.ok) return void (await tell('That form can no longer be shown.'));
    const { plan } = planned;
    const fields = plan.pages[page];
    if (!fields) return void (await tell('That page of the form doesn’t exist.'));
    const answers = pageAnswers(fields, modalValues(i.data));
    const state = await this.formState(id);
    for (const p of fields) delete state.values[p.field.name];
    Object.assign(state.values, answers);
    await setJson(this.store, K.form(id), state, Math.max(got.record.expiresAt - this.now(), 1000));
    // Check this page at once (the core's own validator), so errors come while the page is fresh.
    const pageCheck = validateSubmission({ ...form, fields: fields.map((p) => p.field) }, answers);
    if (!pageCheck.ok) return this.showErrors(i, id, form, plan, pageCheck.errors, got.record.expiresAt);
    if (page + 1 < plan.pages.length) {
      const message = continueMessage(id, page + 1, plan.pages.length);
      const sent = await this.followUp(i.application_id, i.token, message);
      await this.trackMessage(id, this.webhookRef(i, sent.id), message.content, got.record.expiresAt);
      return;
    }
    const reply = await this.agent.submitForm(id, actor, state.values);
    if (reply.ok) {
      await this.refreshRoute(i);
      return;
    }
    if (reply.errors) return this.showErrors(i, id, form, plan, reply.errors, got.record.expiresAt);
    await tell(reply.message);
  }

  private async showErrors(
    i: APIModalSubmitInteraction,
    id: string,
    form: FormSpec,
    plan: FormPlan,
    errors: Record<string, string>,
    expiresAt: number,
  ): Promise<void> {
    const first = form.fields.find((f) => errors[f.name] !== undefined)?.name ?? '';
    const message = fixMessage(id, form, errors, pageOf(plan, first));
    const sent = await this.followUp(i.application_id, i.token, message);
    await this.trackMessage(id, this.webhookRef(i, sent.id), message.content, expiresAt);
  }

  /** After a click that moves a turn on, its replies may use the click's fresher token. */
  private async refreshRoute(i: APIInteraction): Promise<void> {
    const conversation = this.conversationOf(i);
    const route = await this.loadRoute(conversation);
    if (route.type !== 'interaction') return;
    await this.saveRoute(conversation, {
      ...route,
      applicationId: i.application_id,
      token: i.token,
      expiresAt: this.now() + TOKEN_TTL_MS,
      original: 'done',
    });
  }

  private webhookRef(i: APIInteraction, messageId: string): MessageRef {
    return {
      via: 'webhook',
      applicationId: i.application_id,
      token: i.token,
      messageId,
      expiresAt: this.now() + TOKEN_TTL_MS,
    };
  }

  // ───────────────────────────── outbound ─────────────────────────────

  async post(conversation: Conversation, message: OutboundMessage): Promise<void> {
    try {
      switch (message.kind) {
        case 'text':
          for (const part of splitMessage(message.text)) await this.send(conversation, body(part));
          return;
        case 'progress':
          await this.progress(conversation, message.text);
          return;
        case 'form':
          await this.showForm(conversation, message.view);
          return;
        case 'confirm':
          await this.showConfirm(conversation, message.view);
          return;
        case 'link':
          await this.showLink(conversation, message.view);
          return;
        case 'closed':
          await this.closeInteraction(message.id, message.outcome);
          return;
      }
    } catch (err) {
      // A failed post must not break the turn: the person is told by the core's next message,
      // or the interaction expires and is closed.
      this.logger.warn({ err: describeError(err), kind: message.kind }, 'posting to Discord failed');
    }
  }

  private ownerMention(c: Conversation): string | undefined {
    return c.workspace === DM ? undefined : `<@${c.user}>`;
  }

  private async showForm(c: Conversation, view: FormView): Promise<void> {
    const planned = planForm(view.form);
    if (!planned.ok) {
      this.track(
        this.declineUnshowable(
          c,
          view.id,
          `${view.origin} asked for a form I can’t show on Discord (${planned.reason}), so I declined it.`,
        ),
      );
      return;
    }
    const parts = splitMessage(formText(view, planned.plan, this.ownerMention(c)));
    const last = parts.pop() as string;
    for (const part of parts) await this.send(c, body(part));
    const message: MessageBody = {
      content: last,
      components: formButtons(view.id),
      allowed_mentions: noMentions([c.user]),
    };
    const ref = await this.send(c, message);
    await this.trackMessage(view.id, ref, last, view.expiresAt);
  }

  /**
   * Declines a form Discord can't show. The core shows a form only once what waits for the answer
   * exists, so the decline always reaches it.
   */
  private async declineUnshowable(c: Conversation, id: string, reason: string): Promise<void> {
    await this.send(c, body(`⚠️ ${reason}`)).catch(() => undefined);
    await this.agent.declineForm(id, c, 'decline');
  }

  private async showConfirm(c: Conversation, view: ConfirmView): Promise<void> {
    const message = { ...confirmMessage(view, this.ownerMention(c)), allowed_mentions: noMentions([c.user]) };
    const ref = await this.send(c, message);
    await this.trackMessage(view.id, ref, message.content, view.expiresAt);
  }

  private async showLink(c: Conversation, view: LinkView): Promise<void> {
    if (view.purpose === 'consent') {
      const message = {
        ...consentMessage(view, this.ownerMention(c)),
        allowed_mentions: noMentions([c.user]),
      };
      const ref = await this.send(c, message);
      await this.trackMessage(view.id, ref, message.content, view.expiresAt);
      return;
    }
    // Sign-in and retry links are personal: ephemeral where an interaction allows it, in DMs as
    // they are, and in a shared channel behind a button that reveals them privately.
    const route = await this.usableRoute(c);
    if (route.type === 'channel' && c.workspace !== DM) {
      const message = revealMessage(view, `<@${c.user}>`);
      const ref = await this.send(c, { ...message, allowed_mentions: noMentions([c.user]) });
      await this.trackMessage(view.id, ref, message.content, view.expiresAt);
      return;
    }
    const message = privateLinkMessage(view, await this.href(view.url, view.expiresAt), { answers: true });
    const ref = await this.send(c, message, { private: true });
    await this.trackMessage(view.id, ref, message.content, view.expiresAt);
  }

  /** A link button's URL: the link itself, or a short redirect on Parley's server when too long. */
  private async href(url: string, expiresAt: number): Promise<string> {
    if (url.length <= LINK_URL_LIMIT) return url;
    if (!this.config.http)
      throw new ParleyError(
        'config_invalid',
        'A link is longer than Discord allows on a button, and no HTTP server is configured for short links.',
      );
    return this.config.http.shortLink(url, Math.max(expiresAt - this.now(), 60_000));
  }

  private async progress(c: Conversation, text: string): Promise<void> {
    const route = await this.usableRoute(c);
    if (route.type === 'channel') {
      await this.client.rest.post(Routes.channelTyping(route.channelId));
      return;
    }
    if (route.original === 'open')
      await this.editWebhook(route.applicationId, route.token, '@original', body(`⏳ ${clip(text, 1900)}`));
  }

  /**
   * Sends a message where the conversation's replies go. A private message in a public command's
   * reply becomes an ephemeral follow-up; the deferred reply is used for the first answer.
   */
  private async send(
    c: Conversation,
    message: MessageBody,
    opts: { private?: boolean } = {},
  ): Promise<MessageRef> {
    const route = await this.usableRoute(c);
    if (route.type === 'interaction') {
      const ephemeralReply = route.ephemeral || Boolean(opts.private);
      if (route.original === 'open') {
        const privateInPublic = opts.private && !route.ephemeral;
        const first = privateInPublic ? body('🔒 I sent you a private message about this.') : message;
        const edited = await this.editWebhook(route.applicationId, route.token, '@original', {
          ...first,
          flags: undefined,
        });
        await this.saveRoute(c, { ...route, original: 'done' });
        if (!privateInPublic)
          return {
            via: 'webhook',
            applicationId: route.applicationId,
            token: route.token,
            messageId: edited.id,
            expiresAt: route.expiresAt,
          };
      }
      const sent = await this.followUp(route.applicationId, route.token, {
        ...message,
        ...(ephemeralReply ? { flags: MessageFlags.Ephemeral } : { flags: undefined }),
      });
      return {
        via: 'webhook',
        applicationId: route.applicationId,
        token: route.token,
        messageId: sent.id,
        expiresAt: route.expiresAt,
      };
    }
    const payload: Record<string, unknown> = { ...message, flags: undefined };
    if (route.replyTo) payload.message_reference = { message_id: route.replyTo, fail_if_not_exists: false };
    const sent = (await this.client.rest.post(Routes.channelMessages(route.channelId), {
      body: payload,
    })) as APIMessage;
    if (route.replyTo) await this.saveRoute(c, { type: 'channel', channelId: route.channelId });
    return { via: 'channel', channelId: route.channelId, messageId: sent.id };
  }

  private async closeInteraction(id: string, outcome: InteractionOutcome): Promise<void> {
    // Taken in one step: of two processes closing the same interaction, only one edits.
    const tracked = (await takeJson<Tracked[]>(this.store, K.msgs(id))) ?? [];
    await this.store.delete(K.form(id));
    for (const t of tracked) {
      const edit = closedMessage(t.content, outcome);
      try {
        if (t.ref.via === 'channel')
          await this.client.rest.patch(Routes.channelMessage(t.ref.channelId, t.ref.messageId), {
            body: edit,
          });
        else if (t.ref.expiresAt > this.now())
          await this.editWebhook(t.ref.applicationId, t.ref.token, t.ref.messageId, edit);
      } catch (err) {
        // An ephemeral message the person dismissed can't be edited; nothing is left to clean.
        this.logger.debug({ err: describeError(err) }, 'could not close a Discord message');
      }
    }
  }

  // ───────────────────────────── store ─────────────────────────────

  private async loadRoute(c: Conversation): Promise<Route> {
    return (
      (await getJson<Route>(this.store, K.route(c))) ?? { type: 'channel', channelId: c.thread ?? c.channel }
    );
  }

  /** The route, falling back to the channel once an interaction token has run out. */
  private async usableRoute(c: Conversation): Promise<Route> {
    const route = await this.loadRoute(c);
    if (route.type === 'interaction' && route.expiresAt <= this.now())
      return { type: 'channel', channelId: route.channelId || c.thread || c.channel };
    return route;
  }

  private saveRoute(c: Conversation, route: Route): Promise<void> {
    // An interaction's token is useless once it has run out: its route (and the token) go then,
    // and replies fall back to the conversation's channel, as they would after expiry anyway.
    const ttl = route.type === 'interaction' ? Math.max(route.expiresAt - this.now(), 1000) : ROUTE_TTL_MS;
    return setJson(this.store, K.route(c), route, ttl);
  }

  private async formState(id: string): Promise<FormState> {
    return (await getJson<FormState>(this.store, K.form(id))) ?? { values: {} };
  }

  private async trackMessage(id: string, ref: MessageRef, content: string, expiresAt: number): Promise<void> {
    const list = (await getJson<Tracked[]>(this.store, K.msgs(id))) ?? [];
    list.push({ ref, content });
    // Kept past the interaction's expiry: the core closes expired ones then.
    await setJson(this.store, K.msgs(id), list, Math.max(expiresAt - this.now(), 0) + 3600_000);
  }

  // ───────────────────────────── REST ─────────────────────────────

  private async followUp(applicationId: string, token: string, message: MessageBody): Promise<APIMessage> {
    return (await this.client.rest.post(Routes.webhook(applicationId, token), {
      body: message,
      auth: false,
      query: new URLSearchParams({ wait: 'true' }),
    })) as APIMessage;
  }

  private async editWebhook(
    applicationId: string,
    token: string,
    messageId: string,
    message: MessageBody,
  ): Promise<APIMessage> {
    return (await this.client.rest.patch(Routes.webhookMessage(applicationId, token, messageId), {
      body: message,
      auth: false,
    })) as APIMessage;
  }
}

function body(content: string): MessageBody {
  return { content, allowed_mentions: noMentions() };
}

function ephemeral(content: string): APIInteractionResponse {
  return {
    type: InteractionResponseType.ChannelMessageWithSource,
    data: { content, flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } },
  };
}
