/**
 * The agent: the core's facade. It wires the core's services together and is what adapters talk
 * to, through the inbound port ({@link ParleyInbound}) and the surface port (`attach`). It decides
 * nothing itself: commands are in `commands.ts`, turns in `turns/`, tool calls and the tool
 * catalog in `tools/`, answers, delivery and presentation in `interactions/`.
 */
import { randomBytes } from 'node:crypto';
import type { SignInOutcome } from './auth/callback.js';
import type { SignInService } from './auth/signin.js';
import { Commands, HELP, parseCommand } from './commands.js';
import type { ServerConfig } from './config.js';
import { type Actor, type Conversation, sessionKey } from './conversation.js';
import { describeError, ParleyError, toParleyError } from './errors.js';
import { ServerFeatures } from './features.js';
import { FeedbackStore } from './feedback.js';
import { type HomeModel, HomeReader } from './home.js';
import type {
  Answer,
  AnswerReply,
  FeedbackReply,
  FeedbackValue,
  LookupReply,
  ParleyInbound,
  Received,
} from './inbound.js';
import { AnswerDesk } from './interactions/answers.js';
import { Delivery, type Resolution } from './interactions/delivery.js';
import { LiveInteractions } from './interactions/live.js';
import { PendingStore } from './interactions/pending.js';
import { Presenter } from './interactions/presenter.js';
import { InputRequests } from './interactions/requests.js';
import { Sampler } from './interactions/sampling.js';
import type { Llm } from './llm.js';
import type { Logger } from './logger.js';
import { McpPool } from './mcp/pool.js';
import { metrics } from './observability/metrics.js';
import { withSpan } from './observability/tracing.js';
import { SessionStore } from './sessions.js';
import type { Sealer, Store } from './store/index.js';
import type { ChatSurface } from './surface.js';
import { ToolCalls } from './tools/calls.js';
import { ToolCatalog } from './tools/catalog.js';
import { type TurnLease, TurnLeases } from './turns/leases.js';
import { NO_LIMITS, type RateLimits, TurnLimits } from './turns/limits.js';
import { TurnRunner } from './turns/runner.js';
import { type TurnState, TurnStore } from './turns/state.js';

export type { Answer, AnswerReply } from './inbound.js';

/** How long a resumed turn waits for one running in its conversation before it goes on (ms). */
const RESUME_WAIT_MS = 30_000;

export const DEFAULT_SYSTEM_PROMPT =
  'You are Parley, a helpful assistant in a team chat. Use the available tools when they help. ' +
  'Tools may ask the person for details with forms; do not invent values the person did not give. Answer concisely in Markdown.';

export interface AgentOptions {
  store: Store;
  servers: ServerConfig[];
  logger: Logger;
  llm?: Llm | undefined;
  now?: () => number;
  processId?: string;
  pendingTtlMs?: number;
  sessionTtlMs?: number;
  historyMaxTurns?: number;
  historyTokenBudget?: number;
  maxSteps?: number;
  /** Most tool calls run from one LLM reply (the rest are answered with a note). */
  maxToolCalls?: number;
  samplingMaxTokens?: number;
  requestTimeoutMs?: number;
  idleTimeoutMs?: number;
  maxConnections?: number;
  systemPrompt?: string;
  /** The model reads images (LLM_VISION=1): image results reach it as image parts. */
  vision?: boolean;
  /** Per-person OAuth sign-in (src/auth): providers for the pool, sign-in links, /login etc. */
  signIn?: SignInService | undefined;
  /**
   * Seals pending interactions at rest (their links are usable URLs). Default: the sign-in
   * service's, which must be this one when both are given (it writes sign-in links the agent
   * reads). Without either, records stay in clear: only for an in-memory store.
   */
  sealer?: Sealer | undefined;
  /** How long a process may miss its heartbeat before its running turns count as cut off (ms). */
  turnLeaseMs?: number;
  /** Fair use per person and per workspace (turns/limits.ts); unlimited when absent. */
  rateLimits?: RateLimits;
}

