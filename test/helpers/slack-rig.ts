/**
 * A Slack test rig: the fake Slack, the real agent, Parley's HTTP server and the Slack adapter in
 * Socket Mode or HTTP mode — plus what a person in Slack does and sees (mention the bot, click,
 * fill in a modal; the messages visible to them). Tests and the contract harness build on it.
 */
import { expect } from 'vitest';
import { LOADING_CALLBACK } from '../../adapters/slack/form-modal.js';
import { createSlackAdapter, SLACK_EVENTS_PATH, type SlackAdapter } from '../../adapters/slack/index.js';
import { ACTION } from '../../adapters/slack/messages.js';
import { Agent } from '../../src/agent.js';
import type { ServerConfig } from '../../src/config.js';
import { ParleyHttpServer } from '../../src/http.js';
import type { Llm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import type { Store } from '../../src/store/index.js';
import {
  blockTexts,
  type FakeMessage,
  FakeSlack,
  type FakeSlackOptions,
  type FakeView,
} from './fake-slack.js';
import { testSealer } from './sealer.js';

export const SIGNING_SECRET = 'fake-signing-secret-for-tests';

export interface SlackRigOptions {
  mode: 'socket' | 'http';
  servers: ServerConfig[];
  store: Store;
  llm?: Llm | undefined;
  pendingTtlMs?: number;
  /** An agent and HTTP server the test already runs (e.g. with sign-in); the rig adds Slack. */
  existing?: { agent: Agent; http: ParleyHttpServer; baseUrl: string };
  /** How the fake Slack behaves (e.g. without the chat streaming API). */
  fake?: FakeSlackOptions;
  /**
   * The fake Slack of a rig already running: this rig is then a second Parley process of the same
   * Slack app (give it its own store client on the first rig's prefix). The first rig closes it.
   */
  slack?: FakeSlack;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What came of a click or submit, as the person experiences it. */
export type Outcome = { ok: true } | { ok: false; message?: string; errors?: Record<string, string> };

export class SlackRig {
  private readonly threads = new Map<string, Set<string>>();

  private constructor(
    readonly slack: FakeSlack,
    readonly agent: Agent,
    readonly http: ParleyHttpServer,
    readonly adapter: SlackAdapter,
    readonly httpUrl: string,
    /** False when the agent and HTTP server came from the test (which stops them). */
    private readonly ownsAgent: boolean,
    /** False when the fake Slack is another rig's (see {@link SlackRigOptions.slack}). */
    private readonly ownsSlack: boolean,
  ) {}

  static async start(options: SlackRigOptions): Promise<SlackRig> {
    const slack = options.slack ?? (await FakeSlack.start(options.fake));
    const logger = silentLogger();
    const own = options.existing === undefined;
    const sealer = testSealer();
    const agent =
      options.existing?.agent ??
      new Agent({
        store: options.store,
        servers: options.servers,
        logger,
        sealer,
        llm: options.llm,
        ...(options.pendingTtlMs !== undefined && { pendingTtlMs: options.pendingTtlMs }),
      });
    const http =
      options.existing?.http ??
      new ParleyHttpServer({ store: options.store, logger, publicBaseUrl: 'http://127.0.0.1', sealer });
    const adapter = createSlackAdapter({
      agent,
      store: options.store,
      sealer,
      http,
      logger,
      botToken: slack.botToken,
      ...(options.mode === 'socket' ? { appToken: slack.appToken } : { signingSecret: SIGNING_SECRET }),
      apiUrl: slack.apiUrl,
      retries: 0,
    });
    agent.attach(adapter.surface);
    const httpUrl = options.existing?.baseUrl ?? `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    if (options.mode === 'http')
      slack.useHttp({ url: `${httpUrl}${SLACK_EVENTS_PATH}`, signingSecret: SIGNING_SECRET });
    if (own) await agent.start();
    await adapter.start();
    return new SlackRig(slack, agent, http, adapter, httpUrl, own, options.slack === undefined);
  }

  async close(): Promise<void> {
    await this.adapter.stop();
    if (this.ownsAgent) {
      await this.agent.stop();
      await this.http.close();
    }
    if (this.ownsSlack) await this.slack.close();
  }

  /**
   * HTTP mode: Slack's requests go to this process from now on, as a load balancer in front of
   * several Parley processes might send them. (Starting a rig routes them to it.)
   */
  routeHere(): void {
    this.slack.useHttp({ url: `${this.httpUrl}${SLACK_EVENTS_PATH}`, signingSecret: SIGNING_SECRET });
  }

  // ───────────────────────────── a person's actions ─────────────────────────────

  /** `user` mentions the bot at the top level of `channel`: a new thread, a new session. */
  async mention(user: string, text: string, channel = 'CGENERAL') {
    const sent = await this.slack.mention(user, channel, text);
    this.follow(user, channel, sent.ts);
    return sent;
  }

  /** `user` mentions the bot again inside a thread they follow. */
  async reply(user: string, threadTs: string, text: string, channel = 'CGENERAL') {
    this.follow(user, channel, threadTs);
    return this.slack.mention(user, channel, text, { threadTs });
  }

  follow(user: string, channel: string, threadTs: string): void {
    const set = this.threads.get(user) ?? new Set<string>();
    set.add(`${channel}:${threadTs}`);
    this.threads.set(user, set);
  }

  /** `user` opens a chat in the assistant pane; its thread is followed like a mention's. */
  async assistantThread(user: string) {
    const started = await this.slack.assistantThreadStarted(user);
    this.follow(user, started.channel, started.threadTs);
    return started;
  }

  /** The bot's messages `user` sees: in their threads, their DM, and ephemeral ones for them. */
  seenBy(user: string): FakeMessage[] {
    const threads = this.threads.get(user) ?? new Set<string>();
    return this.slack.visibleTo(
      user,
      (m) =>
        m.author === this.slack.botUserId &&
        (m.ephemeralTo === user ||
          m.channel === this.slack.dmChannel(user) ||
          threads.has(`${m.channel}:${m.threadTs ?? m.ts}`)),
    );
  }

  /** Every text `user` has been shown (all versions of every message they see). */
  textsSeenBy(user: string): string[] {
    return this.seenBy(user).flatMap((m) => FakeSlack.said(m));
  }

  /**
   * Waits for a text `user` is shown in a message that never carried buttons: answers and notices,
   * not form offers, confirmations or links (nor their "closed" rewrites), which echo the tool's
   * arguments and would match before the tool has answered.
   */
  async waitForText(user: string, pattern: RegExp, timeout = 10_000): Promise<string> {
    const find = () =>
      this.seenBy(user)
        .filter((m) => !m.history.some((h) => hasAnyAction(h.blocks)))
        .flatMap((m) => FakeSlack.said(m))
        .find((t) => pattern.test(t));
    await expect.poll(() => find() !== undefined, { timeout, interval: 20 }).toBe(true);
    return find() as string;
  }

  /** The n-th (1-based) message `user` sees that offered a button with `actionId`. */
  async waitForMessageWith(user: string, actionId: string, nth = 1, timeout = 10_000): Promise<FakeMessage> {
    const list = () => this.seenBy(user).filter((m) => m.history.some((h) => hasAction(h.blocks, actionId)));
    await expect.poll(() => list().length, { timeout, interval: 20 }).toBeGreaterThanOrEqual(nth);
    return list()[nth - 1] as FakeMessage;
  }

  /** `user` clicks Fill in; resolves with the modal Slack opened for them. */
  async openForm(user: string, message: FakeMessage): Promise<FakeView> {
    const id = actionValue(message, ACTION.formOpen);
    const before = new Set(this.slack.views.keys());
    await this.slack.click(user, message, ACTION.formOpen);
    const opened = () =>
      [...this.slack.views.values()].find(
        (v) => !before.has(v.id) && v.user === user && v.view.private_metadata === id,
      );
    await expect.poll(() => opened() !== undefined, { timeout: 5_000, interval: 10 }).toBe(true);
    return opened() as FakeView;
  }

  /**
   * `user` clicks a button and waits to see what happened: the message rewritten without buttons
   * (it worked), or a private reply explaining why not.
   */
  async clickAndSee(user: string, message: FakeMessage, actionId: string): Promise<Outcome> {
    const versions = message.history.length;
    const count = this.slack.messages.length;
    await this.slack.click(user, message, actionId);
    const reply = () =>
      this.slack.messages.slice(count).find((m) => m.ephemeralTo === user && !hasAnyAction(m.blocks));
    const rewritten = () => message.history.length > versions && !hasAnyAction(message.blocks);
    await expect
      .poll(() => rewritten() || reply() !== undefined, { timeout: 10_000, interval: 10 })
      .toBe(true);
    if (rewritten()) return { ok: true };
    return { ok: false, message: (reply() as FakeMessage).text };
  }

  /** `user` submits a modal; the ack says what Slack would show. */
  async submit(
    user: string,
    view: FakeView,
    values: Record<string, string | string[] | undefined>,
  ): Promise<Outcome> {
    // Submitted before, the modal now shows "loading" or the next step: submitting the same form
    // again can only be a replayed request.
    const submitted = view.lastSubmit?.view;
    const again = isObj(submitted) && view.view.callback_id !== submitted.callback_id;
    const ack = again
      ? await this.slack.replaySubmit(view.id)
      : await this.slack.submitView(user, view.id, values);
    const body = ack.body;
    if (!isObj(body) || body.response_action === undefined) return { ok: true };
    // Accepted: the modal stays open as "loading" for a wizard's next step (adapters/slack/chain.ts).
    if (body.response_action === 'update' && isObj(body.view) && body.view.callback_id === LOADING_CALLBACK)
      return { ok: true };
    if (body.response_action === 'errors')
      return { ok: false, errors: body.errors as Record<string, string> };
    const shown =
      isObj(body.view) && Array.isArray(body.view.blocks) ? blockTexts(body.view.blocks).join(' ') : '';
    return { ok: false, message: shown };
  }
}

/** Field names (block ids) and choice values of a form modal, as the person sees it. */
export function describeModal(view: FakeView): { fields: string[]; options: Record<string, string[]> } {
  const fields: string[] = [];
  const options: Record<string, string[]> = {};
  for (const b of Array.isArray(view.view.blocks) ? view.view.blocks : []) {
    if (!isObj(b) || b.type !== 'input' || !isObj(b.element)) continue;
    const id = String(b.block_id);
    fields.push(id);
    const opts = b.element.options;
    if (Array.isArray(opts)) options[id] = opts.filter(isObj).map((o) => String(o.value));
  }
  return { fields, options };
}

export function hasAction(blocks: Obj[], actionId: string): boolean {
  return blocks.some(
    (b) => Array.isArray(b.elements) && b.elements.some((e) => isObj(e) && e.action_id === actionId),
  );
}

export function hasAnyAction(blocks: Obj[]): boolean {
  return blocks.some((b) => b.type === 'actions');
}

export function actionValue(message: FakeMessage, actionId: string): string {
  for (const h of message.history)
    for (const b of h.blocks)
      for (const e of Array.isArray(b.elements) ? b.elements : [])
        if (isObj(e) && e.action_id === actionId) return String(e.value);
  throw new Error(`No "${actionId}" on message ${message.ts}.`);
}

export function actionElement(message: FakeMessage, actionId: string): Obj {
  for (const h of message.history)
    for (const b of h.blocks)
      for (const e of Array.isArray(b.elements) ? b.elements : [])
        if (isObj(e) && e.action_id === actionId) return e;
  throw new Error(`No "${actionId}" on message ${message.ts}.`);
}

/** What a modal shows pre-filled, in `submitView` form: submitting it accepts every default. */
export function initialValues(view: FakeView): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const b of Array.isArray(view.view.blocks) ? view.view.blocks : []) {
    if (!isObj(b) || b.type !== 'input' || !isObj(b.element)) continue;
    const e = b.element;
    const id = String(b.block_id);
    if (typeof e.initial_value === 'string') out[id] = e.initial_value;
    else if (typeof e.initial_date === 'string') out[id] = e.initial_date;
    else if (typeof e.initial_date_time === 'number')
      out[id] = new Date(e.initial_date_time * 1000).toISOString();
    else if (isObj(e.initial_option)) out[id] = String(e.initial_option.value);
    else if (Array.isArray(e.initial_options))
      out[id] = e.initial_options.filter(isObj).map((o) => String(o.value));
  }
  return out;
}

/** The element of the input block `blockId` in a modal. */
export function inputElement(view: FakeView, blockId: string): Obj {
  const block = (Array.isArray(view.view.blocks) ? view.view.blocks : []).find(
    (b): b is Obj => isObj(b) && b.block_id === blockId,
  );
  if (!block || !isObj(block.element)) throw new Error(`No input "${blockId}" in view ${view.id}.`);
  return { ...block.element, optional: block.optional };
}
