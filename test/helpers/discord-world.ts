/**
 * Parley's Discord adapter wired to the fake Discord for tests: a real discord.js `Client` that
 * never logs in (its REST client points at the fake through `rest.api` and `makeRequest: fetch`),
 * the real agent, and Parley's real HTTP server with the interactions endpoint. Payloads reach
 * the adapter the way Discord delivers them — as gateway dispatches on the client's WebSocket
 * manager, or as signed POSTs to /discord/interactions — and the person's side (clicking,
 * filling modals page by page) is played against what the fake shows them.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { Client, GatewayDispatchEvents } from 'discord.js';
import { expect } from 'vitest';
import { createDiscordAdapter, type DiscordAdapter } from '../../adapters/discord/index.js';
import { Agent } from '../../src/agent.js';
import { SecretBox } from '../../src/auth/crypto.js';
import { mountSignInRoutes } from '../../src/auth/routes.js';
import { SignInService } from '../../src/auth/signin.js';
import type { ServerConfig } from '../../src/config.js';
import { ParleyHttpServer } from '../../src/http.js';
import type { Llm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import type { Store } from '../../src/store/index.js';
import { type FakeChannel, type FakeDiscord, type FakeMessage, startFakeDiscord } from './fake-discord.js';
import { freePort } from './redis-process.js';
import { testSealer } from './sealer.js';

type Json = Record<string, unknown>;

export type Transport = 'gateway' | 'http';

export interface DiscordWorldOptions {
  servers: ServerConfig[];
  store: Store;
  llm?: Llm | undefined;
  /** How interactions reach the adapter (messages always come over the gateway). */
  transport: Transport;
  /** Turns on the core's sign-in (OAuth per person) with this secret, callback on this server. */
  signInSecret?: string;
}

export interface ModalResult {
  ok: boolean;
  /** Field errors from the ephemeral "Some answers need fixing" message, by custom_id. */
  errors?: Record<string, string>;
  /** Any other ephemeral answer (not yours, already answered, expired). */
  message?: string;
  /** The modals the person saw, page by page. */
  modals: Json[];
}

export interface DiscordWorld {
  fake: FakeDiscord;
  adapter: DiscordAdapter;
  agent: Agent;
  client: Client;
  http: ParleyHttpServer;
  baseUrl: string;
  /** Signs like Discord does with the application's key (for endpoint tests); `at` is when (ms). */
  signedPost(body: string, opts?: { badSignature?: boolean; at?: number }): Promise<Response>;
  /** Delivers a person's action and waits until the adapter has handled it. */
  deliver(payload: Json): Promise<void>;
  /** A gateway MESSAGE_CREATE. */
  say(user: string, channel: FakeChannel, text: string, opts?: { mention?: boolean }): Promise<void>;
  command(user: string, channel: FakeChannel, name: string, options?: Record<string, string>): Promise<Json>;
  /** Clicks the button labelled `label` (or whose label starts with it) on `message`. */
  click(user: string, message: FakeMessage, label: string | RegExp): Promise<Json>;
  /** Opens the form on `message` and submits every page with `values` (by input custom_id). */
  fillForm(
    user: string,
    message: FakeMessage,
    values: Record<string, string | string[] | boolean | null>,
    opener?: string | RegExp,
  ): Promise<ModalResult>;
  /** Waits for a message `user` can see in `channels` matching `pred`. */
  waitForMessage(
    user: string,
    channels: string[],
    pred: (m: FakeMessage) => boolean,
    nth?: number,
  ): Promise<FakeMessage>;
  close(): Promise<void>;
}

/** The buttons a message shows now, or (`shown`) the ones it was first shown with. */
export function buttons(m: FakeMessage, which: 'now' | 'shown' = 'now'): Json[] {
  const rows = which === 'now' ? m.components : m.shownComponents;
  return rows.flatMap((row) => (Array.isArray(row.components) ? (row.components as Json[]) : []));
}

/** What a button says: its label, or its emoji (👍/👎 have no label). */
const labelOf = (b: Json): string => String(b.label ?? (b.emoji as Json | undefined)?.name ?? '');

