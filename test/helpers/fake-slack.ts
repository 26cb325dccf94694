/**
 * A local fake Slack: the one edge of the Slack adapter we can't run for real.
 *
 * - The Web API over HTTP (`apiUrl`, for `slackApiUrl`): records every call, keeps a model of the
 *   messages and modals people would see, and checks every text, block and view against Slack's
 *   limits (test/helpers/slack-limits.ts), answering `invalid_blocks` like Slack would.
 * - Socket Mode: `apps.connections.open` returns this server's ws:// URL; envelopes are pushed
 *   over the WebSocket and the app's acks read back.
 * - HTTP mode: the same deliveries as signed requests to the app's `/slack/events`.
 * - response_url endpoints, and trigger ids that expire after 3 s and work once.
 * - File uploads the way Slack documents them: `files.getUploadURLExternal` (filename, length),
 *   the bytes POSTed to the upload URL (their count must match `length`), then
 *   `files.completeUploadExternal` sharing them into a channel or thread as one message.
 *
 * It plays both Slack's servers and its people: `mention`, `dm`, `command`, `click`,
 * `submitView` and `closeView` produce the payloads Slack would send for those actions.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { checkErrors, checkHomeView, checkMessage, checkOptions, checkView } from './slack-limits.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ApiCall {
  method: string;
  args: Obj;
  token: string | undefined;
  at: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  /** Who wrote it: a person's id, or the bot's user id. */
  author: string;
  /** Set for ephemeral messages: only this person sees them. */
  ephemeralTo?: string;
  text: string;
  blocks: Obj[];
  deleted: boolean;
  /** Every version, oldest first (chat.update and response_url replace add one). */
  history: Array<{ text: string; blocks: Obj[] }>;
  /** Files shared with the message (files.completeUploadExternal). */
  files?: FakeFile[];
  /** 'open' while a chat stream writes it, 'stopped' after chat.stopStream; unset otherwise. */
  stream?: 'open' | 'stopped';
}

export interface AssistantThread {
  user: string;
  /** Every status set, in order ('' when cleared, as a reply by the app does). */
  statuses: string[];
  title?: string;
  prompts: Array<{ title: string; message: string }>;
  promptsTitle?: string;
}

export interface FakeFile {
  id: string;
  filename: string;
  title?: string;
  /** Declared in files.getUploadURLExternal. */
  length: number;
  altText?: string;
  /** Set once the bytes were uploaded. */
  bytes?: Buffer;
  completed: boolean;
}

/** Slack's documented upload limits (files.getUploadURLExternal). */
export const SLACK_FILE_LIMITS = { maxBytes: 1024 * 1024 * 1024, altText: 1000, filesPerComplete: 100 };

/** A person's App Home tab: what views.publish last gave it, and every version before. */
export interface FakeHome {
  id: string;
  hash: string;
  view: Obj;
  versions: Obj[];
}

export interface FakeView {
  id: string;
  hash: string;
  user: string;
  view: Obj;
  open: boolean;
  /** The last view_submission payload sent for this view (for {@link FakeSlack.replaySubmit}). */
  lastSubmit?: Obj;
}

/** What changed in the fake's model (for the interactive `npm run fake-slack`). */
export type FakeChange = { kind: 'message'; message: FakeMessage } | { kind: 'view'; view: FakeView };

export interface Ack {
  /** What the app answered: the ack's payload (Socket Mode) or the HTTP response body. */
  body: unknown;
  status: number;
  ms: number;
}

export interface HttpTarget {
  url: string;
  signingSecret: string;
}

export interface FakeSlackOptions {
  port?: number;
  host?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  botToken?: string;
  appToken?: string;
  /** Check every payload against Slack's limits (default true). */
  validate?: boolean;
  /** Offer the chat streaming API (default true); without it the methods are `unknown_method`. */
  streaming?: boolean;
}

interface Trigger {
  user: string;
  expires: number;
  used: boolean;
}

interface ResponseContext {
  channel: string;
  user: string;
  threadTs?: string;
  /** The message the action came from (replace_original rewrites it). */
  messageTs?: string;
  expires: number;
  uses: number;
}

const TRIGGER_TTL_MS = 3_000;

export class FakeSlack {
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly calls: ApiCall[] = [];
  readonly violations: string[] = [];
  readonly messages: FakeMessage[] = [];
  readonly views = new Map<string, FakeView>();
  /** Home tabs by user (views.publish). */
  readonly homes = new Map<string, FakeHome>();
  /** Envelopes sent over Socket Mode, with the app's ack (undefined until it acks). */
  readonly envelopes: Array<{ id: string; type: string; payload: Obj; ack?: unknown }> = [];
  private readonly triggers = new Map<string, Trigger>();
  private readonly responseUrls = new Map<string, ResponseContext>();
  /** Files by id, from getUploadURLExternal on. */
  readonly files = new Map<string, FakeFile>();
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly pendingAcks = new Map<string, (payload: unknown) => void>();
  private socketWaiters: Array<() => void> = [];
  private http: HttpTarget | undefined;
  private seq = 0;
  private lastTs = 0;
  private readonly validate: boolean;
  private readonly streaming: boolean;
  private readonly assistantThreads = new Map<string, AssistantThread>();
  /** Channels the bot is not a member of (see {@link leaveChannel}). */
  private readonly notMember = new Set<string>();
  private readonly watchers = new Set<(change: FakeChange) => void>();
  /** Per Web API method, how long each of its next calls spends in flight (see {@link delayArrival}). */
  private readonly arrivalDelays = new Map<string, number[]>();
  url = '';

