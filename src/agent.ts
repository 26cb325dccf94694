/**
 * The agent: runs a person's turn (LLM tool loop or a direct command), and everything a tool can
 * need from the person on the way — V1 form payloads, MRTR input rounds, server-initiated
 * elicitation, URL steps, confirmations and sampling. State that must outlive a process (paused
 * turns, pending interactions) lives in the store; only live MCP calls and their waiting promises
 * live in memory, and answers reach the process that holds them over the store's pub/sub.
 */
import { randomBytes } from 'node:crypto';
import type { CallToolResult, CreateMessageResult, ElicitResult, Tool } from '@modelcontextprotocol/client';
import { UrlElicitationRequiredError } from '@modelcontextprotocol/client';
import { isSignInRequired } from './auth/provider.js';
import type { SignInOutcome, SignInService } from './auth/signin.js';
import type { ServerConfig } from './config.js';
import { type Actor, type Conversation, identityKey, sameActor } from './conversation.js';
import { describeError, isParleyError, ParleyError, toParleyError } from './errors.js';
import { type FormContent, type FormSpec, schemaToForm, validateSubmission } from './interactions/form.js';
import { type PendingInteraction, PendingStore } from './interactions/pending.js';
import { findV1Payload, v1PayloadToForm } from './interactions/v1.js';
import type { Llm, LlmMessage, LlmTool, LlmToolCall } from './llm.js';
import type { Logger } from './logger.js';
import type { CallContext, CallOutcome, ConnectionHooks, InputRequestMap } from './mcp/connection.js';
import { isStaleConnectionError, McpPool } from './mcp/pool.js';
import { metrics } from './observability/metrics.js';
import { withSpan } from './observability/tracing.js';
import { SessionStore } from './sessions.js';
import { type Store, setJson, takeJson } from './store/index.js';
import type { ChatSurface, InteractionOutcome, LinkView, OutboundMessage } from './surface.js';
import { hostOf, repairTypedJson, safeUrl, truncate } from './text.js';

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
  samplingMaxTokens?: number;
  requestTimeoutMs?: number;
  idleTimeoutMs?: number;
  maxConnections?: number;
  systemPrompt?: string;
  /** Per-person OAuth sign-in (src/auth): providers for the pool, sign-in links, /login etc. */
  signIn?: SignInService | undefined;
}

/** What an adapter gets back when it forwards a person's answer. */
export type AnswerReply =
  | { ok: true; message?: string }
  | {
      ok: false;
      code: 'expired' | 'not_yours' | 'used' | 'invalid' | 'unavailable';
      message: string;
      errors?: Record<string, string>;
    };

type Answer =
  | { type: 'form'; action: 'accept'; content: FormContent }
  | { type: 'form'; action: 'decline' | 'cancel' }
  | { type: 'confirm'; approved: boolean }
  | { type: 'link'; action: 'accept' | 'decline' | 'cancel' | 'done' };

/** Why a paused turn is waiting. */
type Wait =
  | { type: 'v1'; interactionId: string }
  | {
      type: 'mrtr';
      interactionId: string;
      key: string;
      inputRequests: InputRequestMap;
      requestState?: string;
      answers: Record<string, unknown>;
    }
  | { type: 'confirm'; interactionId: string }
  | { type: 'url_retry'; interactionId: string }
  /** The server wants the person to sign in; the OAuth callback resumes the call. */
  | { type: 'signin'; interactionId: string };

interface TurnState {
  id: string;
  conversation: Conversation;
  mode: 'llm' | 'direct';
  messages: LlmMessage[];
  /** Tool calls of the current step still to run; the head is the one in progress. */
  queue: LlmToolCall[];
  /** Calls already confirmed by the person (ids), so a resume doesn't ask again. */
  confirmed: string[];
  steps: number;
  userText: string;
  wait?: Wait;
}

type StepResult = { done: true; content: string } | { done: false };

const SEP = '__';
const HELP = [
  '**Parley** puts MCP tools in this chat. Ask in plain words, or use:',
  '• `/tools` — list the tools I can use',
  '• `/call <tool> {json}` — call a tool directly, e.g. `/call demo__echo {"message":"hi"}`',
  '• `/login <server>` · `/logout <server>` — sign in to (or out of) a server that needs your account',
  '• `/whoami` — which servers you are signed in to',
  '• `/reset` — forget this conversation',
  '• `/help` — this message',
].join('\n');

