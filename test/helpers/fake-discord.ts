/**
 * A local fake of Discord: the REST API Parley calls (messages, threads, typing, interaction
 * callbacks, interaction webhooks, command registration) on a real HTTP server, plus the
 * payloads Discord would send when a person acts (a mention, a slash command, a button click, a
 * modal submit). It keeps the messages each person can see, refuses what Discord refuses (a
 * second initial response, an unknown message, a missing bot token) and runs the limits
 * validator (./discord-limits.ts) over every payload, answering a violation with Discord's 400.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkInteractionResponse, checkRestCall } from './discord-limits.js';

type Json = Record<string, unknown>;

export interface FakeCall {
  method: string;
  path: string;
  body: unknown;
  auth: string | undefined;
  status: number;
}

export interface FakeMessage {
  id: string;
  channelId: string;
  content: string;
  components: Json[];
  flags: number;
  ephemeral: boolean;
  /** The person an interaction reply belongs to (ephemeral messages are only theirs). */
  interactionUser?: string;
  /** 'thinking' until a deferred reply is first edited. */
  deferred: boolean;
  replyTo?: string;
  edits: number;
  /** When each edit arrived (ms since epoch), oldest first: pacing is checked against these. */
  editedAt: number[];
  /** Every content it showed, oldest first. */
  versions: string[];
  /** The first components the message showed (forms, confirmations, links); [] for plain text. */
  shownComponents: Json[];
  /** The interaction whose webhook posted it (follow-ups). */
  viaInteraction?: string;
  /** Files sent with the message (multipart `files[n]`). */
  attachments: FakeAttachment[];
}