  private constructor(options: FakeSlackOptions) {
    this.teamId = options.teamId ?? 'T0FAKE';
    this.botUserId = options.botUserId ?? 'UBOT';
    this.botId = options.botId ?? 'BBOT';
    this.botToken = options.botToken ?? 'xoxb-fake-bot-token';
    this.appToken = options.appToken ?? 'xapp-fake-app-token';
    this.validate = options.validate ?? true;
    this.streaming = options.streaming ?? true;
    this.server = createServer((req, res) => void this.route(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/socket')) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options);
    await new Promise<void>((resolve) =>
      fake.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
    );
    const { port } = fake.server.address() as AddressInfo;
    fake.url = `http://${options.host ?? '127.0.0.1'}:${port}`;
    return fake;
  }

  /** For `slackApiUrl` / SLACK_API_URL. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /**
   * The bot is not a member of `channel` from now on: chat.postMessage and chat.postEphemeral
   * there fail with `not_in_channel`, as Slack answers. Slash commands still work there, and so
   * does their response_url — the only way to answer in such a channel.
   */
  leaveChannel(channel: string): void {
    this.notMember.add(channel);
  }

  /** Deliver to an HTTP-mode app from now on (signed requests), instead of Socket Mode. */
  useHttp(target: HttpTarget | undefined): void {
    this.http = target;
  }

  /** Calls `fn` on every new or changed message and view; returns a function that stops it. */
  /**
   * The next calls of Web API `method` reach Slack late: the first after `delaysMs[0]` ms in
   * flight, the next after `delaysMs[1]`, and so on (a slow network or a loaded sender). A call is
   * recorded, and its `at` stamped, when it arrives.
   */
  delayArrival(method: string, delaysMs: number[]): void {
    this.arrivalDelays.set(method, [...delaysMs]);
  }

  watch(fn: (change: FakeChange) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  private changed(change: FakeChange): void {
    for (const w of this.watchers) w(change);
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ───────────────────────────── people's actions ─────────────────────────────

  /** `user` mentions the bot in `channel` (a new top-level message, or in a thread). */
  async mention(
    user: string,
    channel: string,
    text: string,
    opts: { threadTs?: string; retryNum?: number } = {},
  ) {
    const { ts, eventId, event } = this.prepareMention(user, channel, text, opts);
    const ack = await this.sendEvent(event, { eventId });
    return { ts, eventId, event, ack };
  }

  /**
   * The delivery {@link mention} sends, built but not sent (the message is recorded now): for a
   * load generator that sends pre-built requests itself (see {@link signedRequest}).
   */
  prepareMention(user: string, channel: string, text: string, opts: { threadTs?: string } = {}) {
    const ts = this.nextTs();
    const full = `<@${this.botUserId}> ${text}`;
    this.record({ channel, ts, author: user, text: full, ...(opts.threadTs && { threadTs: opts.threadTs }) });
    const event = {
      type: 'app_mention',
      user,
      text: full,
      ts,
      channel,
      event_ts: ts,
      ...(opts.threadTs && { thread_ts: opts.threadTs }),
    };
    const eventId = `Ev${randomBytes(5).toString('hex')}`;
    return { ts, eventId, event, type: 'events_api' as const, payload: this.eventBody(event, eventId) };
  }

  /** `user` writes to the bot in their DM channel (`D-<user>`). */
  async dm(user: string, text: string, opts: { threadTs?: string } = {}) {
    const channel = this.dmChannel(user);
    const ts = this.nextTs();
    this.record({ channel, ts, author: user, text, ...(opts.threadTs && { threadTs: opts.threadTs }) });
    const event = {
      type: 'message',
      channel_type: 'im',
      user,
      text,
      ts,
      channel,
      event_ts: ts,
      ...(opts.threadTs && { thread_ts: opts.threadTs }),
    };
    const eventId = `Ev${randomBytes(5).toString('hex')}`;
    const ack = await this.sendEvent(event, { eventId });
    return { ts, eventId, event, ack };
  }

  dmChannel(user: string): string {
    return `D${user}`;
  }

  /**
   * `user` opens a new chat in the app's assistant pane: Slack starts a thread in their DM and
   * sends `assistant_thread_started`. Messages in it are `dm(user, text, { threadTs })`.
   */
  async assistantThreadStarted(user: string) {
    const channel = this.dmChannel(user);
    const threadTs = this.nextTs();
    this.assistantThreads.set(`${channel}:${threadTs}`, { user, statuses: [], prompts: [] });
    const event = {
      type: 'assistant_thread_started',
      assistant_thread: { user_id: user, context: {}, channel_id: channel, thread_ts: threadTs },
      event_ts: this.nextTs(),
    };
    const ack = await this.sendEvent(event);
    return { channel, threadTs, ack };
  }

  /** The state of an assistant thread (status history, title, suggested prompts). */
  assistantThread(channel: string, threadTs: string): AssistantThread | undefined {
    return this.assistantThreads.get(`${channel}:${threadTs}`);
  }

  /**
   * `user` runs a slash command in `channel`. `deliveries` > 1 sends the very same request again
   * (a replay, or a delivery Slack retried), all at once; the first ack is returned.
   */
  async command(
    user: string,
    channel: string,
    text: string,
    command = '/parley',
    deliveries = 1,
  ): Promise<Ack & { responseUrl: string }> {
    const responseUrl = this.newResponseUrl({ channel, user });
    const fields = {
      token: 'verification-token-unused',
      team_id: this.teamId,
      team_domain: 'fake',
      channel_id: channel,
      channel_name: channel.toLowerCase(),
      user_id: user,
      user_name: user.toLowerCase(),
      command,
      text,
      api_app_id: 'AFAKE',
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: this.newTrigger(user),
    };
    const [ack] = (await Promise.all(
      Array.from({ length: deliveries }, () => this.deliver('slash_commands', fields)),
    )) as [Ack, ...Ack[]];
    // A slash command's ack body is shown to the person as an ephemeral message.
    if (isObj(ack.body) && typeof ack.body.text === 'string')
      this.postEphemeralModel(
        channel,
        user,
        ack.body.text,
        Array.isArray(ack.body.blocks) ? ack.body.blocks : [],
      );
    return { ...ack, responseUrl };
  }

  /** `user` clicks a button (by action id) on a message they can see. */
  /**
   * `user` runs the message shortcut `callbackId` (⋯ → "Ask Parley about this") on `message`, a
   * message someone wrote in `message.channel`.
   */
  async messageShortcut(user: string, callbackId: string, message: FakeMessage): Promise<Ack> {
    return this.deliver('interactive', {
      type: 'message_action',
      callback_id: callbackId,
      trigger_id: this.newTrigger(user),
      action_ts: `${Date.now() / 1000}`,
      team: { id: this.teamId, domain: 'fake' },
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.teamId },
      channel: { id: message.channel, name: message.channel.toLowerCase() },
      is_enterprise_install: false,
      enterprise: null,
      token: 'verification-token-unused',
      message_ts: message.ts,
      message: {
        type: 'message',
        ts: message.ts,
        text: message.text,
        user: message.author,
        ...(message.threadTs && { thread_ts: message.threadTs }),
      },
      response_url: this.newResponseUrl({ channel: message.channel, user }),
    });
  }

  /** `user` opens the app's Home tab: Slack sends `app_home_opened` (tab "home"). */
  openHome(user: string): Promise<Ack> {
    const home = this.homes.get(user);
    return this.sendEvent({
      type: 'app_home_opened',
      user,
      channel: this.dmChannel(user),
      tab: 'home',
      ...(home && { view: { ...home.view, id: home.id, hash: home.hash } }),
      event_ts: this.nextTs(),
    });
  }

  /**
   * `user` clicks a button on their Home tab: the one with `actionId` (and `value`, when several
   * share the id). Slack's payload names the view as the container; it has no channel and no
   * response_url.
   */
  async clickHome(user: string, actionId: string, value?: string): Promise<Ack> {
    const home = this.homes.get(user);
    if (!home) throw new Error(`${user} has no Home tab.`);
    const blocks = (Array.isArray(home.view.blocks) ? home.view.blocks : []).filter(isObj);
    let found: { element: Obj; block: Obj } | undefined;
    for (const block of blocks) {
      const els = Array.isArray(block.elements)
        ? block.elements
        : isObj(block.accessory)
          ? [block.accessory]
          : [];
      for (const e of els)
        if (isObj(e) && e.action_id === actionId && (value === undefined || e.value === value))
          found ??= { element: e, block };
    }
    if (!found) throw new Error(`No "${actionId}"${value ? ` (${value})` : ''} on ${user}'s Home tab.`);
    return this.deliver('interactive', {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.teamId },
      api_app_id: 'AFAKE',
      token: 'verification-token-unused',
      container: { type: 'view', view_id: home.id },
      trigger_id: this.newTrigger(user),
      team: { id: this.teamId, domain: 'fake' },
      enterprise: null,
      is_enterprise_install: false,
      view: { ...home.view, id: home.id, hash: home.hash, team_id: this.teamId, app_id: 'AFAKE' },
      actions: [
        {
          ...found.element,
          block_id: (found.block.block_id as string | undefined) ?? 'b',
          action_ts: `${Date.now() / 1000}`,
        },
      ],
      state: { values: {} },
    });
  }

  /**
   * `user` clicks 👍 (`positive`) or 👎 (`negative`) of the feedback buttons on `message`: the
   * action carries the clicked button's `value` and `text`, as Slack sends it.
   */
  feedback(user: string, message: FakeMessage, which: 'positive' | 'negative'): Promise<Ack> {
    for (const b of message.blocks)
      for (const e of b.type === 'context_actions' && Array.isArray(b.elements) ? b.elements : [])
        if (isObj(e) && e.type === 'feedback_buttons') {
          const button = e[`${which}_button`] as Obj;
          return this.click(user, message, String(e.action_id), {
            type: 'feedback_buttons',
            action_id: e.action_id,
            value: button.value,
            text: button.text,
          });
        }
    throw new Error(`No feedback buttons on message ${message.ts}.`);
  }

  /** `user` writes `text` in `channel` without mentioning the bot (no event: Parley isn't told). */
  say(user: string, channel: string, text: string): FakeMessage {
    return this.record({ channel, ts: this.nextTs(), author: user, text });
  }

  /** `user` clicks the element `actionId` on `message` (`as`: the action Slack sends, if not the element). */
  async click(
    user: string,
    message: FakeMessage,
    actionId: string,
    as?: Obj,
  ): Promise<Ack & { triggerId: string; responseUrl: string }> {
    const { triggerId, responseUrl, payload } = this.prepareClick(user, message, actionId, as);
    const ack = await this.deliver('interactive', payload);
    return { ...ack, triggerId, responseUrl };
  }

  /**
   * The delivery {@link click} sends, built but not sent. Its trigger id is issued now: call
   * {@link armTrigger} when the request actually goes out.
   */
  prepareClick(user: string, message: FakeMessage, actionId: string, as?: Obj) {
    const action = as ?? this.findElement(message.blocks, actionId);
    if (!action) throw new Error(`No element "${actionId}" on message ${message.ts}.`);
    const triggerId = this.newTrigger(user);
    const responseUrl = this.newResponseUrl({
      channel: message.channel,
      user,
      messageTs: message.ts,
      ...(message.threadTs && { threadTs: message.threadTs }),
    });
    const payload = {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.teamId },
      api_app_id: 'AFAKE',
      token: 'verification-token-unused',
      container: {
        type: 'message',
        message_ts: message.ts,
        channel_id: message.channel,
        is_ephemeral: message.ephemeralTo !== undefined,
        ...(message.threadTs && { thread_ts: message.threadTs }),
      },
      trigger_id: triggerId,
      team: { id: this.teamId, domain: 'fake' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: message.channel, name: message.channel.toLowerCase() },
      message: {
        type: 'message',
        ts: message.ts,
        text: message.text,
        blocks: message.blocks,
        user: this.botUserId,
      },
      response_url: responseUrl,
      actions: [
        {
          ...action,
          block_id: (this.findBlockOf(message.blocks, actionId)?.block_id as string | undefined) ?? 'b',
          action_ts: `${Date.now() / 1000}`,
        },
      ],
      state: { values: {} },
    };
    return { triggerId, responseUrl, type: 'interactive' as const, payload };
  }

  /**
   * `user` submits a modal. `values` are what the person typed or picked, by block id: strings
   * for text, numbers (as typed), dates (YYYY-MM-DD) and date-times (ISO); option values or labels
   * for choices (an array for multi-choices); 'true'/'false' for a single checkbox.
   */
  async submitView(
    user: string,
    viewId: string,
    values: Record<string, string | string[] | undefined>,
  ): Promise<Ack> {
    const { payload, view: v } = this.prepareSubmit(user, viewId, values);
    const ack = await this.deliver('interactive', payload);
    // A forged submit (someone else's view) changes nothing the owner sees.
    if (user === v.user) this.applyViewResponse(v, ack.body);
    else this.note(ackViewProblems(ack.body));
    return ack;
  }

  /**
   * The delivery {@link submitView} sends, built but not sent. The app's ack is not applied to
   * the view (only `submitView` reads it); the app's later `views.update` still is.
   */
  prepareSubmit(user: string, viewId: string, values: Record<string, string | string[] | undefined>) {
    const v = this.views.get(viewId);
    if (!v) throw new Error(`No view ${viewId}.`);
    const payload = {
      type: 'view_submission',
      team: { id: this.teamId, domain: 'fake' },
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.teamId },
      api_app_id: 'AFAKE',
      token: 'verification-token-unused',
      trigger_id: this.newTrigger(user),
      view: { ...this.viewOutput(v), state: { values: this.stateFor(v.view, values) } },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    v.lastSubmit = payload;
    return { type: 'interactive' as const, payload, view: v };
  }

  /**
   * Sends the view's last submission again, byte for byte — a replayed request (a retry, a
   * double click that raced the update), whatever the modal shows now.
   */
  async replaySubmit(viewId: string): Promise<Ack> {
    const v = this.views.get(viewId);
    if (!v?.lastSubmit) throw new Error(`View ${viewId} was never submitted.`);
    return this.deliver('interactive', v.lastSubmit);
  }

  /** `user` closes a modal with its close button. */
  async closeView(user: string, viewId: string): Promise<Ack> {
    const v = this.views.get(viewId);
    if (!v) throw new Error(`No view ${viewId}.`);
    v.open = false;
    return this.deliver('interactive', {
      type: 'view_closed',
      team: { id: this.teamId, domain: 'fake' },
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.teamId },
      api_app_id: 'AFAKE',
      token: 'verification-token-unused',
      view: this.viewOutput(v),
      is_cleared: false,
      is_enterprise_install: false,
      enterprise: null,
    });
  }