export class Agent {
  readonly processId: string;
  readonly pool: McpPool;
  private readonly store: Store;
  private readonly pending: PendingStore;
  private readonly sessions: SessionStore;
  private readonly logger: Logger;
  private readonly llm: Llm | undefined;
  private readonly signIn: SignInService | undefined;
  private readonly now: () => number;
  private readonly surfaces = new Map<string, ChatSurface>();
  private readonly waiters = new Map<string, { resolve: (a: Answer) => void; timer: NodeJS.Timeout }>();
  /** URL elicitations awaiting their completion notice (in memory: it only words a message). */
  private readonly urlElicitations = new Map<string, { conversation: Conversation; until: number }>();
  private readonly opts: Required<Pick<AgentOptions, 'maxSteps' | 'samplingMaxTokens' | 'systemPrompt'>>;
  private unsubscribe: (() => Promise<void>) | undefined;
  /**
   * Interaction views held back until whatever receives the answer exists — the stored paused
   * turn, or the live waiter of a server-initiated request — so an answer (a quick click, a
   * retried delivery, an adapter declining what it can't show) never finds no one.
   */
  private readonly held = new Map<string, Array<[Conversation, OutboundMessage]>>();
  private busy = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(options: AgentOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.llm = options.llm;
    this.signIn = options.signIn;
    this.now = options.now ?? Date.now;
    this.processId = options.processId ?? randomBytes(6).toString('hex');
    this.pending = new PendingStore(this.store, options.pendingTtlMs ?? 15 * 60_000);
    this.sessions = new SessionStore(this.store, {
      maxTurns: options.historyMaxTurns ?? 20,
      tokenBudget: options.historyTokenBudget ?? 8000,
      ttlMs: options.sessionTtlMs ?? 7 * 24 * 3600_000,
    });
    this.opts = {
      maxSteps: options.maxSteps ?? 8,
      samplingMaxTokens: options.samplingMaxTokens ?? 1024,
      systemPrompt:
        options.systemPrompt ??
        'You are Parley, a helpful assistant in a team chat. Use the available tools when they help. ' +
          'Tools may ask the person for details with forms; do not invent values the person did not give. Answer concisely in Markdown.',
    };
    const hooks: ConnectionHooks = {
      elicit: (ctx, params, signal) => this.onElicit(ctx, params, signal),
      sample: (ctx, params) => this.onSample(ctx, params),
      elicitationComplete: (elicitationId) => this.onElicitationComplete(elicitationId),
    };
    this.pool = new McpPool({
      servers: options.servers,
      hooks,
      logger: this.logger,
      requestTimeoutMs: options.requestTimeoutMs ?? 600_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 15 * 60_000,
      maxConnections: options.maxConnections ?? 200,
      ...(options.signIn && {
        authProviderFor: (identity: string, server: ServerConfig) =>
          options.signIn?.providerFor(identity, server),
      }),
    });
  }

  attach(surface: ChatSurface): void {
    this.surfaces.set(surface.platform, surface);
  }

  /**
   * Subscribes to answers for this process. The subscription is also its liveness signal: an
   * answer published to a process that has gone reaches no one, and the sender learns it at once.
   */
  async start(): Promise<void> {
    this.unsubscribe = await this.store.subscribe(`proc:${this.processId}`, (raw) => this.onDelivery(raw));
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
    this.unsubscribe = undefined;
    for (const [id, w] of this.waiters) {
      clearTimeout(w.timer);
      w.resolve({ type: 'form', action: 'cancel' });
      this.waiters.delete(id);
    }
    await this.pool.closeAll();
  }

  // ───────────────────────────── inbound: messages ─────────────────────────────

  /** Resolves when this process has no turn running (a turn paused in the store counts as done). */
  whenIdle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
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

  /** A message from a person. Never throws: failures become a clear reply. */
  handleMessage(conversation: Conversation, text: string): Promise<void> {
    return this.track(() =>
      withSpan('parley.turn', { 'parley.platform': conversation.platform }, () =>
        this.handleMessageNow(conversation, text),
      ),
    );
  }

  private async handleMessageNow(conversation: Conversation, text: string): Promise<void> {
    try {
      const trimmed = text.trim();
      if (trimmed.startsWith('/')) return await this.command(conversation, trimmed);
      if (!trimmed) return;
      if (!this.llm) {
        await this.say(
          conversation,
          'No language model is configured, so I can only run direct commands. Try `/tools` or `/help`, or set OPENAI_API_KEY.',
        );
        return;
      }
      await this.post(conversation, { kind: 'progress', text: 'Working on it…' });
      const history = await this.sessions.history(conversation);
      const turn: TurnState = {
        id: randomBytes(12).toString('base64url'),
        conversation,
        mode: 'llm',
        messages: [
          { role: 'system', content: this.opts.systemPrompt },
          ...this.sessions.toMessages(history),
          { role: 'user', content: trimmed },
        ],
        queue: [],
        confirmed: [],
        steps: 0,
        userText: trimmed,
      };
      await this.runTurn(turn);
    } catch (err) {
      await this.fail(conversation, err);
    }
  }

  private async command(conversation: Conversation, text: string): Promise<void> {
    const [cmd = '', ...rest] = text.split(/\s+/);
    const argText = text.slice(cmd.length).trim();
    switch (cmd.toLowerCase()) {
      case '/help':
        await this.say(conversation, HELP);
        return;
      case '/reset':
        await this.sessions.reset(conversation);
        await this.say(conversation, 'Done — I’ve forgotten this conversation.');
        return;
      case '/tools':
        await this.say(conversation, await this.describeTools(conversation));
        return;
      case '/call': {
        const name = rest[0];
        if (!name) {
          await this.say(conversation, 'Usage: `/call <tool> {json arguments}` — see `/tools` for names.');
          return;
        }
        const argsText = repairTypedJson(argText.slice(name.length).trim() || '{}');
        const turn: TurnState = {
          id: randomBytes(12).toString('base64url'),
          conversation,
          mode: 'direct',
          messages: [],
          queue: [
            { id: 'direct', name: await this.resolveToolName(conversation, name), arguments: argsText },
          ],
          confirmed: [],
          steps: 0,
          userText: text,
        };
        await this.runTurn(turn);
        return;
      }
      case '/login':
      case '/logout':
      case '/whoami': {
        if (!this.signIn) {
          await this.say(conversation, 'Sign-in isn’t set up here, so there is nothing to sign in to.');
          return;
        }
        const command = cmd.toLowerCase() as '/login' | '/logout' | '/whoami';
        const route = { type: 'live', processId: this.processId } as const;
        for (const m of await this.signIn.command(conversation, command, rest[0], route))
          await this.post(conversation, m);
        // Signed out: the next call must not reuse a session opened with the old account.
        if (command === '/logout')
          for (const s of this.signIn.servers)
            if (!rest[0] || s.name === rest[0]) await this.pool.discard(identityKey(conversation), s.name);
        return;
      }
      default:
        await this.say(conversation, `I don’t know the command \`${cmd}\`.\n\n${HELP}`);
    }
  }

