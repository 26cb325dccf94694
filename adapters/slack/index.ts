/**
 * The Slack adapter: a Bolt app in Socket Mode (an app token; no public URL needed) or HTTP mode
 * (a signing secret; `/slack/events` on Parley's own HTTP server, beside health and OAuth), and
 * the {@link SlackSurface} that renders the core's neutral messages in Slack.
 *
 * Wiring (the composition root):
 * ```ts
 * const slack = createSlackAdapter({ agent, store, http, logger, ...slackSettingsFromEnv(process.env) });
 * agent.attach(slack.surface);
 * await agent.start();
 * await slack.start();   // checks the token, connects Socket Mode
 * …
 * await slack.stop();
 * ```
 */
import {
  App,
  ExpressReceiver,
  LogLevel,
  type Logger as SlackLogger,
  SocketModeReceiver,
  webApi,
} from '@slack/bolt';
import { type RequestHandler, Router } from 'express';
import type { Agent } from '../../src/agent.js';
import type { Conversation } from '../../src/conversation.js';
import { describeError, ParleyError } from '../../src/errors.js';
import type { ParleyHttpServer } from '../../src/http.js';
import type { Logger } from '../../src/logger.js';
import type { Sealer, Store } from '../../src/store/index.js';
import { DEFAULT_SLACK_API_URL, DEFAULT_SLACK_COMMAND, type SlackSettings } from './config.js';
import { WorkGate } from './gate.js';
import { SlackHome } from './home.js';
import { type AnyBody, actorOf, registerInbound } from './inbound.js';
import { receiveThenHandle } from './receive.js';
import { SlackSurface } from './surface.js';

export { type SlackSettings, slackEnvSchema, slackSettingsFromEnv } from './config.js';
export { SlackSurface } from './surface.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAdapterConfig extends SlackSettings {
  agent: Agent;
  store: Store;
  /**
   * Seals what could post as Parley (response URLs) before it reaches the store: the deployment's
   * key (PARLEY_SECRET), the same in every process on the store.
   */
  sealer: Sealer;
  /** Parley's HTTP server: HTTP mode mounts `/slack/events` on it; long links get short redirects. */
  http?: ParleyHttpServer | undefined;
  logger: Logger;
  /** How long a delivered event id is remembered against Slack's retries. Default 15 minutes. */
  dedupeTtlMs?: number;
  /** Web API retries. Default Slack's policy; tests pass 0 so a failure shows at once. */
  retries?: number;
}

