/**
 * The agent: the core's facade. It wires the core's services together and is what adapters talk
 * to, through the inbound port ({@link ParleyInbound}) and the surface port (`attach`). It decides
 * nothing itself: a message becomes a turn in `turns/incoming.ts` (turns running in this process:
 * `turns/running.ts`), commands are in `commands.ts`, turns in `turns/`, tool calls and the tool
 * catalog in `tools/`, answers, delivery and presentation in `interactions/`, the home in
 * `home.ts`, feedback in `feedback.ts`, and what follows a sign-in in `auth/resume.ts`.
 */
import { randomBytes } from 'node:crypto';
import type { SignInOutcome } from './auth/callback.js';
import { resumeAfterSignIn } from './auth/resume.js';
import type { SignInService } from './auth/signin.js';
import { Commands, HELP } from './commands.js';
import type { ServerConfig } from './config.js';
import type { Actor, Conversation } from './conversation.js';
import { ParleyError } from './errors.js';
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
import { Delivery } from './interactions/delivery.js';
import { LiveInteractions } from './interactions/live.js';
import { PendingStore } from './interactions/pending.js';
import { Presenter } from './interactions/presenter.js';
import { InputRequests } from './interactions/requests.js';
import { Sampler } from './interactions/sampling.js';
import type { Llm } from './llm.js';
import type { Logger } from './logger.js';
import { McpPool } from './mcp/pool.js';
import { SessionStore } from './sessions.js';
import type { Sealer, Store } from './store/index.js';
import type { ChatSurface } from './surface.js';
import { ToolCalls } from './tools/calls.js';
import { ToolCatalog } from './tools/catalog.js';
import { IncomingMessages } from './turns/incoming.js';
import { NO_LIMITS, type RateLimits, TurnLimits } from './turns/limits.js';
import { TurnRunner } from './turns/runner.js';
import { RunningTurns } from './turns/running.js';
import { type TurnState, TurnStore } from './turns/state.js';

export type { Answer, AnswerReply } from './inbound.js';

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
  private readonly limits: TurnLimits;
  /** Turns running in this process: leases, the idle count, failures told (turns/running.ts). */
  private readonly running: RunningTurns;
  /** A message, from the inbound port to a turn (turns/incoming.ts). */
  private readonly incoming: IncomingMessages;
  private readonly feedbacks: FeedbackStore;
  private readonly homes: HomeReader;

  constructor(options: AgentOptions) {
    const { store, logger } = options;
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
    this.running = new RunningTurns({
      store,
      logger,
      processId: this.processId,
      leaseMs: options.turnLeaseMs ?? 15_000,
      presenter: this.presenter,
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
        this.running.resume(turn.conversation, () => this.runner.resume(turn, resolution));
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
      onActivity: (turn, what) => this.running.doing(turn.conversation, what),
      vision: options.vision === true,
      features,
      expireLater: (record, ctx) => this.live.expireStored(record, ctx),
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
    this.incoming = new IncomingMessages({
      limits: this.limits,
      presenter: this.presenter,
      commands: this.commands,
      runner: this.runner,
      running: this.running,
      hasLlm: this.llm !== undefined,
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
    await this.running.start();
  }

  async stop(): Promise<void> {
    this.live.stop();
    await this.running.stop();
    await this.delivery.stop();
    await this.pool.closeAll();
  }

  /** Resolves when this process has no turn running (a turn paused in the store counts as done). */
  whenIdle(): Promise<void> {
    return this.running.whenIdle();
  }

  /** Forgets the interactions this process showed, as a restart would (tests of the store path). */
  forgetShownInteractions(): void {
    this.presenter.forgetShown();
    // A restart loses the stored rounds' expiry timers too: their offers close when next clicked.
    this.live.stop();
  }

  // ───────────────────────────── the inbound port ─────────────────────────────

  message(conversation: Conversation, text: string): Promise<void> {
    return this.incoming.handle(conversation, text);
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
    return this.running.track(async () => {
      try {
        await this.commands.account(conversation, '/login', server);
      } catch (err) {
        await this.running.fail(conversation, err);
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
  resumeAfterSignIn(outcome: SignInOutcome): Promise<void> {
    return resumeAfterSignIn({ presenter: this.presenter, pending: this.pending, desk: this.desk }, outcome);
  }
}

export { HELP };