  // ───────────────────────────── inbound: answers ─────────────────────────────

  /** A submitted form. Invalid values come back as per-field errors; nothing is consumed then. */
  async submitForm(id: string, actor: Actor, values: Record<string, unknown>): Promise<AnswerReply> {
    return this.answer(id, actor, 'form', (record) => {
      if (!record.form) return { error: 'This is not a form.' };
      const checked = validateSubmission(record.form, values);
      if (!checked.ok) return { errors: checked.errors };
      return { answer: { type: 'form', action: 'accept', content: checked.content }, outcome: 'submitted' };
    });
  }

  async declineForm(
    id: string,
    actor: Actor,
    action: 'decline' | 'cancel' = 'decline',
  ): Promise<AnswerReply> {
    return this.answer(id, actor, undefined, (record) => {
      if (record.kind === 'confirm')
        return { answer: { type: 'confirm', approved: false }, outcome: 'declined' };
      if (record.kind === 'link')
        return { answer: { type: 'link', action }, outcome: action === 'decline' ? 'declined' : 'cancelled' };
      return { answer: { type: 'form', action }, outcome: action === 'decline' ? 'declined' : 'cancelled' };
    });
  }

  async confirm(id: string, actor: Actor, approved: boolean): Promise<AnswerReply> {
    return this.answer(id, actor, 'confirm', () => ({
      answer: { type: 'confirm', approved },
      outcome: approved ? 'confirmed' : 'declined',
    }));
  }

  /** The person chose to open a consent link (URL elicitation): that is their `accept`. */
  async openLink(id: string, actor: Actor): Promise<AnswerReply & { url?: string }> {
    let url: string | undefined;
    const reply = await this.answer(id, actor, 'link', (r) => {
      if (r.link?.purpose !== 'consent') return { error: 'This link needs no consent.' };
      url = r.link.url;
      return { answer: { type: 'link', action: 'accept' }, outcome: 'opened' };
    });
    return reply.ok && url ? { ...reply, url } : reply;
  }

  /** The person says they finished the link steps of a -32042 error: retry the call. */
  async linkDone(id: string, actor: Actor): Promise<AnswerReply> {
    return this.answer(id, actor, 'link', () => ({
      answer: { type: 'link', action: 'done' },
      outcome: 'done',
    }));
  }

  /** Looks up an interaction for an adapter that must render it again (e.g. open a modal). */
  async interaction(
    id: string,
    actor: Actor,
  ): Promise<{ ok: true; record: PendingInteraction } | Extract<AnswerReply, { ok: false }>> {
    const record = await this.pending.get(id);
    if (!record) return this.gone(id);
    if (!sameActor(record.conversation, actor))
      return { ok: false, code: 'not_yours', message: 'This form isn’t yours.' };
    return { ok: true, record };
  }

  private async answer(
    id: string,
    actor: Actor,
    kind: PendingInteraction['kind'] | undefined,
    decide: (
      record: PendingInteraction,
    ) =>
      | { answer: Answer; outcome: InteractionOutcome }
      | { errors: Record<string, string> }
      | { error: string },
  ): Promise<AnswerReply> {
    try {
      const record = await this.pending.get(id);
      if (!record) return await this.gone(id);
      if (!sameActor(record.conversation, actor))
        return { ok: false, code: 'not_yours', message: 'This form isn’t yours.' };
      if (kind && record.kind !== kind)
        return { ok: false, code: 'invalid', message: 'That answer doesn’t fit this request.' };
      const decision = decide(record);
      if ('errors' in decision)
        return { ok: false, code: 'invalid', message: 'Some answers need fixing.', errors: decision.errors };
      if ('error' in decision) return { ok: false, code: 'invalid', message: decision.error };
      const taken = await this.pending.take(id, decision.outcome, this.now());
      if (!taken) return { ok: false, code: 'used', message: 'This was already answered.' };
      const delivered = await this.deliver(taken, decision.answer);
      await this.post(record.conversation, {
        kind: 'closed',
        id,
        outcome: delivered ? decision.outcome : 'expired',
      });
      return delivered
        ? { ok: true }
        : {
            ok: false,
            code: 'expired',
            message: 'This form expired before your answer arrived. Please ask again.',
          };
    } catch (err) {
      const e = toParleyError(err);
      this.logger.warn({ code: e.code, err: e.message }, 'answer failed');
      return { ok: false, code: 'unavailable', message: e.userMessage };
    }
  }

  private async gone(id: string): Promise<Extract<AnswerReply, { ok: false }>> {
    const tomb = await this.pending.tombstone(id);
    if (tomb) return { ok: false, code: 'used', message: 'This was already answered.' };
    return { ok: false, code: 'expired', message: 'This form has expired. Please ask again.' };
  }