export interface FakeAttachment {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** Discord's documented attachment limits: 10 per message, 10 MiB together (unboosted servers). */
export const DISCORD_ATTACHMENT_LIMITS = { perMessage: 10, totalBytes: 10 * 1024 * 1024 };

/** Where a multipart request's files ride on its parsed payload (a symbol: never part of the JSON). */
const FILES = Symbol('files');

/**
 * Reads a multipart message request as Discord does: `payload_json` is the body, `files[n]` the
 * files, each described by an `attachments` entry with id n. Problems are returned as violations.
 */
async function readMultipart(raw: Buffer, contentType: string): Promise<{ body: Json; problems: string[] }> {
  const form = await new Request('http://fake/', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: raw,
  }).formData();
  const payload = form.get('payload_json');
  const body = (typeof payload === 'string' ? JSON.parse(payload) : {}) as Json;
  const problems: string[] = [];
  const described = Array.isArray(body.attachments) ? (body.attachments as Json[]) : [];
  const files: FakeAttachment[] = [];
  for (const [key, value] of form.entries()) {
    const m = /^files\[(\d+)\]$/.exec(key);
    if (!m) continue;
    if (typeof value === 'string') {
      problems.push(`${key} is not a file`);
      continue;
    }
    const entry = described.find((a) => String(a.id) === m[1]);
    if (!entry) problems.push(`${key} has no attachments entry with id ${m[1]}`);
    const filename = typeof entry?.filename === 'string' && entry.filename ? entry.filename : value.name;
    if (!filename) problems.push(`${key} has no filename`);
    files.push({ filename, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
  }
  if (files.length > DISCORD_ATTACHMENT_LIMITS.perMessage)
    problems.push(`${files.length} files (at most ${DISCORD_ATTACHMENT_LIMITS.perMessage})`);
  const total = files.reduce((n, f) => n + f.bytes.length, 0);
  if (total > DISCORD_ATTACHMENT_LIMITS.totalBytes)
    problems.push(
      `files total ${total} bytes (at most ${DISCORD_ATTACHMENT_LIMITS.totalBytes}): 413 Request entity too large`,
    );
  (body as Json & { [FILES]?: FakeAttachment[] })[FILES] = files;
  return { body, problems };
}

function filesOf(data: Json): FakeAttachment[] | undefined {
  return (data as Json & { [FILES]?: FakeAttachment[] })[FILES];
}

interface FakeInteraction {
  id: string;
  token: string;
  type: number;
  user: string;
  channelId: string;
  /** The message a component sits on (component clicks and modal submits from them). */
  sourceMessage?: string;
  original?: string;
  response?: Json;
  modal?: Json;
}

export interface FakeChannel {
  id: string;
  type: number;
  guildId?: string;
  parentId?: string;
}

export interface FakeDiscord {
  /** REST base for discord.js (`rest.api`); discord.js appends `/v10`. */
  api: string;
  applicationId: string;
  botToken: string;
  botUserId: string;
  calls: FakeCall[];
  /** Limit violations and refused requests; a test ends with this empty. */
  violations: string[];
  messages: Map<string, FakeMessage>;
  channels: Map<string, FakeChannel>;
  commands: unknown[];
  userId(name: string): string;
  guildChannel(guildId?: string): FakeChannel;
  dmChannel(user: string): FakeChannel;
  /** A gateway MESSAGE_CREATE for `user` writing `content` (with the bot mentioned when asked). */
  message(user: string, channel: FakeChannel, content: string, opts?: { mention?: boolean }): Json;
  slashCommand(user: string, channel: FakeChannel, name: string, options?: Record<string, string>): Json;
  /** A message context-menu command (Apps → `name`) run on a message someone wrote. */
  messageCommand(
    user: string,
    channel: FakeChannel,
    name: string,
    target: { id: string; content: string; author: string },
  ): Json;
  autocomplete(
    user: string,
    channel: FakeChannel,
    name: string,
    options: Record<string, string>,
    focused: string,
  ): Json;
  click(user: string, message: FakeMessage, customId: string): Json;
  /** Submits the modal shown in answer to `opener` with `values` by custom_id. */
  submitModal(user: string, opener: Json, values: Record<string, string | string[] | boolean | null>): Json;
  /** The initial response an interaction got (REST callback or, for the HTTP edge, applied by the test). */
  response(interaction: Json): Json | undefined;
  /** The message an interaction's initial response made or updated. */
  original(interaction: Json): FakeMessage | undefined;
  /** Applies an initial response that reached Discord as an HTTP reply (the endpoint edge). */
  applyResponse(interaction: Json, body: unknown): void;
  /** Messages `user` can see in `channels` (and their threads), oldest first. */
  visibleTo(user: string, channels: string[]): FakeMessage[];
  followUpsOf(interaction: Json): FakeMessage[];
  /** Where `GET /gateway/bot` sends discord.js (a gateway stand-in, see fake-discord-gateway.ts). */
  setGateway(url: string): void;
  /**
   * Refuses the next request `match` picks with 403 Missing Access (code 50001), as Discord does
   * when the bot may not post somewhere; not retried by discord.js, not a violation.
   */
  refuseNext(match: (method: string, path: string, body: unknown) => boolean): void;
  /**
   * The next message edits (PATCH) reach Discord late: the first after `delaysMs[0]` ms in flight,
   * the next after `delaysMs[1]`, and so on. An edit is applied and stamped when it arrives.
   */
  delayEdits(delaysMs: number[]): void;
  /** The application's OAuth2 client secret (DISCORD_CLIENT_SECRET). */
  clientSecret: string;
  /** OAuth2 `identify`: the next authorize request is approved as `user` (a name, see userId). */
  signInBrowserAs(user: string | undefined): void;
  close(): Promise<void>;
}

const THREAD = 11;

export async function startFakeDiscord(): Promise<FakeDiscord> {
  let seq = 1_300_000_000_000_000_000n;
  const snowflake = () => String(++seq);
  const applicationId = snowflake();
  const botUserId = applicationId;
  const botToken = `fake-bot-${randomBytes(8).toString('hex')}`;
  const calls: FakeCall[] = [];
  const violations: string[] = [];
  const refusals: Array<(method: string, path: string, body: unknown) => boolean> = [];
  const editDelays: number[] = [];
  const messages = new Map<string, FakeMessage>();
  const channels = new Map<string, FakeChannel>();
  const interactions = new Map<string, FakeInteraction>();
  const users = new Map<string, string>();
  const commands: unknown[] = [];
  const order: string[] = [];
  let gatewayUrl: string | undefined;

  const userId = (name: string) => {
    let id = users.get(name);
    if (!id) {
      id = snowflake();
      users.set(name, id);
    }
    return id;
  };
  const userObj = (name: string) => ({
    id: userId(name),
    username: name,
    discriminator: '0',
    global_name: name,
    avatar: null,
  });

  function createMessage(channelId: string, data: Json, extra: Partial<FakeMessage> = {}): FakeMessage {
    const flags = typeof data.flags === 'number' ? data.flags : 0;
    const components = Array.isArray(data.components) ? (data.components as Json[]) : [];
    const m: FakeMessage = {
      id: snowflake(),
      channelId,
      content: typeof data.content === 'string' ? data.content : '',
      components,
      flags,
      ephemeral: (flags & 64) !== 0,
      deferred: false,
      edits: 0,
      editedAt: [],
      versions: [typeof data.content === 'string' ? data.content : ''],
      shownComponents: components,
      attachments: filesOf(data) ?? [],
      ...extra,
    };
    messages.set(m.id, m);
    order.push(m.id);
    return m;
  }

  function editMessage(m: FakeMessage, data: Json): void {
    if (typeof data.content === 'string') m.content = data.content;
    const files = filesOf(data);
    if (files) m.attachments = [...m.attachments, ...files];
    if (Array.isArray(data.components)) m.components = data.components as Json[];
    if (m.shownComponents.length === 0) m.shownComponents = m.components;
    m.deferred = false;
    m.edits++;
    m.editedAt.push(Date.now());
    m.versions.push(m.content);
  }

  const toJson = (m: FakeMessage) => ({
    id: m.id,
    channel_id: m.channelId,
    content: m.content,
    components: m.components,
    flags: m.flags,
    author: {
      id: botUserId,
      username: 'parley',
      bot: true,
      discriminator: '0',
      avatar: null,
      global_name: null,
    },
    type: 0,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
  });

  function applyResponse(it: FakeInteraction, body: unknown): { status: number; error?: string } {
    const problems = checkInteractionResponse(body);
    if (problems.length > 0) {
      violations.push(...problems.map((p) => `interaction response: ${p}`));
      return { status: 400, error: problems.join('; ') };
    }
    if (it.response) {
      violations.push(`interaction ${it.id} was answered twice`);
      return { status: 400, error: 'Interaction has already been acknowledged.' };
    }
    const b = body as Json;
    const data = (b.data ?? {}) as Json;
    it.response = b;
    switch (b.type) {
      case 4:
        it.original = createMessage(it.channelId, data, { interactionUser: it.user }).id;
        break;
      case 5:
        it.original = createMessage(
          it.channelId,
          { ...data, content: '' },
          { interactionUser: it.user, deferred: true },
        ).id;
        break;
      case 6:
      case 7: {
        if (!it.sourceMessage) {
          violations.push(`interaction ${it.id}: type ${String(b.type)} needs a component's message`);
          return { status: 400, error: 'Invalid interaction response type' };
        }
        it.original = it.sourceMessage;
        const m = messages.get(it.sourceMessage);
        if (b.type === 7 && m) editMessage(m, data);
        break;
      }
      case 9:
        if (it.type === 5) {
          violations.push(`interaction ${it.id}: a modal can't answer a modal submit`);
          return { status: 400, error: 'Invalid interaction response type' };
        }
        it.modal = data;
        break;
    }
    return { status: 204 };
  }

  async function originalOf(it: FakeInteraction): Promise<FakeMessage | undefined> {
    // Discord processes an HTTP reply on its side; a follow-up racing it waits, as there.
    for (let i = 0; i < 50 && !it.original; i++) await new Promise((r) => setTimeout(r, 20));
    return it.original ? messages.get(it.original) : undefined;
  }

  async function handle(
    req: IncomingMessage,
    _res: ServerResponse,
    body: unknown,
    fileProblems: string[],
  ): Promise<{ status: number; body?: unknown }> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/api\/v10/, '');
    const method = req.method ?? 'GET';
    const problems = [...checkRestCall(method, path, body), ...fileProblems];
    if (problems.length > 0) {
      violations.push(
        ...problems.map(
          (p) => `${method} ${path.replace(/\/webhooks\/(\d+)\/[^/]+/, '/webhooks/$1/<token>')}: ${p}`,
        ),
      );
      return { status: 400, body: { code: 50035, message: 'Invalid Form Body', errors: problems } };
    }
    const delay = method === 'PATCH' ? editDelays.shift() : undefined;
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const refusal = refusals.findIndex((match) => match(method, path, body));
    if (refusal >= 0) {
      refusals.splice(refusal, 1);
      return { status: 403, body: { code: 50001, message: 'Missing Access' } };
    }
    const needsBot = !/^\/(interactions|webhooks)\//.test(path);
    if (needsBot && req.headers.authorization !== `Bot ${botToken}`)
      return { status: 401, body: { code: 0, message: '401: Unauthorized' } };
    if (!needsBot && req.headers.authorization)
      violations.push(
        `${method} ${path.split('/').slice(0, 3).join('/')}: interaction routes take no bot token`,
      );
    const on = (verb: string | string[], re: RegExp) =>
      (Array.isArray(verb) ? verb.includes(method) : verb === method) ? re.exec(path) : null;
    const callback = on('POST', /^\/interactions\/([^/]+)\/([^/]+)\/callback$/);
    if (callback) {
      const m = callback;
      const it = interactions.get(decodeURIComponent(m[2] as string));
      if (!it || it.id !== m[1])
        return { status: 404, body: { code: 10062, message: 'Unknown interaction' } };
      const r = applyResponse(it, body);
      return r.error ? { status: r.status, body: { code: 40060, message: r.error } } : { status: 204 };
    }
    const followUp = on('POST', /^\/webhooks\/([^/]+)\/([^/]+)$/);
    if (followUp) {
      const m = followUp;
      const it = interactions.get(decodeURIComponent(m[2] as string));
      if (!it || m[1] !== applicationId)
        return { status: 404, body: { code: 10015, message: 'Unknown Webhook' } };
      if (!it.response) return { status: 404, body: { code: 10015, message: 'Unknown Webhook' } };
      const msg = createMessage(it.channelId, body as Json, {
        interactionUser: it.user,
        viaInteraction: it.id,
      });
      return { status: 200, body: toJson(msg) };
    }
    const webhookMessage = on(['PATCH', 'GET'], /^\/webhooks\/([^/]+)\/([^/]+)\/messages\/([^/]+)$/);
    if (webhookMessage) {
      const m = webhookMessage;
      const it = interactions.get(decodeURIComponent(m[2] as string));
      if (!it || m[1] !== applicationId)
        return { status: 404, body: { code: 10015, message: 'Unknown Webhook' } };
      const target = decodeURIComponent(m[3] as string);
      const msg = target === '@original' ? await originalOf(it) : messages.get(target);
      if (!msg) return { status: 404, body: { code: 10008, message: 'Unknown Message' } };
      if (method === 'PATCH') editMessage(msg, body as Json);
      return { status: 200, body: toJson(msg) };
    }
    const create = on('POST', /^\/channels\/([^/]+)\/messages$/);
    if (create) {
      const m = create;
      const channelId = m[1] as string;
      if (!channels.has(channelId)) return { status: 404, body: { code: 10003, message: 'Unknown Channel' } };
      const ref = (body as Json).message_reference as Json | undefined;
      return {
        status: 200,
        body: toJson(createMessage(channelId, body as Json, ref ? { replyTo: String(ref.message_id) } : {})),
      };
    }
    const edit = on('PATCH', /^\/channels\/([^/]+)\/messages\/([^/]+)$/);
    if (edit) {
      const m = edit;
      const msg = messages.get(m[2] as string);
      if (!msg || msg.channelId !== m[1] || msg.ephemeral)
        return { status: 404, body: { code: 10008, message: 'Unknown Message' } };
      editMessage(msg, body as Json);
      return { status: 200, body: toJson(msg) };
    }
    const startThread = on('POST', /^\/channels\/([^/]+)\/messages\/([^/]+)\/threads$/);
    if (startThread) {
      const m = startThread;
      const parent = channels.get(m[1] as string);
      if (!parent || parent.type === THREAD || !parent.guildId)
        return { status: 400, body: { code: 50024, message: 'Cannot execute action on this channel type' } };
      const thread: FakeChannel = {
        id: snowflake(),
        type: THREAD,
        guildId: parent.guildId,
        parentId: parent.id,
      };
      channels.set(thread.id, thread);
      return {
        status: 201,
        body: {
          id: thread.id,
          type: THREAD,
          guild_id: parent.guildId,
          parent_id: parent.id,
          name: (body as Json).name,
        },
      };
    }
    if (/^\/channels\/[^/]+\/typing$/.test(path) && method === 'POST') return { status: 204 };
    if (path === '/gateway/bot' && method === 'GET' && gatewayUrl)
      return {
        status: 200,
        body: {
          url: gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
        },
      };
    if (/^\/applications\/[^/]+(\/guilds\/[^/]+)?\/commands$/.test(path) && method === 'PUT') {
      commands.splice(0, commands.length, ...(body as unknown[]));
      return {
        status: 200,
        body: (body as Json[]).map((c) => ({
          ...c,
          id: snowflake(),
          application_id: applicationId,
          version: '1',
        })),
      };
    }
    return { status: 404, body: { code: 0, message: `404: Not Found (${method} ${path})` } };
  }