export function buttonLabels(m: FakeMessage, which: 'now' | 'shown' = 'now'): string[] {
  return buttons(m, which).map(labelOf);
}

/** The custom_id of the button labelled `label` (or starting with it) that `m` was shown with. */
export function buttonId(m: FakeMessage, label: string | RegExp): string {
  const b = buttons(m, 'shown').find((x) =>
    typeof label === 'string' ? labelOf(x).startsWith(label) : label.test(labelOf(x)),
  );
  if (!b || typeof b.custom_id !== 'string')
    throw new Error(
      `No "${String(label)}" button on the message; it has: ${buttonLabels(m, 'shown').join(', ')}`,
    );
  return b.custom_id;
}

/** The input custom_ids and labels of a modal, in order. */
export function modalInputs(
  modal: Json,
): Array<{ id: string; label: string; type: number; options: string[] }> {
  return (modal.components as Json[]).map((top) => {
    const inner = top.component as Json;
    return {
      id: String(inner.custom_id),
      label: String(top.label),
      type: Number(inner.type),
      options: Array.isArray(inner.options) ? (inner.options as Json[]).map((o) => String(o.value)) : [],
    };
  });
}

export async function startDiscordWorld(options: DiscordWorldOptions): Promise<DiscordWorld> {
  const fake = await startFakeDiscord();
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyHex = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString(
    'hex',
  );
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logger = silentLogger();
  const sealer = options.signInSecret ? new SecretBox(options.signInSecret) : testSealer();
  const http = new ParleyHttpServer({ store: options.store, logger, publicBaseUrl: baseUrl, sealer });
  const signIn = options.signInSecret
    ? new SignInService({
        store: options.store,
        box: sealer,
        servers: options.servers,
        publicBaseUrl: baseUrl,
        logger,
      })
    : undefined;
  const agent = new Agent({
    store: options.store,
    servers: options.servers,
    logger,
    llm: options.llm,
    signIn,
    sealer,
  });
  if (signIn) mountSignInRoutes(http.app, { signIn, agent, logger });
  // A real client that never logs in: its REST calls go to the fake, and dispatches are injected.
  const client = new Client({ intents: [], rest: { api: fake.api, makeRequest: fetch, retries: 0 } });
  const adapter = createDiscordAdapter({
    agent,
    store: options.store,
    sealer,
    logger,
    applicationId: fake.applicationId,
    token: fake.botToken,
    publicKey: publicKeyHex,
    http,
    client,
  });
  await agent.start();
  await adapter.start();
  await http.listen(port, '127.0.0.1');

  const signedPost = (body: string, opts: { badSignature?: boolean; at?: number } = {}) =>
    postSigned(baseUrl, privateKey, body, opts.badSignature ?? false, opts.at ?? Date.now());

  async function deliver(payload: Json): Promise<void> {
    // Messages only ever come over the gateway; interactions over the transport under test.
    const isMessage = 'author' in payload;
    if (options.transport === 'gateway' || isMessage) {
      const event = isMessage ? GatewayDispatchEvents.MessageCreate : GatewayDispatchEvents.InteractionCreate;
      // What discord.js's WebSocketManager does with a dispatch from a shard.
      client.ws.emit(event, payload, 0);
    } else {
      const res = await signedPost(JSON.stringify(payload));
      expect(res.status, await res.clone().text()).toBe(200);
      fake.applyResponse(payload, await res.json());
    }
    await adapter.settled();
  }

  async function waitForMessage(
    user: string,
    channels: string[],
    pred: (m: FakeMessage) => boolean,
    nth = 1,
  ) {
    const list = () => fake.visibleTo(user, channels).filter(pred);
    await expect.poll(() => list().length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(nth);
    return list()[nth - 1] as FakeMessage;
  }

  async function click(user: string, message: FakeMessage, label: string | RegExp): Promise<Json> {
    // A button clicked as it was shown: a stale client (or a replay) can still send a removed one.
    const payload = fake.click(user, message, buttonId(message, label));
    await deliver(payload);
    return payload;
  }

  async function fillForm(
    user: string,
    message: FakeMessage,
    values: Record<string, string | string[] | boolean | null>,
    openerLabel: string | RegExp = /^(Fill in|Fix|Continue)/,
  ): Promise<ModalResult> {
    const modals: Json[] = [];
    let opener = await click(user, message, openerLabel);
    for (let pages = 0; pages < 20; pages++) {
      const response = fake.response(opener);
      if (response?.type !== 9) {
        const data = (response?.data ?? {}) as Json;
        return { ok: false, message: String(data.content ?? ''), modals };
      }
      const modal = response.data as Json;
      modals.push(modal);
      const submit = fake.submitModal(user, opener, pickValues(modal, values));
      await deliver(submit);
      const followUps = fake.followUpsOf(submit);
      const next = followUps.find((m) => buttonLabels(m).some((l) => l.startsWith('Continue')));
      if (next) {
        opener = await click(user, next, 'Continue');
        continue;
      }
      const fix = followUps.find((m) => m.content.startsWith('⚠️ Some answers need fixing'));
      if (fix) return { ok: false, errors: parseErrors(fix.content, modals), modals };
      const other = followUps.find((m) => m.ephemeral);
      if (other) return { ok: false, message: other.content, modals };
      return { ok: true, modals };
    }
    throw new Error('The form never ended.');
  }

  return {
    fake,
    adapter,
    agent,
    client,
    http,
    baseUrl,
    signedPost,
    deliver,
    async say(user, channel, text, opts) {
      await deliver(fake.message(user, channel, text, opts));
    },
    async command(user, channel, name, opts) {
      const payload = fake.slashCommand(user, channel, name, opts);
      await deliver(payload);
      return payload;
    },
    click,
    fillForm,
    waitForMessage,
    async close() {
      await agent.whenIdle();
      await adapter.stop();
      await agent.stop();
      await http.close();
      await client.destroy();
      await fake.close();
    },
  };
}

function pickValues(modal: Json, values: Record<string, string | string[] | boolean | null>) {
  // No prototype: an input named "__proto__" is an answer like any other.
  const out: Record<string, string | string[] | boolean | null> = Object.create(null);
  for (const input of modalInputs(modal)) {
    const v = Object.hasOwn(values, input.id) ? values[input.id] : undefined;
    if (v === undefined) continue;
    // People answer a checkbox as 'true'/'false' in the contract's terms; a radio Yes/No likewise.
    if (input.type === 23) out[input.id] = v === true || v === 'true';
    else if (input.type === 21 && (v === 'true' || v === 'false') && input.options.includes('yes'))
      out[input.id] = v === 'true' ? 'yes' : 'no';
    else if (input.type === 22 || input.type === 3)
      out[input.id] = Array.isArray(v)
        ? v
        : typeof v === 'string' && v
          ? v.split(',').map((s) => s.trim())
          : [];
    else out[input.id] = v;
  }
  return out;
}

/** "• **Label**: error" lines back to custom_ids, through the labels of the modals seen. */
function parseErrors(content: string, modals: Json[]): Record<string, string> {
  const byLabel = new Map<string, string>();
  for (const modal of modals) for (const i of modalInputs(modal)) byLabel.set(i.label, i.id);
  const errors: Record<string, string> = Object.create(null);
  for (const m of content.matchAll(/^• \*\*(.+?)\*\*: (.+)$/gm)) {
    const label = m[1] as string;
    errors[byLabel.get(label) ?? label] = m[2] as string;
  }
  return errors;
}

/** POSTs `body` to `${baseUrl}/discord/interactions` signed as Discord does (Ed25519 over timestamp + body). */
export async function postSigned(
  baseUrl: string,
  key: KeyObject,
  body: string,
  bad: boolean,
  at: number,
): Promise<Response> {
  const timestamp = String(Math.floor(at / 1000));
  const signature = sign(null, Buffer.from(timestamp + body), key).toString('hex');
  return fetch(`${baseUrl}/discord/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-signature-ed25519': bad ? signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) : signature,
      'x-signature-timestamp': timestamp,
    },
    body,
  });
}