  /**
   * Routes an answer to whoever waits for it: a live handler (here or in another process) or a
   * paused turn. False when no one waits any more (the owning process stopped, the turn expired).
   */
  private async deliver(record: PendingInteraction, answer: Answer): Promise<boolean> {
    if (record.route.type === 'live') {
      if (record.route.processId === this.processId) return this.resolveWaiter(record.id, answer);
      const receivers = await this.store.publish(
        `proc:${record.route.processId}`,
        JSON.stringify({ id: record.id, answer }),
      );
      return receivers > 0;
    }
    const turn = await takeJson<TurnState>(this.store, `turn:${record.route.turnId}`);
    if (!turn) return false;
    // Resume in the background: the adapter that delivered the answer must be able to ack now.
    void this.track(() =>
      withSpan('parley.turn.resume', { 'parley.platform': turn.conversation.platform }, () =>
        this.resume(turn, answer),
      ).catch((err) => this.fail(turn.conversation, err)),
    );
    return true;
  }

  private onDelivery(raw: string): void {
    try {
      const { id, answer } = JSON.parse(raw) as { id: string; answer: Answer };
      this.resolveWaiter(id, answer);
    } catch (err) {
      this.logger.warn({ err: describeError(err) }, 'bad delivery message');
    }
  }

  private resolveWaiter(id: string, answer: Answer): boolean {
    const waiter = this.waiters.get(id);
    if (!waiter) return false;
    clearTimeout(waiter.timer);
    this.waiters.delete(id);
    waiter.resolve(answer);
    return true;
  }

  // ───────────────────────────── turns ─────────────────────────────

  private async runTurn(turn: TurnState): Promise<void> {
    for (;;) {
      while (turn.queue.length > 0) {
        const call = turn.queue[0] as LlmToolCall;
        const step = await this.executeCall(turn, call);
        if (!step.done) return; // paused: state is in the store
        await this.completeStep(turn, call, step.content);
      }
      if (turn.mode === 'direct') return metrics.turn(turn.conversation.platform, 'answered');
      if (turn.steps >= this.opts.maxSteps) {
        await this.finish(
          turn,
          `I stopped after ${turn.steps} tool steps without a final answer. Try a narrower request.`,
        );
        return;
      }
      const llm = this.llm;
      if (!llm) throw new ParleyError('llm_unavailable', 'No language model is configured.');
      const reply = await llm.complete({
        messages: turn.messages,
        tools: await this.llmTools(turn.conversation),
      });
      turn.steps += 1;
      if (reply.toolCalls.length > 0) {
        turn.messages.push({ role: 'assistant', content: reply.content, tool_calls: reply.toolCalls });
        turn.queue = [...reply.toolCalls];
        continue;
      }
      await this.finish(turn, reply.content?.trim() || 'Done.');
      return;
    }
  }

  private async finish(turn: TurnState, text: string): Promise<void> {
    metrics.turn(turn.conversation.platform, 'answered');
    await this.say(turn.conversation, text);
    await this.sessions.append(turn.conversation, [
      { role: 'user', content: turn.userText },
      { role: 'assistant', content: text },
    ]);
  }

  private async resume(turn: TurnState, answer: Answer): Promise<void> {
    const wait = turn.wait;
    turn.wait = undefined;
    const call = turn.queue[0];
    if (!wait || !call) return this.runTurn(turn);
    const step = await this.continueCall(turn, call, wait, answer);
    if (!step.done) return;
    await this.completeStep(turn, call, step.content);
    await this.runTurn(turn);
  }

  /** A call finished: a direct command shows its result; in an LLM turn the model gets it. */
  private async completeStep(turn: TurnState, call: LlmToolCall, content: string): Promise<void> {
    turn.queue.shift();
    if (turn.mode === 'direct') await this.say(turn.conversation, content);
    else turn.messages.push({ role: 'tool', tool_call_id: call.id, content });
  }

  private async pause(turn: TurnState, wait: Wait): Promise<StepResult> {
    turn.wait = wait;
    const key = holdKey({ type: 'turn', turnId: turn.id });
    try {
      await setJson(this.store, `turn:${turn.id}`, turn, this.pending.ttl + 60_000);
    } catch (err) {
      this.held.delete(key);
      throw err;
    }
    await this.release(key);
    return { done: false };
  }

  /** Holds an interaction view until {@link release} (see `held`). */
  private present(
    route: PendingInteraction['route'],
    conversation: Conversation,
    message: Extract<OutboundMessage, { view: unknown }>,
  ): void {
    const key = holdKey(route, message.view.id);
    const list = this.held.get(key) ?? [];
    list.push([conversation, message]);
    this.held.set(key, list);
  }

  private async release(key: string): Promise<void> {
    const list = this.held.get(key) ?? [];
    this.held.delete(key);
    for (const [conversation, message] of list) await this.post(conversation, message);
  }

  // ───────────────────────────── tool calls ─────────────────────────────

  private splitName(name: string): { server: string; tool: string } | undefined {
    const i = name.indexOf(SEP);
    if (i <= 0) return undefined;
    return { server: name.slice(0, i), tool: name.slice(i + SEP.length) };
  }

  private allowed(server: ServerConfig, tool: string): boolean {
    if (server.tools.allow && !server.tools.allow.includes(tool)) return false;
    return !server.tools.deny?.includes(tool);
  }