/** Slack's SDK logs through Parley's logger, never below info (debug would print message payloads). */
function slackLogger(logger: Logger): SlackLogger {
  const log = logger.child({ component: 'slack' });
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : describeError(m))).join(' ');
  return {
    debug: () => undefined,
    info: (...msg: unknown[]) => log.info(text(msg)),
    warn: (...msg: unknown[]) => log.warn(text(msg)),
    error: (...msg: unknown[]) => log.error(text(msg)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

export class SlackAdapter {
  readonly surface: SlackSurface;
  readonly mode: 'socket' | 'http';
  private socketReceiver: SocketModeReceiver | undefined;
  private readonly expressReceiver: ExpressReceiver | undefined;
  private readonly work = new Set<Promise<unknown>>();
  /** Work after acks waits while deliveries are being read and acked (gate.ts). */
  private readonly gate = new WorkGate();
  private running = false;
  private socketConnected = false;
  private readonly apiUrl: string;
  private readonly slackLog: SlackLogger;

  constructor(private readonly config: SlackAdapterConfig) {
    this.apiUrl = withSlash(config.apiUrl ?? DEFAULT_SLACK_API_URL);
    this.slackLog = slackLogger(config.logger);
    this.surface = new SlackSurface({
      store: config.store,
      sealer: config.sealer,
      logger: config.logger,
      http: config.http,
      track: (p) => this.track(p),
    });
    if (config.appToken) {
      this.mode = 'socket';
    } else if (config.signingSecret) {
      this.mode = 'http';
      if (!config.http)
        throw new ParleyError(
          'config_invalid',
          'Slack HTTP mode needs Parley’s HTTP server to mount /slack/events on.',
        );
      // Mounted now, behind a switch, so the route sits before any catch-all added later; until
      // start() it answers 503 and Slack retries.
      const router = Router();
      this.expressReceiver = new ExpressReceiver({
        signingSecret: config.signingSecret,
        endpoints: SLACK_EVENTS_PATH,
        router,
        logger: this.slackLog,
      });
      const whileRunning: RequestHandler = (_req, res, next) => {
        if (!this.running) {
          res.status(503).json({ ok: false, error: 'Parley’s Slack adapter is not running.' });
          return;
        }
        // In flight from the moment its headers are read until its response is written.
        this.gate.arrived();
        res.once('close', () => this.gate.acked());
        next();
      };
      config.http.app.use(SLACK_EVENTS_PATH, whileRunning);
      config.http.app.use(router);
    } else {
      throw new ParleyError(
        'config_invalid',
        'The Slack adapter needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode).',
      );
    }
  }

  /** Checks the bot token, then listens (Socket Mode connects; HTTP mode starts answering). */
  async start(): Promise<void> {
    const clientOptions = {
      slackApiUrl: this.apiUrl,
      logger: this.slackLog,
      ...(this.config.retries !== undefined && { retryConfig: { retries: this.config.retries } }),
    };
    const probe = new webApi.WebClient(this.config.botToken, clientOptions);
    let auth: webApi.AuthTestResponse;
    try {
      auth = await probe.auth.test();
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      throw new ParleyError(
        'config_invalid',
        code
          ? `Slack refused SLACK_BOT_TOKEN (${code}). Check the token, or SLACK_API_URL (${this.apiUrl}).`
          : `Slack could not be reached at ${this.apiUrl}: ${describeError(err)}`,
        { cause: err },
      );
    }
    const botUserId = auth.user_id ?? '';
    const receiver =
      this.mode === 'socket'
        ? new SocketModeReceiver({
            appToken: this.config.appToken as string,
            logger: this.slackLog,
            installerOptions: { clientOptions },
          })
        : (this.expressReceiver as ExpressReceiver);
    this.socketReceiver = receiver instanceof SocketModeReceiver ? receiver : undefined;
    if (this.socketReceiver) {
      const socket = this.socketReceiver.client;
      socket.on('connected', () => {
        this.socketConnected = true;
      });
      for (const state of ['connecting', 'reconnecting', 'disconnecting', 'disconnected'])
        socket.on(state, () => {
          this.socketConnected = false;
        });
    }
    // botId and botUserId given: Bolt skips its own auth.test.
    const app = new App({
      token: this.config.botToken,
      botId: auth.bot_id ?? '',
      botUserId,
      receiver,
      logger: this.slackLog,
      clientOptions,
      // Parley keeps no Bolt conversation state; the default store costs every delivery a lookup
      // that fails with a new Error ("Conversation not found") before any listener runs.
      convoStore: false,
    });
    receiveThenHandle(app, { gate: this.gate, countsDeliveries: this.mode === 'socket' });
    registerInbound({
      app,
      agent: this.config.agent,
      store: this.config.store,
      surface: this.surface,
      logger: this.config.logger,
      command: this.config.command ?? DEFAULT_SLACK_COMMAND,
      botUserId,
      dedupeTtlMs: this.config.dedupeTtlMs ?? 15 * 60_000,
      run: (conversation, text) => this.run(conversation, text),
      background: (work) => this.track(work),
      admit: () => this.gate.admit(),
    });
    const home = new SlackHome({
      agent: this.config.agent,
      store: this.config.store,
      logger: this.config.logger,
      web: () => this.surface.web,
      http: this.config.http,
      track: (p) => this.track(p),
      actorOf: (body) => actorOf(body as unknown as AnyBody),
    });
    home.register(app);
    this.surface.onHomeChanged = (actor) => home.changed(actor);
    this.surface.setClient(app.client);
    if (this.socketReceiver) await this.socketReceiver.start();
    this.running = true;
    this.config.logger.info(
      { mode: this.mode, team: auth.team, bot: auth.user },
      this.mode === 'socket'
        ? 'Slack adapter connected (Socket Mode)'
        : `Slack adapter listening on ${SLACK_EVENTS_PATH}`,
    );
  }

  /** Whether Slack can reach this process: running, and in Socket Mode with the socket up. */
  get connected(): boolean {
    return this.running && (this.mode === 'http' || this.socketConnected);
  }

  /** Stops listening and waits for message updates already under way. */
  async stop(): Promise<void> {
    this.running = false;
    this.socketConnected = false;
    if (this.socketReceiver) await this.socketReceiver.stop().catch(() => undefined);
    this.socketReceiver = undefined;
    await this.idle();
  }

  /** Resolves when no background work (turns started here, message rewrites) is running. */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  private run(conversation: Conversation, text: string): void {
    // After the current I/O: requests already waiting (other people's acks) go first.
    this.track(this.gate.admit().then(() => this.config.agent.message(conversation, text)));
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) =>
      this.config.logger.warn({ err: describeError(err) }, 'Slack background work failed'),
    );
    this.work.add(tracked);
    void tracked.finally(() => this.work.delete(tracked));
  }
}

export function createSlackAdapter(config: SlackAdapterConfig): SlackAdapter {
  return new SlackAdapter(config);
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