export class Agent implements ParleyInbound {
  readonly processId: string;
  readonly pool: McpPool;
  private readonly logger: Logger;
  private readonly llm: Llm | undefined;
  private readonly signInService: SignInService | undefined;
  private readonly now: () => number;
  private readonly pending: PendingStore;
  private readonly presenter: Presenter;
  private readonly delivery: Delivery;
  private readonly desk: AnswerDesk;
  private readonly requests: InputRequests;
  private readonly live: LiveInteractions;
  private readonly catalog: ToolCatalog;
  private readonly runner: TurnRunner;
  private readonly commands: Commands;
  private readonly leases: TurnLeases;
  private readonly limits: TurnLimits;
  private readonly feedbacks: FeedbackStore;
  private readonly homes: HomeReader;
  /** The leases of turns running in this process, by conversation. */
  private readonly running = new Map<string, TurnLease>();
  private busy = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(options: AgentOptions) {
    const { store, logger } = options;
    this.logger = logger;
    this.llm = options.llm;
    this.signInService = options.signIn;
    this.now = options.now ?? Date.now;
    this.processId = options.processId ?? randomBytes(6).toString('hex');
    const now = this.now;
    if (options.sealer && options.signIn && options.sealer !== options.signIn.sealer)
      throw new ParleyError(
        'config_invalid',
        'The agent and the sign-in service must seal with the same key (pass the sign-in service’s sealer, or none).',
      );
    const sealer = options.sealer ?? options.signIn?.sealer;
    this.pending = new PendingStore(store, options.pendingTtlMs ?? 15 * 60_000, sealer, logger);
    const sessions = new SessionStore(store, {
      maxTurns: options.historyMaxTurns ?? 20,
      tokenBudget: options.historyTokenBudget ?? 8000,
      ttlMs: options.sessionTtlMs ?? 7 * 24 * 3600_000,
    });
    this.presenter = new Presenter({ pending: this.pending, logger, now });
    this.limits = new TurnLimits(store, options.rateLimits ?? NO_LIMITS, logger);
    this.leases = new TurnLeases({
      store,
      logger,
      processId: this.processId,
      leaseMs: options.turnLeaseMs ?? 15_000,
      tellCutOff: async (conversation, doing) => {
        await this.presenter.say(
          conversation,
          doing
            ? `⚠️ I was restarted while working on this, during ${doing}, so it may or may not have run. Please check before asking again.`
            : '⚠️ I was restarted while working on your last message, so I couldn’t finish it. Please send it again.',
        );
      },
    });
    const turns = new TurnStore(store, this.presenter, this.pending.ttl);
    this.delivery = new Delivery({
      store,
      pending: this.pending,
      logger,
      now,
      processId: this.processId,
      resumeTurn: (turnJson, resolution) => {
        const turn = JSON.parse(turnJson) as TurnState;
        // In the background: the adapter that delivered the answer must be able to ack now.
        void this.track(() =>
          withSpan('parley.turn.resume', { 'parley.platform': turn.conversation.platform }, () =>
            // After any turn running in the conversation now: never interleaved.
            this.leased(turn.conversation, RESUME_WAIT_MS, () => this.runner.resume(turn, resolution)),
          ).catch((err) => this.fail(turn.conversation, err)),
        );
      },
    });
    this.desk = new AnswerDesk({
      pending: this.pending,
      presenter: this.presenter,
      delivery: this.delivery,
      logger,
      now,
    });
    this.presenter.onUnshowable = async (record, reason) => {
      await this.presenter.say(record.conversation, `⚠️ ${record.origin}: ${reason}, so I declined it.`);
      await this.desk.settle(record, { action: 'decline' }, 'declined');
    };
    const sampler = new Sampler(
      this.llm,
      options.samplingMaxTokens ?? 1024,
      (ctx, text) => this.presenter.say(ctx.conversation, text),
      (ctx, tokens) => this.limits.spent(ctx.conversation, tokens),
    );
    this.requests = new InputRequests(this.presenter, sampler, logger, now, this.pending.ttl);
    this.live = new LiveInteractions({
      processId: this.processId,
      requests: this.requests,
      delivery: this.delivery,
      presenter: this.presenter,
      pending: this.pending,
      now,
    });
    this.pool = new McpPool({
      servers: options.servers,
      hooks: {
        request: (ctx, request, signal) => this.live.serverRequest(ctx, request, signal),
        elicitationComplete: (id) => this.requests.elicitationComplete(id),
      },
      sampling: sampler.available,
      logger,
      requestTimeoutMs: options.requestTimeoutMs ?? 600_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 15 * 60_000,
      maxConnections: options.maxConnections ?? 200,
      ...(options.signIn && {
        authProviderFor: (identity: string, server: ServerConfig) =>
          options.signIn?.providerFor(identity, server),
      }),
    });
    this.catalog = new ToolCatalog(this.pool, logger);
    const features = new ServerFeatures({
      pool: this.pool,
      logger,
      ask: (conversation, origin, form) => this.live.ask(conversation, origin, form),
    });
    const calls = new ToolCalls({
      pool: this.pool,
      catalog: this.catalog,
      presenter: this.presenter,
      requests: this.requests,
      turns,
      logger,
      signIn: this.signInService,
      onActivity: (turn, what) =>
        void this.running
          .get(sessionKey(turn.conversation))
          ?.doing(what)
          .catch(() => undefined),
      vision: options.vision === true,
      features,
    });
    this.feedbacks = new FeedbackStore(store, logger, now);
    this.runner = new TurnRunner({
      llm: this.llm,
      feedback: this.feedbacks,
      catalog: this.catalog,
      calls,
      presenter: this.presenter,
      sessions,
      systemPrompt: options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT,
      maxSteps: options.maxSteps ?? 8,
      features,
      ...(options.maxToolCalls !== undefined && { maxToolCalls: options.maxToolCalls }),
      onUsage: (conversation, tokens) => this.limits.spent(conversation, tokens),
    });
    this.commands = new Commands({
      presenter: this.presenter,
      sessions,
      catalog: this.catalog,
      runner: this.runner,
      pool: this.pool,
      processId: this.processId,
      signIn: this.signInService,
      features,
      hasLlm: this.llm !== undefined,
    });
    this.homes = new HomeReader({
      pool: this.pool,
      catalog: this.catalog,
      pending: this.pending,
      signIn: this.signInService,
      now,
    });
  }