  /** The server, tool name and arguments a call names, or the error to report instead. */
  private resolveCall(
    call: LlmToolCall,
  ):
    | { server: ServerConfig; target: { server: string; tool: string }; args: Record<string, unknown> }
    | { error: string } {
    const target = this.splitName(call.name);
    const server = target && this.pool.server(target.server);
    if (!target || !server) return { error: `Error: there is no tool called "${call.name}".` };
    if (!this.allowed(server, target.tool))
      return { error: `Error: the tool "${call.name}" is not allowed here.` };
    try {
      const parsed: unknown = JSON.parse(call.arguments || '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      return { server, target, args: parsed as Record<string, unknown> };
    } catch {
      return { error: `Error: the arguments for ${call.name} must be a JSON object.` };
    }
  }

  private async executeCall(turn: TurnState, call: LlmToolCall): Promise<StepResult> {
    const resolved = this.resolveCall(call);
    if ('error' in resolved) return { done: true, content: resolved.error };
    const { server, target, args } = resolved;
    let tool: Tool | undefined;
    try {
      const conn = await this.pool.get(identityKey(turn.conversation), server.name);
      tool = (await conn.listTools()).find((t) => t.name === target.tool);
    } catch (err) {
      // Most servers that need an account want it before they even list their tools.
      if (this.signIn && isSignInRequired(err)) return this.askSignIn(turn, server);
      throw err;
    }
    if (!tool) return { done: true, content: `Error: ${server.name} has no tool called "${target.tool}".` };

    if (!turn.confirmed.includes(call.id) && this.needsConfirmation(server, tool)) {
      const record = await this.pending.create(
        {
          conversation: turn.conversation,
          kind: 'confirm',
          origin: `${server.name} · ${tool.name}`,
          route: { type: 'turn', turnId: turn.id },
          confirm: {
            title: `Run ${tool.title ?? tool.name}?`,
            message: `**${server.title ?? server.name}** wants to run **${tool.name}**${tool.annotations?.destructiveHint ? ', which can change or delete data' : ''}.\nArguments: \`${truncate(JSON.stringify(args), 500)}\``,
          },
        },
        this.now(),
      );
      this.present(record.route, turn.conversation, {
        kind: 'confirm',
        view: {
          id: record.id,
          title: record.confirm?.title ?? '',
          message: record.confirm?.message ?? '',
          origin: record.origin,
          expiresAt: record.expiresAt,
        },
      });
      return this.pause(turn, { type: 'confirm', interactionId: record.id });
    }
    await this.post(turn.conversation, { kind: 'progress', text: `Running ${server.name} · ${tool.name}…` });
    return this.invoke(turn, server, target.tool, args);
  }

  private needsConfirmation(server: ServerConfig, tool: Tool): boolean {
    if (server.confirm === 'always') return true;
    if (server.confirm === 'never') return false;
    return tool.annotations?.destructiveHint === true;
  }

  /** Calls the tool (possibly resuming an MRTR round) and turns every outcome into a step. */
  private async invoke(
    turn: TurnState,
    server: ServerConfig,
    tool: string,
    args: Record<string, unknown>,
    resume?: { inputResponses: Record<string, unknown>; requestState?: string | undefined },
  ): Promise<StepResult> {
    const identity = identityKey(turn.conversation);
    const ctx: CallContext = { conversation: turn.conversation, server: server.name, tool };
    let outcome: CallOutcome;
    try {
      outcome = await this.pool.use(identity, server.name, (conn) => conn.callTool(ctx, tool, args, resume));
    } catch (err) {
      if (this.signIn && isSignInRequired(err)) return this.askSignIn(turn, server);
      if (err instanceof UrlElicitationRequiredError) return this.askUrlRetry(turn, server, tool, err);
      if (isParleyError(err)) throw err;
      this.logger.warn({ server: server.name, tool, err: describeError(err) }, 'tool call failed');
      if (isStaleConnectionError(err)) await this.pool.discard(identity, server.name);
      return {
        done: true,
        content: `Error: ${server.name} · ${tool} failed: ${truncate(errorText(err), 300)}`,
      };
    }
    if (outcome.kind === 'input_required') {
      return this.nextInputRound(turn, server, tool, args, outcome.inputRequests, outcome.requestState, {});
    }
    const v1 = findV1Payload(outcome.result.content);
    if (v1 && 'error' in v1) {
      await this.say(turn.conversation, `⚠️ ${server.name} · ${tool}: ${v1.error}.`);
      return { done: true, content: `Error: ${v1.error}` };
    }
    if (v1) {
      const form = v1PayloadToForm(v1.payload, tool);
      if ('error' in form) return { done: true, content: `Error: ${form.error}` };
      const record = await this.showForm(turn.conversation, `${server.name} · ${tool}`, form, {
        type: 'turn',
        turnId: turn.id,
      });
      return this.pause(turn, { type: 'v1', interactionId: record.id });
    }
    return { done: true, content: formatResult(outcome.result, turn.mode) };
  }

  private async continueCall(
    turn: TurnState,
    call: LlmToolCall,
    wait: Wait,
    answer: Answer,
  ): Promise<StepResult> {
    // The call was checked before it paused; this fails only if the configuration changed since.
    const resolved = this.resolveCall(call);
    if ('error' in resolved) return { done: true, content: resolved.error };
    const { server, target, args } = resolved;
    switch (wait.type) {
      case 'confirm':
        if (answer.type === 'confirm' && answer.approved) {
          turn.confirmed.push(call.id);
          await this.post(turn.conversation, {
            kind: 'progress',
            text: `Running ${server.name} · ${target.tool}…`,
          });
          return this.invoke(turn, server, target.tool, args);
        }
        return ended(
          turn,
          `Okay — I didn’t run ${target.tool}.`,
          'The person declined; the tool was not run.',
        );
      case 'v1':
        if (answer.type === 'form' && answer.action === 'accept') {
          return this.invoke(turn, server, target.tool, { ...args, ...answer.content });
        }
        return ended(
          turn,
          `Okay — ${target.tool} was not completed.`,
          'The person declined to fill in the form; the tool was not completed.',
        );
      case 'url_retry':
        if (answer.type === 'link' && answer.action === 'done')
          return this.invoke(turn, server, target.tool, args);
        return ended(
          turn,
          `Okay — ${target.tool} was not run, since the link step wasn’t completed.`,
          'The person did not complete the required link step.',
        );
      case 'signin':
        // Signed in: run the call from the top (tool list, confirmation) with the new tokens.
        if (answer.type === 'link' && answer.action === 'done') return this.executeCall(turn, call);
        return ended(
          turn,
          `Okay — ${target.tool} was not run, since you didn’t sign in to ${server.title ?? server.name}.`,
          `The person did not sign in to ${server.name}, so ${target.tool} was not run.`,
        );
      case 'mrtr': {
        const answers = { ...wait.answers, [wait.key]: toInputResponse(answer) };
        return this.nextInputRound(
          turn,
          server,
          target.tool,
          args,
          wait.inputRequests,
          wait.requestState,
          answers,
        );
      }
    }
  }

  /**
   * Works through an MRTR round: requests that need no person (sampling, roots) are answered at
   * once; the others are shown one at a time. When every key has an answer, the call is retried.
   */
  private async nextInputRound(
    turn: TurnState,
    server: ServerConfig,
    tool: string,
    args: Record<string, unknown>,
    inputRequests: InputRequestMap,
    requestState: string | undefined,
    answers: Record<string, unknown>,
  ): Promise<StepResult> {
    const origin = `${server.name} · ${tool}`;
    for (const [key, req] of Object.entries(inputRequests)) {
      if (key in answers) continue;
      const params = (req.params ?? {}) as Record<string, unknown>;
      if (req.method === 'sampling/createMessage') {
        answers[key] = await this.onSample(
          { conversation: turn.conversation, server: server.name, tool },
          params as never,
        ).catch((err: unknown) => ({
          role: 'assistant',
          model: 'none',
          content: { type: 'text', text: `Sampling failed: ${errorText(err)}` },
        }));
        continue;
      }
      if (req.method === 'roots/list') {
        answers[key] = { roots: [] };
        continue;
      }
      if (req.method !== 'elicitation/create') {
        answers[key] = { action: 'decline' };
        continue;
      }
      const shown = await this.showElicitation(turn.conversation, origin, params, {
        type: 'turn',
        turnId: turn.id,
      });
      if (!shown.ok) {
        answers[key] = { action: 'decline' };
        continue;
      }
      return this.pause(turn, {
        type: 'mrtr',
        interactionId: shown.id,
        key,
        inputRequests,
        ...(requestState !== undefined && { requestState }),
        answers,
      });
    }
    return this.invoke(turn, server, tool, args, { inputResponses: answers, requestState });
  }

  /** Posts the person's sign-in link (or re-sends the open one) and pauses the turn for it. */
  private async askSignIn(turn: TurnState, server: ServerConfig): Promise<StepResult> {
    const signIn = this.signIn as SignInService;
    const callKey = `${turn.id}:${turn.queue[0]?.id ?? ''}`;
    const route = { type: 'turn', turnId: turn.id } as const;
    const asked = await signIn.requestSignIn(turn.conversation, server.name, route, callKey);
    if (!asked.ok) {
      await this.say(turn.conversation, `⚠️ ${asked.message}`);
      return { done: true, content: `Error: ${asked.message}` };
    }
    this.present(route, turn.conversation, { kind: 'link', view: asked.view });
    return this.pause(turn, { type: 'signin', interactionId: asked.view.id });
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
      await this.say(conversation, text).catch(() => undefined);
    }
    const result = outcome.ok ? 'done' : 'cancelled';
    for (const waiter of outcome.waiters) {
      const taken = await this.pending.take(waiter.interactionId, result, this.now());
      if (!taken) continue; // answered otherwise (declined, expired) meanwhile
      await this.post(taken.conversation, { kind: 'closed', id: taken.id, outcome: result });
      if (taken.route.type === 'turn')
        await this.deliver(taken, { type: 'link', action: outcome.ok ? 'done' : 'cancel' });
    }
  }

