/**
 * The Discord adapter, assembled: a discord.js `Client` (gateway and REST), the receivers that
 * bring events in (./receivers.ts), the inbound handling that turns them into calls on the core's
 * port (./inbound.ts, with modal paging in ./paging.ts), the surface that shows the core's
 * messages (./surface.ts), the store-backed routes and tracked messages (./state.ts) and the one
 * REST module (./rest.ts). Answers go out through Discord's REST API — the interaction's webhook
 * while its token lives (15 minutes), the bot's channel messages otherwise.
 */
import {
  Client,
  type ClientOptions,
  GatewayIntentBits,
  Partials,
  type RESTOptions,
  Status,
} from 'discord.js';
import type { Conversation } from '../../src/conversation.js';
import { describeError, ParleyError } from '../../src/errors.js';
import type { ParleyHttpServer } from '../../src/http.js';
import type { ParleyInbound } from '../../src/inbound.js';
import type { Logger } from '../../src/logger.js';
import { metrics, secondsSince } from '../../src/observability/metrics.js';
import type { Sealer, Store } from '../../src/store/index.js';
import type { ChatSurface } from '../../src/surface.js';
import { DiscordInbound } from './inbound.js';
import { FormPages } from './paging.js';
import { listenToGateway, mountInteractionsEndpoint, type ReceiverTarget } from './receivers.js';
import { DiscordRest } from './rest.js';
import { DiscordState } from './state.js';
import { DiscordSurface } from './surface.js';

export interface DiscordAdapterConfig {
  /** The core: its inbound port, and where the surface is attached. */
  agent: ParleyInbound & { attach(surface: ChatSurface): void };
  store: Store;
  /**
   * Seals interaction tokens (and the routes and messages that keep one) before they reach the
   * store: the deployment's key (PARLEY_SECRET), the same in every process on the store.
   */
  sealer: Sealer;
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

export class DiscordAdapter {
  readonly client: Client;
  /** What the core posts to (attach it to the agent: `createDiscordAdapter` does). */
  readonly surface: DiscordSurface;
  private readonly inbound: DiscordInbound;
  private readonly rest: DiscordRest;
  private readonly state: DiscordState;
  private readonly logger: Logger;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly ownsClient: boolean;
  private started = false;
  private usesGateway = false;
  private listening = false;

  constructor(private readonly config: DiscordAdapterConfig) {
    const { agent, logger } = config;
    const now = config.now ?? Date.now;
    this.logger = logger;
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
    this.rest = new DiscordRest(this.client.rest);
    const state = new DiscordState(config.store, config.sealer, now, logger);
    this.state = state;
    this.surface = new DiscordSurface({ rest: this.rest, state, logger, http: config.http, now });
    this.inbound = new DiscordInbound({
      agent,
      state,
      rest: this.rest,
      surface: this.surface,
      pages: new FormPages({ agent, state, rest: this.rest }),
      logger,
      botUserId: () => this.client.user?.id ?? config.applicationId,
      cachedThreadParent: (id) => {
        const cached = this.client.channels.cache.get(id);
        return cached?.isThread() ? (cached.parentId ?? undefined) : undefined;
      },
      run: (conversation, text, after) => this.run(conversation, text, after),
      now,
    });
    if (config.publicKey) {
      if (!config.http)
        throw new ParleyError(
          'config_invalid',
          'DISCORD_PUBLIC_KEY is set, but no HTTP server was given to mount /discord/interactions on.',
        );
      // Mounted now, so the route comes before any catch-all added later; it answers 503 until
      // start().
      mountInteractionsEndpoint(config.http, config.publicKey, this.target(), logger, now);
    }
  }

  /** Listens to the gateway's dispatches and logs in when configured to. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (!this.listening) {
      this.listening = true;
      listenToGateway(this.client, this.rest, this.target());
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

  private target(): ReceiverTarget {
    return {
      running: () => this.started,
      onMessage: (m) => this.inbound.onMessage(m),
      onInteraction: (i, respond) => {
        // Time to the initial response, as Discord measures it against its 3 seconds.
        const received = performance.now();
        return this.inbound.handleInteraction(i, async (body) => {
          metrics.ack('discord', secondsSince(received));
          await respond(body);
        });
      },
      claimInteraction: (id) => this.state.claimInteraction(id),
      track: (work) => this.track(work),
    };
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) =>
      this.logger.warn({ err: describeError(err) }, 'discord handler failed'),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Starts the agent's turn for a message or command, outside the event's own handling. */
  private run(conversation: Conversation, text: string, after?: () => Promise<void>): void {
    void this.config.agent
      .message(conversation, text)
      .then(after)
      .catch((err: unknown) => this.logger.warn({ err: describeError(err) }, 'discord turn failed'));
  }
}