  /** Adds a surface for its platform (the surface port). */
  attach(surface: ChatSurface): void {
    this.presenter.attach(surface);
  }

  /**
   * Subscribes to answers relayed to this process. The subscription is also its liveness signal:
   * an answer published to a process that has gone reaches no one, and the sender learns it.
   */
  async start(): Promise<void> {
    await this.delivery.start();
    await this.leases.start();
  }

  async stop(): Promise<void> {
    await this.leases.stop();
    await this.delivery.stop();
    await this.pool.closeAll();
  }

  /** Resolves when this process has no turn running (a turn paused in the store counts as done). */
  whenIdle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Forgets the interactions this process showed, as a restart would (tests of the store path). */
  forgetShownInteractions(): void {
    this.presenter.forgetShown();
  }

  // ───────────────────────────── the inbound port ─────────────────────────────

  message(conversation: Conversation, text: string): Promise<void> {
    // One trace per turn (OpenTelemetry, when configured).
    return this.track(() =>
      withSpan('parley.turn', { 'parley.platform': conversation.platform }, async () => {
        try {
          const trimmed = text.trim();
          const command = parseCommand(trimmed);
          // Fair use is counted where every message enters, whichever process receives it.
          const refusal = trimmed ? await this.limits.admit(conversation, !command) : undefined;
          if (refusal) {
            metrics.turn(conversation.platform, 'limited');
            await this.presenter.say(conversation, refusal);
            return;
          }
          if (command)
            // A tool call is a turn: one at a time per conversation. Other commands answer at once.
            return command.name === '/call'
              ? await this.leased(conversation, 0, () => this.commands.run(conversation, command, trimmed))
              : await this.commands.run(conversation, command, trimmed);
          if (!trimmed) return;
          if (!this.llm) {
            await this.presenter.say(
              conversation,
              'No language model is configured, so I can only run direct commands. Try `/tools` or `/help`, or set OPENAI_API_KEY.',
            );
            return;
          }
          await this.runner.converse(conversation, trimmed);
        } catch (err) {
          await this.fail(conversation, err);
        }
      }),
    );
  }