  private async askUrlRetry(
    turn: TurnState,
    server: ServerConfig,
    tool: string,
    err: UrlElicitationRequiredError,
  ): Promise<StepResult> {
    const links = err.elicitations.filter((e) => safeUrl(e.url));
    if (links.length === 0)
      return { done: true, content: `Error: ${tool} needs a link step, but gave no valid link.` };
    // Several links go into one message; "done" on it retries the call once.
    const first = links[0] as (typeof links)[number];
    const url = first.url;
    const message = links.map((l) => `${l.message}\n${l.url}`).join('\n\n');
    const record = await this.showLink(
      turn.conversation,
      `${server.name} · ${tool}`,
      { type: 'turn', turnId: turn.id },
      {
        url,
        message,
        purpose: 'retry',
      },
    );
    return this.pause(turn, { type: 'url_retry', interactionId: record.id });
  }

  // ───────────────────────────── elicitation, sampling ─────────────────────────────

  private async showForm(
    conversation: Conversation,
    origin: string,
    form: FormSpec,
    route: PendingInteraction['route'],
  ): Promise<PendingInteraction> {
    const record = await this.pending.create({ conversation, kind: 'form', origin, route, form }, this.now());
    this.present(route, conversation, {
      kind: 'form',
      view: { id: record.id, form, origin, expiresAt: record.expiresAt },
    });
    return record;
  }