  /** `user` types `query` into an external select of an open view. */
  async suggest(user: string, viewId: string, blockId: string, query: string): Promise<Ack> {
    const v = this.views.get(viewId);
    if (!v) throw new Error(`No view ${viewId}.`);
    const ack = await this.deliver('interactive', {
      type: 'block_suggestion',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.teamId },
      team: { id: this.teamId, domain: 'fake' },
      api_app_id: 'AFAKE',
      token: 'verification-token-unused',
      container: { type: 'view', view_id: v.id },
      view: this.viewOutput(v),
      block_id: blockId,
      action_id: 'value',
      value: query,
    });
    if (this.validate) this.note(checkOptions(ack.body, 'block_suggestion response'));
    return ack;
  }

  // ───────────────────────────── what people see ─────────────────────────────

  /** Messages `user` can see in a channel or thread (ephemeral ones only if they are theirs). */
  visibleTo(user: string, filter: (m: FakeMessage) => boolean = () => true): FakeMessage[] {
    return this.messages.filter(
      (m) => !m.deleted && (m.ephemeralTo === undefined || m.ephemeralTo === user) && filter(m),
    );
  }

  /**
   * Everything a message has said (all versions, text and block text), for matching. A version
   * with `markdown` blocks says what they hold: Slack shows those, and its `text` is only their
   * fallback (notifications, clients without blocks).
   */
  static said(m: FakeMessage): string[] {
    return m.history.map((h) => {
      const markdown = FakeSlack.markdownOf(h.blocks);
      return markdown ?? [h.text, ...blockTexts(h.blocks)].join('\n');
    });
  }

  /** The Markdown of a message's `markdown` blocks (joined by newlines), or undefined without any. */
  static markdownOf(blocks: Obj[]): string | undefined {
    const texts = blocks.filter((b) => b.type === 'markdown').map((b) => String(b.text));
    return texts.length > 0 ? texts.join('\n') : undefined;
  }

  openViews(user: string): FakeView[] {
    return [...this.views.values()].filter((v) => v.user === user && v.open);
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  // ───────────────────────────── deliveries ─────────────────────────────

  /** Delivers an Events API event (optionally as Slack's retry of an earlier delivery). */
  sendEvent(event: Obj, opts: { eventId?: string; retryNum?: number } = {}): Promise<Ack> {
    const body = this.eventBody(event, opts.eventId ?? `Ev${randomBytes(5).toString('hex')}`);
    return this.deliver('events_api', body, opts.retryNum);
  }

  /** The Events API's outer body around `event`. */
  private eventBody(event: Obj, eventId: string): Obj {
    return {
      token: 'verification-token-unused',
      team_id: this.teamId,
      api_app_id: 'AFAKE',
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: this.teamId,
          user_id: this.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
  }

  /** Sends a payload the way the app is connected: Socket Mode envelope or signed HTTP request. */
  async deliver(
    type: 'events_api' | 'slash_commands' | 'interactive',
    payload: Obj,
    retryNum = 0,
  ): Promise<Ack> {
    const started = performance.now();
    if (this.http) {
      const { status, body } = await this.postSigned(type, payload, retryNum);
      return { status, body, ms: performance.now() - started };
    }
    const ws = await this.socket();
    const id = randomBytes(8).toString('hex');
    const envelope = {
      envelope_id: id,
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      retry_attempt: retryNum,
      retry_reason: retryNum > 0 ? 'timeout' : '',
    };
    const record: (typeof this.envelopes)[number] = { id, type, payload };
    this.envelopes.push(record);
    const acked = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(id);
        reject(new Error(`The app did not ack envelope ${id} (${type}) within 3 s.`));
      }, 3_000);
      this.pendingAcks.set(id, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
    ws.send(JSON.stringify(envelope));
    const body = await acked;
    record.ack = body;
    return { status: 200, body, ms: performance.now() - started };
  }

  private async postSigned(
    type: string,
    payload: Obj,
    retryNum: number,
  ): Promise<{ status: number; body: unknown }> {
    const target = this.http as HttpTarget;
    const { headers, body: raw } = this.signedRequest(type, payload, retryNum);
    const res = await fetch(target.url, {
      method: 'POST',
      // Not Slack's: when the request left, on the machine's clock (for latency checks).
      headers: { ...headers, 'x-fake-slack-sent': (performance.timeOrigin + performance.now()).toFixed(3) },
      body: raw,
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Plain-text acks stay text.
    }
    return { status: res.status, body };
  }

  /**
   * The HTTP request an HTTP-mode delivery is: body as Slack encodes it for `type`, and headers
   * with Slack's v0 signature over it (valid for 5 minutes from now). Needs {@link useHttp}.
   */
  signedRequest(type: string, payload: Obj, retryNum = 0): { headers: Record<string, string>; body: string } {
    const target = this.http;
    if (!target) throw new Error('signedRequest needs useHttp() first.');
    let raw: string;
    let contentType: string;
    if (type === 'events_api') {
      raw = JSON.stringify(payload);
      contentType = 'application/json';
    } else if (type === 'slash_commands') {
      raw = new URLSearchParams(payload as Record<string, string>).toString();
      contentType = 'application/x-www-form-urlencoded';
    } else {
      raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      contentType = 'application/x-www-form-urlencoded';
    }
    return {
      headers: {
        'content-type': contentType,
        ...signSlackRequest(target.signingSecret, raw),
        ...(retryNum > 0 && {
          'x-slack-retry-num': String(retryNum),
          'x-slack-retry-reason': 'http_timeout',
        }),
      },
      body: raw,
    };
  }

  /**
   * Starts a prepared trigger's 3 seconds now. Slack issues a trigger when the person acts, so a
   * request built ahead of a burst counts from when it is sent, not from when it was built.
   */
  armTrigger(id: string): void {
    const trigger = this.triggers.get(id);
    if (trigger) trigger.expires = Date.now() + TRIGGER_TTL_MS;
  }

  private socket(): Promise<WebSocket> {
    const open = () => [...this.sockets].find((s) => s.readyState === WebSocket.OPEN);
    const now = open();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('No Socket Mode connection to the fake Slack.')),
        5_000,
      );
      this.socketWaiters.push(() => {
        const s = open();
        if (!s) return;
        clearTimeout(timer);
        resolve(s);
      });
    });
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        this.violations.push('socket: the app sent a message that is not JSON');
        return;
      }
      if (!isObj(msg) || typeof msg.envelope_id !== 'string') return;
      const resolve = this.pendingAcks.get(msg.envelope_id);
      this.pendingAcks.delete(msg.envelope_id);
      resolve?.(msg.payload);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: 'fake-slack', approximate_connection_time: 3600 },
        connection_info: { app_id: 'AFAKE' },
      }),
    );
    for (const w of this.socketWaiters.splice(0)) w();
  }

  // ──────────────────── Sign in with Slack (OpenID Connect) ────────────────────

  /** The app's Sign in with Slack credentials (SLACK_CLIENT_ID / SLACK_CLIENT_SECRET). */
  readonly oidcClient = { id: '1234.5678', secret: 'fake-oidc-client-secret' };
  /** Who the browser at the authorize page is signed in to Slack as (auto-approved). */
  private oidcBrowser: { user: string; team: string } | undefined;
  private readonly oidcCodes = new Map<string, { user: string; team: string; redirectUri: string }>();
  private readonly oidcTokens = new Map<string, { user: string; team: string }>();

  /** The next authorize request is approved as `user` (in `team`, default this workspace). */
  signInBrowserAs(user: string | undefined, team = this.teamId): void {
    this.oidcBrowser = user ? { user, team } : undefined;
  }

  private oidcAuthorize(q: URLSearchParams): [number, string | undefined, string] {
    const redirect = q.get('redirect_uri') ?? '';
    const problem =
      q.get('client_id') !== this.oidcClient.id
        ? 'invalid_client_id'
        : q.get('response_type') !== 'code'
          ? 'unsupported_response_type'
          : !(q.get('scope') ?? '').split(' ').includes('openid')
            ? 'invalid_scope'
            : !/^https?:\/\//.test(redirect) || !q.get('state')
              ? 'bad_redirect_uri'
              : undefined;
    if (problem) {
      this.violations.push(`openid/connect/authorize: ${problem}`);
      return [400, undefined, problem];
    }
    const target = new URL(redirect);
    target.searchParams.set('state', q.get('state') ?? '');
    if (!this.oidcBrowser) target.searchParams.set('error', 'access_denied');
    else {
      const code = `oidc-code-${randomBytes(8).toString('hex')}`;
      this.oidcCodes.set(code, { ...this.oidcBrowser, redirectUri: redirect });
      target.searchParams.set('code', code);
    }
    return [302, target.href, ''];
  }

  private oidcToken(args: Obj): Obj {
    if (args.client_id !== this.oidcClient.id || args.client_secret !== this.oidcClient.secret)
      return { ok: false, error: 'invalid_client' };
    const grant = this.oidcCodes.get(String(args.code ?? ''));
    this.oidcCodes.delete(String(args.code ?? ''));
    if (!grant || grant.redirectUri !== args.redirect_uri) return { ok: false, error: 'invalid_code' };
    const token = `xoxp-oidc-${randomBytes(8).toString('hex')}`;
    this.oidcTokens.set(token, grant);
    return { ok: true, access_token: token, token_type: 'Bearer', id_token: 'unused.in.fake' };
  }

  private oidcUserInfo(token: string | undefined): Obj {
    const who = token ? this.oidcTokens.get(token) : undefined;
    if (!who) return { ok: false, error: 'invalid_auth' };
    return {
      ok: true,
      sub: who.user,
      'https://slack.com/user_id': who.user,
      'https://slack.com/team_id': who.team,
    };
  }

  // ───────────────────────────── the Web API ─────────────────────────────

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bytes = await readBytes(req);
    const raw = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/openid/connect/authorize') {
      const [status, location, error] = this.oidcAuthorize(url.searchParams);
      if (location) res.writeHead(302, { location }).end();
      else send(status, { ok: false, error });
      return;
    }
    if (url.pathname.startsWith('/upload/')) {
      const file = this.files.get(url.pathname.slice('/upload/'.length));
      if (!file || file.bytes || req.method !== 'POST') {
        res.writeHead(404).end('not found');
        return;
      }
      if (bytes.length !== file.length) {
        this.violations.push(`upload ${file.id}: ${bytes.length} bytes sent, ${file.length} declared`);
        res.writeHead(400).end('length mismatch');
        return;
      }
      file.bytes = bytes;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${bytes.length}`);
      return;
    }
    if (url.pathname.startsWith('/response/')) {
      send(...this.onResponseUrl(url.pathname.slice('/response/'.length), raw));
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      send(404, { ok: false, error: 'not_found' });
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    const delay = this.arrivalDelays.get(method)?.shift();
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ')
      ? auth.slice(7)
      : typeof args.token === 'string'
        ? args.token
        : undefined;
    this.calls.push({ method, args, token, at: Date.now() });
    send(200, this.api(method, args, token));
  }

  private api(method: string, args: Obj, token: string | undefined): Obj {
    if (method === 'apps.connections.open') {
      if (token !== this.appToken)
        return { ok: false, error: token?.startsWith('xoxb-') ? 'not_allowed_token_type' : 'invalid_auth' };
      return {
        ok: true,
        url: `${this.url.replace(/^http/, 'ws')}/socket?ticket=${randomBytes(6).toString('hex')}`,
      };
    }
    if (method === 'openid.connect.token') return this.oidcToken(args);
    if (method === 'openid.connect.userInfo') return this.oidcUserInfo(token);
    if (token !== this.botToken) return { ok: false, error: 'invalid_auth' };
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.test/',
          team: 'Fake Workspace',
          user: 'parley',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
          is_enterprise_install: false,
        };
      case 'chat.postMessage': {
        this.replied(args);
        const bad = this.checked(
          checkMessage({ text: args.text, blocks: parseMaybe(args.blocks) }, 'chat.postMessage'),
        );
        if (bad) return bad;
        const channel = String(args.channel ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (this.notMember.has(channel)) return { ok: false, error: 'not_in_channel' };
        const ts = this.nextTs();
        const thread = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
        const m = this.record({
          channel,
          ts,
          author: this.botUserId,
          text: str(args.text),
          blocks: blocksOf(args),
          ...(thread && { threadTs: thread }),
        });
        return { ok: true, channel, ts, message: { type: 'message', text: m.text, ts, bot_id: this.botId } };
      }
      case 'chat.postEphemeral': {
        const bad = this.checked(
          checkMessage({ text: args.text, blocks: parseMaybe(args.blocks) }, 'chat.postEphemeral'),
        );
        if (bad) return bad;
        if (this.notMember.has(String(args.channel))) return { ok: false, error: 'not_in_channel' };
        const m = this.postEphemeralModel(
          String(args.channel),
          String(args.user),
          str(args.text),
          blocksOf(args),
          typeof args.thread_ts === 'string' ? args.thread_ts : undefined,
        );
        return { ok: true, message_ts: m.ts };
      }
      case 'chat.update': {
        const bad = this.checked(
          checkMessage({ text: args.text, blocks: parseMaybe(args.blocks) }, 'chat.update'),
        );
        if (bad) return bad;
        const m = this.messages.find((x) => x.channel === args.channel && x.ts === args.ts && !x.ephemeralTo);
        if (!m || m.deleted) return { ok: false, error: 'message_not_found' };
        if (m.author !== this.botUserId || m.stream === 'open')
          return { ok: false, error: 'cant_update_message' };
        // Slack keeps the old blocks when an update gives text only; Parley always means to replace.
        m.text = str(args.text);
        m.blocks = blocksOf(args);
        m.history.push({ text: m.text, blocks: m.blocks });
        this.changed({ kind: 'message', message: m });
        return { ok: true, channel: m.channel, ts: m.ts, text: m.text };
      }
      case 'files.getUploadURLExternal': {
        const filename = str(args.filename);
        const length = Number(args.length);
        const alt = args.alt_txt === undefined ? undefined : str(args.alt_txt);
        const problems: string[] = [];
        if (!filename) problems.push('filename is required');
        if (!Number.isInteger(length) || length < 1) problems.push('length must be a positive integer');
        if (length > SLACK_FILE_LIMITS.maxBytes) problems.push('length is over 1 GB');
        if (alt !== undefined && alt.length > SLACK_FILE_LIMITS.altText) problems.push('alt_txt over 1000');
        if (problems.length) {
          this.violations.push(...problems.map((p) => `files.getUploadURLExternal: ${p}`));
          return { ok: false, error: 'invalid_arguments' };
        }
        const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
        this.files.set(id, { id, filename, length, ...(alt && { altText: alt }), completed: false });
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const list = parseMaybe(args.files);
        if (!Array.isArray(list) || list.length === 0 || list.length > SLACK_FILE_LIMITS.filesPerComplete) {
          this.violations.push('files.completeUploadExternal: files must be a JSON array of 1–100');
          return { ok: false, error: 'invalid_arguments' };
        }
        const done: FakeFile[] = [];
        for (const entry of list) {
          const file = isObj(entry) ? this.files.get(str(entry.id)) : undefined;
          if (!file?.bytes || file.completed) {
            this.violations.push(`files.completeUploadExternal: ${JSON.stringify(entry)} was not uploaded`);
            return { ok: false, error: 'file_not_found' };
          }
          if (isObj(entry) && typeof entry.title === 'string') file.title = entry.title;
          done.push(file);
        }
        const channel = str(args.channel_id);
        const thread = str(args.thread_ts);
        if (thread && !channel) {
          this.violations.push('files.completeUploadExternal: thread_ts needs channel_id');
          return { ok: false, error: 'invalid_arguments' };
        }
        for (const f of done) f.completed = true;
        if (channel) {
          this.record({
            channel,
            ts: this.nextTs(),
            author: this.botUserId,
            text: str(args.initial_comment),
            ...(thread && { threadTs: thread }),
            files: done,
          });
        }
        return { ok: true, files: done.map((f) => ({ id: f.id, title: f.title ?? f.filename })) };
      }
      case 'chat.delete': {
        const m = this.messages.find((x) => x.channel === args.channel && x.ts === args.ts && !x.ephemeralTo);
        if (!m || m.deleted) return { ok: false, error: 'message_not_found' };
        m.deleted = true;
        this.changed({ kind: 'message', message: m });
        return { ok: true, channel: m.channel, ts: m.ts };
      }
      case 'chat.startStream':
      case 'chat.appendStream':
      case 'chat.stopStream':
        if (method === 'chat.startStream') this.replied(args);
        return this.streamApi(method, args);
      case 'assistant.threads.setStatus':
      case 'assistant.threads.setSuggestedPrompts':
      case 'assistant.threads.setTitle':
        return this.assistantApi(method, args);
      case 'views.publish':
        return this.publishHome(args);
      case 'conversations.open': {
        // One person's DM with the app (Parley opens no group DMs).
        const users = str(args.users);
        if (!/^U[A-Z0-9]+$/.test(users)) {
          this.note([`conversations.open: users must be one user id (got "${users}")`]);
          return { ok: false, error: 'invalid_arguments' };
        }
        return { ok: true, channel: { id: this.dmChannel(users) } };
      }
      case 'views.open':
      case 'views.push': {
        const trigger = this.triggers.get(String(args.trigger_id));
        if (!trigger) return { ok: false, error: 'invalid_trigger_id' };
        if (trigger.used || trigger.expires < Date.now()) return { ok: false, error: 'expired_trigger_id' };
        trigger.used = true;
        const view = parseMaybe(args.view);
        const bad = this.checked(checkView(view, method));
        if (bad) return bad;
        const v: FakeView = {
          id: `V${++this.seq}`,
          hash: randomBytes(4).toString('hex'),
          user: trigger.user,
          view: view as Obj,
          open: true,
        };
        this.views.set(v.id, v);
        this.changed({ kind: 'view', view: v });
        return { ok: true, view: this.viewOutput(v) };
      }
      case 'views.update': {
        const v = this.views.get(String(args.view_id));
        if (!v?.open) return { ok: false, error: 'not_found' };
        if (args.hash !== undefined && args.hash !== v.hash) return { ok: false, error: 'hash_conflict' };
        const view = parseMaybe(args.view);
        const bad = this.checked(checkView(view, method));
        if (bad) return bad;
        v.view = view as Obj;
        v.hash = randomBytes(4).toString('hex');
        this.changed({ kind: 'view', view: v });
        return { ok: true, view: this.viewOutput(v) };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /**
   * views.publish: `user_id` and a home view (checked like Slack would, slack-limits.ts), and the
   * `hash` of the view it replaces when given (`hash_conflict` if another publish came between).
   */
  private publishHome(args: Obj): Obj {
    const user = str(args.user_id);
    if (!user) {
      this.note(['views.publish: user_id is required']);
      return { ok: false, error: 'invalid_arguments' };
    }
    const current = this.homes.get(user);
    if (args.hash !== undefined && args.hash !== current?.hash) return { ok: false, error: 'hash_conflict' };
    const view = parseMaybe(args.view);
    const bad = this.checked(checkHomeView(view, 'views.publish'));
    if (bad) return bad;
    const home: FakeHome = {
      id: current?.id ?? `VH${++this.seq}`,
      hash: randomBytes(4).toString('hex'),
      view: view as Obj,
      versions: [...(current?.versions ?? []), view as Obj],
    };
    this.homes.set(user, home);
    return { ok: true, view: { ...home.view, id: home.id, hash: home.hash, team_id: this.teamId } };
  }

  /** The app posted in a thread: an assistant thread's status clears (Slack does so). */
  private replied(args: Obj): void {
    const t = this.assistantThreads.get(`${String(args.channel)}:${String(args.thread_ts)}`);
    if (t?.statuses.at(-1)) t.statuses.push('');
  }

  /**
   * assistant.threads.setStatus / setSuggestedPrompts / setTitle: `channel_id` and `thread_ts` of
   * an assistant thread; `status` a string ('' clears); one to four prompts, each with a `title`
   * and a `message`; a `title` for the thread.
   */
  private assistantApi(method: string, args: Obj): Obj {
    const t = this.assistantThreads.get(`${String(args.channel_id)}:${String(args.thread_ts)}`);
    if (!t) return { ok: false, error: 'invalid_thread_ts' };
    const problems: string[] = [];
    if (method === 'assistant.threads.setStatus') {
      if (typeof args.status !== 'string') problems.push(`${method}: status is required`);
      else if (!problems.length) t.statuses.push(args.status);
    } else if (method === 'assistant.threads.setSuggestedPrompts') {
      const prompts = parseMaybe(args.prompts);
      if (!Array.isArray(prompts) || prompts.length < 1 || prompts.length > 4)
        problems.push(`${method}: one to four prompts`);
      else
        for (const p of prompts)
          if (
            !isObj(p) ||
            typeof p.title !== 'string' ||
            !p.title ||
            typeof p.message !== 'string' ||
            !p.message
          )
            problems.push(`${method}: every prompt needs a title and a message`);
      if (problems.length === 0) {
        t.prompts = prompts as AssistantThread['prompts'];
        if (typeof args.title === 'string') t.promptsTitle = args.title;
      }
    } else {
      if (typeof args.title !== 'string' || !args.title) problems.push(`${method}: title is required`);
      else t.title = args.title;
    }
    if (problems.length > 0) {
      this.note(problems);
      return { ok: false, error: 'invalid_arguments', errors: problems };
    }
    return { ok: true };
  }

  /**
   * Slack's chat streaming API (chat.startStream / appendStream / stopStream): a streamed message
   * is a thread reply (thread_ts), addressed to a person outside DMs (recipient_user_id and
   * recipient_team_id), fed `markdown_text` or `markdown_text` chunks of at most 12,000 characters.
   */
  private streamApi(method: string, args: Obj): Obj {
    if (!this.streaming) return { ok: false, error: 'unknown_method' };
    const channel = typeof args.channel === 'string' ? args.channel : '';
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const chunks = parseMaybe(args.chunks);
    const problems: string[] = [];
    let text = '';
    if (typeof args.markdown_text === 'string') text += args.markdown_text;
    if (chunks !== undefined) {
      if (!Array.isArray(chunks)) problems.push(`${method}: chunks must be an array`);
      else
        for (const c of chunks) {
          if (!isObj(c) || c.type !== 'markdown_text' || typeof c.text !== 'string')
            problems.push(`${method}: unsupported chunk ${JSON.stringify(c)}`);
          else {
            if (c.text.length > 12_000) problems.push(`${method}: a chunk over 12,000 characters`);
            text += c.text;
          }
        }
    }
    if (typeof args.markdown_text === 'string' && args.markdown_text.length > 12_000)
      problems.push(`${method}: markdown_text over 12,000 characters`);
    if (method === 'chat.appendStream' && !text) problems.push(`${method}: nothing to append`);
    if (method === 'chat.startStream') {
      if (typeof args.thread_ts !== 'string') problems.push(`${method}: thread_ts is required`);
      if (
        !channel.startsWith('D') &&
        (typeof args.recipient_user_id !== 'string' || typeof args.recipient_team_id !== 'string')
      )
        problems.push(`${method}: recipient_user_id and recipient_team_id are required outside DMs`);
    }
    if (problems.length > 0) {
      this.note(problems);
      return { ok: false, error: 'invalid_arguments', errors: problems };
    }
    if (method === 'chat.startStream') {
      const ts = this.nextTs();
      const m = this.record({
        channel,
        ts,
        author: this.botUserId,
        text,
        threadTs: String(args.thread_ts),
      });
      m.stream = 'open';
      return { ok: true, channel, ts };
    }
    const m = this.messages.find((x) => x.channel === channel && x.ts === args.ts && !x.ephemeralTo);
    if (!m || m.deleted) return { ok: false, error: 'message_not_found' };
    if (m.stream !== 'open') return { ok: false, error: 'message_not_in_streaming_state' };
    m.text += text;
    m.history.push({ text: m.text, blocks: m.blocks });
    if (method === 'chat.stopStream') m.stream = 'stopped';
    this.changed({ kind: 'message', message: m });
    return { ok: true, channel, ts: m.ts };
  }

  private checked(problems: string[]): Obj | undefined {
    if (!this.validate || problems.length === 0) return undefined;
    this.note(problems);
    return { ok: false, error: 'invalid_blocks', errors: problems };
  }

  private note(problems: string[]): void {
    if (this.validate) this.violations.push(...problems);
  }

  private onResponseUrl(id: string, raw: string): [number, Obj] {
    const ctx = this.responseUrls.get(id);
    if (!ctx || ctx.expires < Date.now()) return [404, { ok: false, error: 'expired_url' }];
    if (++ctx.uses > 5) return [404, { ok: false, error: 'used_url' }];
    const body = parseMaybe(raw);
    if (!isObj(body)) return [400, { ok: false, error: 'invalid_payload' }];
    this.calls.push({ method: 'response_url', args: body, token: undefined, at: Date.now() });
    const problems = checkMessage(body, 'response_url');
    if (this.validate && problems.length > 0) {
      this.note(problems);
      return [400, { ok: false, error: 'invalid_blocks' }];
    }
    const blocks = blocksOf(body);
    if (body.replace_original === true || body.replace_original === 'true') {
      const m = this.messages.find((x) => x.channel === ctx.channel && x.ts === ctx.messageTs);
      if (!m) return [404, { ok: false, error: 'message_not_found' }];
      m.text = str(body.text);
      m.blocks = blocks;
      m.history.push({ text: m.text, blocks });
      this.changed({ kind: 'message', message: m });
      return [200, { ok: true }];
    }
    if (body.response_type === 'in_channel') {
      this.record({
        channel: ctx.channel,
        ts: this.nextTs(),
        author: this.botUserId,
        text: str(body.text),
        blocks,
        ...(ctx.threadTs && { threadTs: ctx.threadTs }),
      });
    } else {
      this.postEphemeralModel(ctx.channel, ctx.user, str(body.text), blocks, ctx.threadTs);
    }
    return [200, { ok: true }];
  }

  // ───────────────────────────── model ─────────────────────────────

  private record(m: Omit<FakeMessage, 'deleted' | 'history' | 'blocks'> & { blocks?: Obj[] }): FakeMessage {
    const full: FakeMessage = {
      ...m,
      blocks: m.blocks ?? [],
      deleted: false,
      history: [{ text: m.text, blocks: m.blocks ?? [] }],
    };
    this.messages.push(full);
    this.changed({ kind: 'message', message: full });
    return full;
  }

  private postEphemeralModel(
    channel: string,
    user: string,
    text: string,
    blocks: unknown[],
    threadTs?: string,
  ): FakeMessage {
    return this.record({
      channel,
      ts: this.nextTs(),
      author: this.botUserId,
      ephemeralTo: user,
      text,
      blocks: blocks.filter(isObj),
      ...(threadTs && { threadTs }),
    });
  }

  private applyViewResponse(v: FakeView, body: unknown): void {
    if (!isObj(body) || body.response_action === undefined) {
      v.open = false;
      return;
    }
    switch (body.response_action) {
      case 'errors':
        this.note(checkErrors(body.errors, v.view, 'response_action errors'));
        return;
      case 'update':
        this.note(checkView(body.view, 'response_action update'));
        if (isObj(body.view)) v.view = body.view;
        this.changed({ kind: 'view', view: v });
        return;
      case 'push':
        this.note(checkView(body.view, 'response_action push'));
        return;
      case 'clear':
        v.open = false;
        return;
      default:
        this.note([`view_submission ack: unknown response_action "${String(body.response_action)}"`]);
    }
  }

  private viewOutput(v: FakeView): Obj {
    return {
      ...v.view,
      id: v.id,
      hash: v.hash,
      team_id: this.teamId,
      app_id: 'AFAKE',
      bot_id: this.botId,
      root_view_id: v.id,
      previous_view_id: null,
      private_metadata: str(v.view.private_metadata),
      callback_id: str(v.view.callback_id),
      state: { values: {} },
    };
  }

  /** Builds `view.state.values` from what the person entered, shaped per element like Slack's. */
  private stateFor(view: Obj, values: Record<string, string | string[] | undefined>): Obj {
    const out: Obj = {};
    for (const b of Array.isArray(view.blocks) ? view.blocks : []) {
      if (!isObj(b) || b.type !== 'input' || !isObj(b.element)) continue;
      const el = b.element;
      const blockId = String(b.block_id);
      const given = values[blockId];
      const type = String(el.type);
      const one = Array.isArray(given) ? given[0] : given;
      const options = (Array.isArray(el.options) ? el.options : []).filter(isObj);
      const pick = (v: string) =>
        options.find((o) => o.value === v || (isObj(o.text) && o.text.text === v)) ??
        // External selects have no static list: Slack sends what the suggestion offered.
        (type.includes('external') ? { text: { type: 'plain_text', text: v }, value: v } : undefined);
      let state: Obj;
      switch (type) {
        case 'datepicker':
          state = { selected_date: one || null };
          break;
        case 'datetimepicker':
          state = { selected_date_time: one ? Math.floor(Date.parse(one) / 1000) : null };
          break;
        case 'static_select':
        case 'external_select':
        case 'radio_buttons':
          state = { selected_option: one ? (pick(one) ?? null) : null };
          break;
        case 'checkboxes':
        case 'multi_static_select':
        case 'multi_external_select': {
          const list = Array.isArray(given) ? given : given === undefined || given === '' ? [] : [given];
          const single = options.length === 1 && options[0]?.value === 'true';
          const chosen = single ? (list[0] === 'true' ? [options[0]] : []) : list.map(pick).filter(Boolean);
          state = { selected_options: chosen };
          break;
        }
        default:
          state = { value: one === undefined || one === '' ? null : one };
      }
      out[blockId] = { [String(el.action_id)]: { type, ...state } };
    }
    return out;
  }

  private findElement(blocks: Obj[], actionId: string): Obj | undefined {
    for (const b of blocks) {
      const els = Array.isArray(b.elements) ? b.elements : isObj(b.accessory) ? [b.accessory] : [];
      for (const e of els) if (isObj(e) && e.action_id === actionId) return e;
    }
    return undefined;
  }

  private findBlockOf(blocks: Obj[], actionId: string): Obj | undefined {
    return blocks.find(
      (b) => Array.isArray(b.elements) && b.elements.some((e) => isObj(e) && e.action_id === actionId),
    );
  }

  private newTrigger(user: string): string {
    const id = `${++this.seq}.${randomBytes(6).toString('hex')}`;
    this.triggers.set(id, { user, expires: Date.now() + TRIGGER_TTL_MS, used: false });
    return id;
  }

  private newResponseUrl(ctx: Omit<ResponseContext, 'expires' | 'uses'>): string {
    const id = randomBytes(8).toString('hex');
    this.responseUrls.set(id, { ...ctx, expires: Date.now() + 30 * 60_000, uses: 0 });
    return `${this.url}/response/${id}`;
  }

  private nextTs(): string {
    // Strictly increasing, like Slack's message timestamps.
    const now = Date.now() * 1000;
    this.lastTs = Math.max(now, this.lastTs + 1);
    return `${Math.floor(this.lastTs / 1e6)}.${String(this.lastTs % 1e6).padStart(6, '0')}`;
  }
}

function ackViewProblems(body: unknown): string[] {
  return isObj(body) && body.view !== undefined ? checkView(body.view, 'view_submission ack') : [];
}

/** Slack's request signature headers for `raw` (v0, HMAC-SHA256). */
export function signSlackRequest(
  secret: string,
  raw: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const sig = createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': `v0=${sig}` };
}

/** All text inside blocks (sections, contexts, buttons), for matching what a person reads. */
export function blockTexts(blocks: unknown[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) {
      if (
        (v.type === 'mrkdwn' || v.type === 'plain_text' || v.type === 'markdown') &&
        typeof v.text === 'string'
      )
        out.push(v.text);
      else for (const k of Object.keys(v)) if (k !== 'value' && k !== 'action_id') walk(v[k]);
    }
  };
  walk(blocks);
  return out;
}

function readBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function parseArgs(raw: string, contentType: string): Obj {
  if (contentType.includes('application/json')) {
    const parsed = parseMaybe(raw);
    return isObj(parsed) ? parsed : {};
  }
  const out: Obj = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
  return out;
}

function parseMaybe(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function blocksOf(args: Obj): Obj[] {
  const b = parseMaybe(args.blocks);
  return Array.isArray(b) ? b.filter(isObj) : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