  answer(id: string, actor: Actor, answer: Answer): Promise<AnswerReply> {
    return this.desk.answer(id, actor, answer);
  }

  receive(id: string, actor: Actor, answer: Answer): Promise<Received> {
    return this.desk.receive(id, actor, answer);
  }

  lookup(id: string, actor: Actor): Promise<LookupReply> {
    return this.desk.lookup(id, actor);
  }

  toolNames(actor: Actor): Promise<string[]> {
    return this.catalog.names(actor);
  }

  serverNames(): string[] {
    return this.pool.servers.map((s) => s.name);
  }

  home(actor: Actor): Promise<HomeModel> {
    return this.homes.read(actor);
  }

  signIn(conversation: Conversation, server: string): Promise<void> {
    return this.track(async () => {
      try {
        await this.commands.account(conversation, '/login', server);
      } catch (err) {
        await this.fail(conversation, err);
      }
    });
  }

  signOut(actor: Actor, server: string): Promise<string> {
    return this.commands.signOut(actor, server);
  }

  feedback(answerId: string, actor: Actor, value: FeedbackValue): Promise<FeedbackReply> {
    return this.feedbacks.record(answerId, actor, value);
  }

  /**
   * A sign-in finished (the OAuth callback, in whichever process received it): tells the people
   * waiting, closes their sign-in links and resumes the turns that paused for it.
   */
  async resumeAfterSignIn(outcome: SignInOutcome): Promise<void> {
    for (const conversation of outcome.notify) {
      const text = outcome.ok
        ? `✅ You’re signed in to **${outcome.title}**.`
        : `⚠️ ${outcome.message ?? `Signing in to ${outcome.title} didn’t work.`}`;
      await this.presenter.say(conversation, text);
    }
    const resolution: Resolution = { action: outcome.ok ? 'accept' : 'cancel' };
    for (const waiter of outcome.waiters) {
      const record = await this.pending.get(waiter.interactionId);
      if (record) await this.desk.settle(record, resolution, outcome.ok ? 'done' : 'cancelled');
    }
    // Signed in (or not after all): the person's home shows it either way.
    if (outcome.actor.platform) this.presenter.homeChanged(outcome.actor);
  }

  // ───────────────────────────── plumbing ─────────────────────────────

  /**
   * Runs a turn holding its conversation's lease (see turns/leases.ts). Without `wait`, a turn
   * already running there means this one is refused with a sentence; with it, it waits its turn.
   */
  private async leased(conversation: Conversation, wait: number, work: () => Promise<void>): Promise<void> {
    // A resumed turn (wait > 0) holds an answer already taken from the store: it goes on even if
    // the store can't give it the lease right now. A new message is better refused.
    const lease = await this.leases.acquire(conversation, wait).catch((err: unknown) => {
      if (wait === 0) throw err;
      this.logger.warn({ err: describeError(err) }, 'resuming a turn without its conversation lease');
      return { doing: async () => undefined, release: async () => undefined };
    });
    if (!lease) {
      await this.presenter.say(
        conversation,
        'I’m still working on your last message here. Send this again once I’ve answered.',
      );
      return;
    }
    const key = sessionKey(conversation);
    this.running.set(key, lease);
    try {
      await work();
    } finally {
      if (this.running.get(key) === lease) this.running.delete(key);
      await lease.release();
    }
  }

  private async track<T>(work: () => Promise<T>): Promise<T> {
    this.busy += 1;
    try {
      return await work();
    } finally {
      this.busy -= 1;
      if (this.busy === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async fail(conversation: Conversation, err: unknown): Promise<void> {
    const e = toParleyError(err);
    this.logger.warn({ code: e.code, err: e.message }, 'turn failed');
    metrics.turn(conversation.platform, 'failed');
    await this.presenter.say(conversation, `⚠️ ${e.userMessage}`);
  }
}

export { HELP };