  /** Stores a link step and shows it; the host is shown next to the full URL on every surface. */
  private async showLink(
    conversation: Conversation,
    origin: string,
    route: PendingInteraction['route'],
    link: { url: string; message: string; purpose: LinkView['purpose']; elicitationId?: string },
  ): Promise<PendingInteraction> {
    const host = hostOf(link.url);
    const record = await this.pending.create(
      { conversation, kind: 'link', origin, route, link: { ...link, host } },
      this.now(),
    );
    const { url, message, purpose } = link;
    this.present(route, conversation, {
      kind: 'link',
      view: { id: record.id, url, host, message, origin, purpose, expiresAt: record.expiresAt },
    });
    return record;
  }

  /** Shows an `elicitation/create` (form or URL mode); refuses with a reason what can't be shown. */
  private async showElicitation(
    conversation: Conversation,
    origin: string,
    params: Record<string, unknown>,
    route: PendingInteraction['route'],
  ): Promise<{ ok: true; id: string } | { ok: false }> {
    const message = typeof params.message === 'string' ? params.message : 'The tool needs some information.';
    if (params.mode === 'url') {
      const url = typeof params.url === 'string' ? params.url : '';
      if (!safeUrl(url)) {
        await this.say(
          conversation,
          `⚠️ ${origin} sent a link I won’t show (it isn’t a valid http(s) URL), so I declined it.`,
        );
        return { ok: false };
      }
      const elicitationId = typeof params.elicitationId === 'string' ? params.elicitationId : undefined;
      const record = await this.showLink(conversation, origin, route, {
        url,
        message,
        purpose: 'consent',
        ...(elicitationId && { elicitationId }),
      });
      if (elicitationId) this.rememberUrlElicitation(elicitationId, conversation);
      return { ok: true, id: record.id };
    }
    const converted = schemaToForm(params.requestedSchema, message, origin);
    if (!converted.ok) {
      await this.say(
        conversation,
        `⚠️ ${origin} asked for a form I can’t show (${converted.reason}), so I declined it.`,
      );
      return { ok: false };
    }
    const record = await this.showForm(conversation, origin, converted.form, route);
    return { ok: true, id: record.id };
  }