  // OAuth2 with the `identify` scope (authorize page auto-approving one user, token, users/@me).
  const clientSecret = `fake-client-secret-${randomBytes(6).toString('hex')}`;
  let oauthBrowser: string | undefined;
  const oauthCodes = new Map<string, { user: string; redirectUri: string }>();
  const oauthTokens = new Map<string, string>();
  function oauth(req: IncomingMessage, res: ServerResponse, raw: string): boolean {
    const url = new URL(req.url ?? '/', 'http://fake');
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && url.pathname === '/oauth2/authorize') {
      const q = url.searchParams;
      const redirect = q.get('redirect_uri') ?? '';
      if (
        q.get('client_id') !== applicationId ||
        q.get('response_type') !== 'code' ||
        !(q.get('scope') ?? '').split(' ').includes('identify') ||
        !/^https?:\/\//.test(redirect)
      ) {
        violations.push(`GET /oauth2/authorize: bad request ${q.toString().slice(0, 80)}`);
        json(400, { error: 'invalid_request' });
        return true;
      }
      const target = new URL(redirect);
      if (q.get('state')) target.searchParams.set('state', q.get('state') as string);
      if (!oauthBrowser) target.searchParams.set('error', 'access_denied');
      else {
        const code = randomBytes(8).toString('hex');
        oauthCodes.set(code, { user: userId(oauthBrowser), redirectUri: redirect });
        target.searchParams.set('code', code);
      }
      res.writeHead(302, { location: target.href }).end();
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/api/oauth2/token') {
      const form = new URLSearchParams(raw);
      const grant = oauthCodes.get(form.get('code') ?? '');
      oauthCodes.delete(form.get('code') ?? '');
      if (form.get('client_id') !== applicationId || form.get('client_secret') !== clientSecret)
        json(401, { error: 'invalid_client' });
      else if (
        form.get('grant_type') !== 'authorization_code' ||
        !grant ||
        grant.redirectUri !== form.get('redirect_uri')
      )
        json(400, { error: 'invalid_grant' });
      else {
        const token = randomBytes(12).toString('hex');
        oauthTokens.set(token, grant.user);
        json(200, { access_token: token, token_type: 'Bearer', expires_in: 604800, scope: 'identify' });
      }
      return true;
    }
    if (
      req.method === 'GET' &&
      url.pathname === '/api/v10/users/@me' &&
      req.headers.authorization?.startsWith('Bearer ')
    ) {
      const user = oauthTokens.get(req.headers.authorization.slice(7));
      if (user) json(200, { id: user, username: `user-${user}` });
      else json(401, { code: 0, message: '401: Unauthorized' });
      return true;
    }
    return false;
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      if (oauth(req, res, bytes.toString())) return;
      const type = req.headers['content-type'] ?? '';
      let requestBody: unknown;
      const parsed = type.startsWith('multipart/form-data')
        ? readMultipart(bytes, type)
        : Promise.resolve({
            body: bytes.length ? (JSON.parse(bytes.toString()) as Json) : undefined,
            problems: [],
          });
      parsed
        .then((p) => {
          requestBody = p.body;
          return handle(req, res, p.body, p.problems);
        })
        .catch((err: unknown) => ({ status: 500, body: { message: String(err) } }))
        .then(({ status, body }) => {
          calls.push({
            method: req.method ?? '',
            path: (req.url ?? '')
              .replace(/\/webhooks\/(\d+)\/[^/?]+/, '/webhooks/$1/<token>')
              .replace(/\/interactions\/(\d+)\/[^/]+/, '/interactions/$1/<token>'),
            body: requestBody,
            auth: req.headers.authorization,
            status,
          });
          if (body === undefined) res.writeHead(status).end();
          else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;

  function interaction(
    type: number,
    user: string,
    channel: FakeChannel,
    data: Json | undefined,
    sourceMessage?: FakeMessage,
  ): Json {
    const id = snowflake();
    const token = `itok-${randomBytes(12).toString('base64url')}`;
    interactions.set(token, {
      id,
      token,
      type,
      user,
      channelId: channel.id,
      ...(sourceMessage && { sourceMessage: sourceMessage.id }),
    });
    const who = channel.guildId
      ? {
          guild_id: channel.guildId,
          member: {
            user: userObj(user),
            roles: [],
            joined_at: new Date().toISOString(),
            deaf: false,
            mute: false,
            flags: 0,
            permissions: '0',
          },
        }
      : { user: userObj(user) };
    return {
      id,
      application_id: applicationId,
      type,
      token,
      version: 1,
      ...(data && { data }),
      channel_id: channel.id,
      channel: {
        id: channel.id,
        type: channel.type,
        ...(channel.parentId && { parent_id: channel.parentId }),
      },
      ...who,
      ...(sourceMessage && { message: toJson(sourceMessage) }),
      app_permissions: '0',
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: {},
      context: channel.guildId ? 0 : 1,
      attachment_size_limit: 8_388_608,
    };
  }

  const itOf = (payload: Json) => interactions.get(String(payload.token));

  return {
    api,
    clientSecret,
    signInBrowserAs(user) {
      oauthBrowser = user;
    },
    applicationId,
    botToken,
    botUserId,
    calls,
    violations,
    messages,
    channels,
    commands,
    userId,
    delayEdits(delaysMs) {
      editDelays.push(...delaysMs);
    },
    refuseNext(match) {
      refusals.push(match);
    },
    guildChannel(guildId = snowflake()) {
      const ch: FakeChannel = { id: snowflake(), type: 0, guildId };
      channels.set(ch.id, ch);
      return ch;
    },
    dmChannel(_user) {
      const ch: FakeChannel = { id: snowflake(), type: 1 };
      channels.set(ch.id, ch);
      return ch;
    },
    message(user, channel, content, opts = {}) {
      const mention = opts.mention ?? Boolean(channel.guildId);
      return {
        id: snowflake(),
        channel_id: channel.id,
        ...(channel.guildId && { guild_id: channel.guildId }),
        author: userObj(user),
        content: mention ? `<@${botUserId}> ${content}` : content,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        tts: false,
        mention_everyone: false,
        mentions: mention
          ? [
              {
                id: botUserId,
                username: 'parley',
                discriminator: '0',
                avatar: null,
                global_name: null,
                bot: true,
              },
            ]
          : [],
        mention_roles: [],
        attachments: [],
        embeds: [],
        pinned: false,
        type: 0,
      };
    },
    slashCommand(user, channel, name, options = {}) {
      return interaction(2, user, channel, {
        id: snowflake(),
        name,
        type: 1,
        options: Object.entries(options).map(([n, value]) => ({ name: n, type: 3, value })),
      });
    },
    messageCommand(user, channel, name, target) {
      const message = {
        id: target.id,
        channel_id: channel.id,
        content: target.content,
        author: userObj(target.author),
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        attachments: [],
        embeds: [],
        mentions: [],
        type: 0,
      };
      return interaction(2, user, channel, {
        id: snowflake(),
        name,
        type: 3,
        target_id: target.id,
        resolved: { messages: { [target.id]: message } },
      });
    },
    autocomplete(user, channel, name, options, focused) {
      return interaction(4, user, channel, {
        id: snowflake(),
        name,
        type: 1,
        options: Object.entries(options).map(([n, value]) => ({
          name: n,
          type: 3,
          value,
          ...(n === focused && { focused: true }),
        })),
      });
    },
    click(user, message, customId) {
      const ch = channels.get(message.channelId) as FakeChannel;
      return interaction(3, user, ch, { custom_id: customId, component_type: 2 }, message);
    },
    submitModal(user, opener, values) {
      const it = itOf(opener);
      const modal = it?.modal;
      if (!it || !modal) throw new Error('That interaction was not answered with a modal.');
      const components = (modal.components as Json[]).map((top) => {
        const inner = top.component as Json;
        const id = String(inner.custom_id);
        // What the person leaves untouched is submitted as shown: pre-filled text, default options.
        const defaults = Array.isArray(inner.options)
          ? (inner.options as Json[]).filter((o) => o.default === true).map((o) => String(o.value))
          : [];
        const shown =
          inner.type === 4
            ? inner.value
            : inner.type === 23
              ? inner.default === true
              : inner.type === 21
                ? (defaults[0] ?? null)
                : defaults;
        const v = id in values ? values[id] : (shown as string | string[] | boolean | null | undefined);
        let component: Json;
        switch (inner.type) {
          case 4:
            component = { type: 4, custom_id: id, value: typeof v === 'string' ? v : '' };
            break;
          case 21:
            component = { type: 21, custom_id: id, value: typeof v === 'string' ? v : null };
            break;
          case 23:
            component = { type: 23, custom_id: id, value: v === true };
            break;
          default:
            component = {
              type: inner.type,
              custom_id: id,
              values: Array.isArray(v) ? v : typeof v === 'string' && v ? [v] : [],
            };
        }
        return { type: 18, id: top.id ?? 0, component };
      });
      const ch = channels.get(it.channelId) as FakeChannel;
      const source = it.sourceMessage ? messages.get(it.sourceMessage) : undefined;
      return interaction(5, user, ch, { custom_id: String(modal.custom_id), components }, source);
    },
    response(payload) {
      const it = itOf(payload);
      return it?.response ? { ...it.response, ...(it.modal && { data: it.modal }) } : undefined;
    },
    original(payload) {
      const it = itOf(payload);
      return it?.original ? messages.get(it.original) : undefined;
    },
    applyResponse(payload, body) {
      const it = itOf(payload);
      if (!it) throw new Error('Unknown interaction.');
      applyResponse(it, body);
    },
    visibleTo(user, chans) {
      const inScope = (channelId: string) => {
        const ch = channels.get(channelId);
        return chans.includes(channelId) || (ch?.parentId !== undefined && chans.includes(ch.parentId));
      };
      return order
        .map((id) => messages.get(id) as FakeMessage)
        .filter((m) => inScope(m.channelId) && (!m.ephemeral || m.interactionUser === user));
    },
    followUpsOf(payload) {
      const it = itOf(payload);
      if (!it) return [];
      return order.map((id) => messages.get(id) as FakeMessage).filter((m) => m.viaInteraction === it.id);
    },
    setGateway(url) {
      gatewayUrl = url;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