  /** Legacy era: the server's request waits here, in this process, for the person's answer. */
  private async onElicit(
    ctx: CallContext,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<ElicitResult> {
    const origin = `${ctx.server} · ${ctx.tool}`;
    const shown = await this.showElicitation(ctx.conversation, origin, params, {
      type: 'live',
      processId: this.processId,
    });
    if (!shown.ok) return { action: 'decline' };
    const answered = new Promise<Answer>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(shown.id);
        void this.expire(shown.id, ctx.conversation);
        resolve({ type: 'form', action: 'cancel' });
      }, this.pending.ttl);
      timer.unref();
      this.waiters.set(shown.id, { resolve, timer });
      signal.addEventListener(
        'abort',
        () => this.resolveWaiter(shown.id, { type: 'form', action: 'cancel' }),
        { once: true },
      );
    });
    // The waiter exists now: the form may be shown.
    await this.release(holdKey({ type: 'live', processId: this.processId }, shown.id));
    return toInputResponse(await answered) as ElicitResult;
  }

  private async expire(id: string, conversation: Conversation): Promise<void> {
    // The store's TTL may have dropped the record already; only an answer (a tombstone) means
    // there is nothing to tell the person.
    const taken = await this.pending.take(id, 'expired', this.now()).catch(() => undefined);
    if (!taken && (await this.pending.tombstone(id).catch(() => undefined))) return;
    await this.post(conversation, { kind: 'closed', id, outcome: 'expired' });
    await this.say(
      conversation,
      'The form expired before it was answered, so the tool was told you cancelled. Ask again any time.',
    );
  }

  private async onSample(ctx: CallContext, params: Record<string, unknown>): Promise<CreateMessageResult> {
    if (!this.llm) throw new Error('Parley has no language model configured for sampling.');
    const wanted = typeof params.maxTokens === 'number' ? params.maxTokens : this.opts.samplingMaxTokens;
    const messages: LlmMessage[] = [];
    if (typeof params.systemPrompt === 'string')
      messages.push({ role: 'system', content: params.systemPrompt });
    for (const m of Array.isArray(params.messages) ? params.messages : []) {
      const msg = m as { role?: string; content?: unknown };
      const parts = Array.isArray(msg.content) ? msg.content : [msg.content];
      const text = parts
        .map((p) =>
          typeof p === 'object' && p !== null && (p as { type?: unknown }).type === 'text'
            ? String((p as { text?: unknown }).text ?? '')
            : '',
        )
        .join('\n');
      messages.push(
        msg.role === 'assistant' ? { role: 'assistant', content: text } : { role: 'user', content: text },
      );
    }
    const reply = await this.llm.complete({
      messages,
      maxTokens: Math.min(wanted, this.opts.samplingMaxTokens),
    });
    await this.say(
      ctx.conversation,
      `ℹ️ ${ctx.server} · ${ctx.tool} used the language model to write part of its answer.`,
    );
    return { role: 'assistant', model: reply.model, content: { type: 'text', text: reply.content ?? '' } };
  }

  private rememberUrlElicitation(elicitationId: string, conversation: Conversation): void {
    // Completions that never come must not pile up: forget any older than the interaction TTL.
    const now = this.now();
    for (const [id, entry] of this.urlElicitations) if (entry.until < now) this.urlElicitations.delete(id);
    this.urlElicitations.set(elicitationId, { conversation, until: now + this.pending.ttl });
  }

  private onElicitationComplete(elicitationId: string): void {
    // Unknown ids are ignored, as the spec requires.
    const conversation = this.urlElicitations.get(elicitationId)?.conversation;
    if (!conversation) return;
    this.urlElicitations.delete(elicitationId);
    void this.say(conversation, '✅ The link step is complete.').catch(() => undefined);
  }

  // ───────────────────────────── tools listing ─────────────────────────────

  /**
   * Every configured server's tools the person may use (allow/deny applied), fetched in parallel;
   * a server that can't be reached comes back with its error instead.
   */
  private async toolsByServer(
    actor: Actor,
  ): Promise<Array<{ server: ServerConfig; tools: Tool[] } | { server: ServerConfig; error: unknown }>> {
    return Promise.all(
      this.pool.servers.map(async (server) => {
        try {
          const tools = await (await this.pool.get(identityKey(actor), server.name)).listTools();
          return { server, tools: tools.filter((t) => this.allowed(server, t.name)) };
        } catch (err) {
          return { server, error: err };
        }
      }),
    );
  }

  /** The namespaced names (`server__tool`) of the tools the person may call, e.g. for autocomplete. */
  async toolNames(actor: Actor): Promise<string[]> {
    return (await this.toolsByServer(actor)).flatMap((entry) =>
      'tools' in entry ? entry.tools.map((t) => `${entry.server.name}${SEP}${t.name}`) : [],
    );
  }

  private async llmTools(conversation: Conversation): Promise<LlmTool[]> {
    const out: LlmTool[] = [];
    for (const entry of await this.toolsByServer(conversation)) {
      if ('error' in entry) {
        this.logger.warn(
          { server: entry.server.name, err: describeError(entry.error) },
          'listing tools failed',
        );
        continue;
      }
      for (const t of entry.tools) {
        out.push({
          name: `${entry.server.name}${SEP}${t.name}`.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64),
          description: truncate(t.description ?? t.title ?? t.name, 1000),
          parameters: (t.inputSchema as Record<string, unknown>) ?? { type: 'object', properties: {} },
        });
      }
    }
    return out;
  }

  /** Accepts `server__tool`, or a bare tool name when exactly one server offers it. */
  private async resolveToolName(conversation: Conversation, name: string): Promise<string> {
    if (this.splitName(name)) return name;
    // An unreachable server simply offers no match; the call will say so if needed.
    const matches = (await this.toolNames(conversation)).filter((n) => n.endsWith(`${SEP}${name}`));
    return matches.length === 1 ? (matches[0] as string) : name;
  }

  private async describeTools(conversation: Conversation): Promise<string> {
    const lines: string[] = [];
    for (const entry of await this.toolsByServer(conversation)) {
      const { server } = entry;
      if ('error' in entry) {
        lines.push(`**${server.name}**: ${toParleyError(entry.error).userMessage}`);
        continue;
      }
      lines.push(`**${server.title ?? server.name}** (\`${server.name}\`)`);
      for (const t of entry.tools) {
        const flag = t.annotations?.destructiveHint ? ' ⚠️' : '';
        lines.push(`• \`${server.name}${SEP}${t.name}\`${flag} — ${truncate(t.description ?? '', 120)}`);
      }
    }
    return lines.join('\n') || 'No MCP servers are configured.';
  }

  // ───────────────────────────── output ─────────────────────────────

  private async post(conversation: Conversation, message: OutboundMessage): Promise<void> {
    const surface = this.surfaces.get(conversation.platform);
    if (!surface) {
      this.logger.warn({ platform: conversation.platform }, 'no surface attached for platform');
      return;
    }
    await surface.post(conversation, message);
  }

  private say(conversation: Conversation, text: string): Promise<void> {
    return this.post(conversation, { kind: 'text', text });
  }

  private async fail(conversation: Conversation, err: unknown): Promise<void> {
    const e = toParleyError(err);
    metrics.turn(conversation.platform, 'failed');
    this.logger.warn({ code: e.code, err: e.message }, 'turn failed');
    await this.say(conversation, `⚠️ ${e.userMessage}`).catch(() => undefined);
  }
}

/** Where held views wait: per paused turn, or per live (server-initiated) interaction. */
function holdKey(route: PendingInteraction['route'], interactionId?: string): string {
  return route.type === 'turn' ? `turn:${route.turnId}` : `live:${interactionId}`;
}

/**
 * A call that ended without running: a direct command shows the person a sentence addressed to
 * them; in an LLM turn the model gets the fact and words the answer itself.
 */
function ended(turn: TurnState, forPerson: string, forModel: string): StepResult {
  return { done: true, content: turn.mode === 'direct' ? forPerson : forModel };
}

function toInputResponse(answer: Answer): Record<string, unknown> {
  switch (answer.type) {
    case 'form':
      return answer.action === 'accept'
        ? { action: 'accept', content: answer.content }
        : { action: answer.action };
    case 'link':
      return { action: answer.action === 'done' ? 'accept' : answer.action };
    case 'confirm':
      return { action: answer.approved ? 'accept' : 'decline' };
  }
}

function formatResult(result: CallToolResult, mode: 'llm' | 'direct'): string {
  const parts: string[] = [];
  for (const block of result.content ?? []) {
    if (block.type === 'text') parts.push(block.text);
    else if (block.type === 'resource_link') parts.push(`${block.name}: ${block.uri}`);
    else parts.push(`[${block.type} content]`);
  }
  if (parts.length === 0 && result.structuredContent)
    parts.push(JSON.stringify(result.structuredContent, null, 2));
  const text = parts.join('\n') || '(no output)';
  if (result.isError) return mode === 'direct' ? `⚠️ The tool reported an error: ${text}` : `Error: ${text}`;
  return text;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
