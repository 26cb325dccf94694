/**
 * Issue 10 §4, last paragraph: nothing usable is kept in clear in the store. Parley runs as
 * deployed — the composition root (`startParley`) with Slack (Socket Mode), Discord (the HTTP
 * interactions endpoint), a real Redis of its own and the demo auth and MCP servers — and people
 * do what leaves secrets behind: a slash command (its response_url), a click on an ephemeral
 * message (the click's response_url), a Discord command answered through a deferred reply (its
 * interaction token), sign-ins started (pending links, start links, `state`, the authorization URL
 * with its PKCE challenge, the binding cookie) and a short link. Then every key and value of every
 * type in the Redis database is read back: none may hold any of them.
 *
 * The same deployment then rotates PARLEY_SECRET: a process with the new secret and the old one
 * as PARLEY_SECRET_PREVIOUS finishes what the old one started (the sign-ins, their pending links,
 * the Discord reply through its stored token, the Slack reply through its stored response_url). A
 * changed sealed record is refused with a sentence, and Parley goes on.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningParley, startParley } from '../../adapters/main/parley.js';
import { ACTION } from '../../adapters/slack/messages.js';
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { type CookieJar, followSignInLink } from '../../src/auth/index.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { UNREADABLE_SENTENCE } from '../../src/store/index.js';
import { type DemoMcp, startDemoMcp } from '../helpers/demo.js';
import { postSigned } from '../helpers/discord-world.js';
import {
  type FakeMessage as DiscordMessage,
  type FakeDiscord,
  startFakeDiscord,
} from '../helpers/fake-discord.js';
import { FakeSlack, type FakeMessage as SlackMessage } from '../helpers/fake-slack.js';
import { freePort, type RedisProcess, startRedisProcess } from '../helpers/redis-process.js';

const OLD_SECRET = 'the-secret-before-rotation-0123456789';
const NEW_SECRET = 'the-secret-after-rotation-9876543210';
const PREFIX = 'parley:';

type Obj = Record<string, unknown>;

let redis: RedisProcess;
let slack: FakeSlack;
let discord: FakeDiscord;
let auth: AuthMock;
let mcp: DemoMcp;
let discordKey: { publicHex: string; privateKey: KeyObject };
let port: number;
let configPath: string;
let parley: RunningParley | undefined;
const logLines: string[] = [];

/** One Parley process as deployed, on the fixed port every one of them is reached at. */
async function deploy(secrets: { secret: string; previous?: string }): Promise<RunningParley> {
  const logger = createLogger({
    level: 'warn',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  });
  const running = await startParley({
    env: {
      PARLEY_CONFIG: configPath,
      REDIS_URL: redis.url,
      PARLEY_SECRET: secrets.secret,
      ...(secrets.previous && { PARLEY_SECRET_PREVIOUS: secrets.previous }),
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.apiUrl,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_PUBLIC_KEY: discordKey.publicHex,
      DISCORD_API_URL: discord.api,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_BASE_URL: base(),
    },
    input: new PassThrough(),
    output: new Writable({ write: (_c, _e, done) => done() }),
    logger,
  });
  // Ready: the store answers and Slack's socket is connected (a loop: beforeAll has no expect.poll).
  for (let tries = 0; (await fetch(`${base()}/readyz`)).status !== 200; tries++) {
    if (tries > 100) throw new Error('Parley never became ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return running;
}

const base = () => `http://127.0.0.1:${port}`;

beforeAll(async () => {
  redis = await startRedisProcess();
  slack = await FakeSlack.start();
  discord = await startFakeDiscord();
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  discordKey = {
    publicHex: Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex'),
    privateKey,
  };
  auth = await startAuthMock({ port: 0, autoApprove: 'alice', resources: [], logger: silentLogger() });
  mcp = await startDemoMcp({ authIssuer: auth.url, logger: silentLogger() });
  auth.setResources([mcp.url]);
  port = await freePort();
  configPath = join(mkdtempSync(join(tmpdir(), 'parley-at-rest-')), 'parley.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      servers: [{ name: 'demo', title: 'Parley demo', url: mcp.url, auth: { type: 'oauth' } }],
    }),
  );
  parley = await deploy({ secret: OLD_SECRET });
});

afterAll(async () => {
  await parley?.stop();
  await mcp?.close();
  await auth?.close();
  await discord?.close();
  await slack?.close();
  await redis?.stop();
});

// ───────────────────────────── what people do ─────────────────────────────

/** The Slack element with `actionId` on `m`. */
function slackElement(m: SlackMessage, actionId: string): Obj | undefined {
  for (const block of m.blocks)
    for (const el of (block.elements as Obj[] | undefined) ?? []) if (el.action_id === actionId) return el;
  return undefined;
}

async function slackLinkFor(user: string, channel: string): Promise<SlackMessage> {
  const find = () =>
    slack.visibleTo(user, (m) => m.channel === channel && slackElement(m, ACTION.linkOpen) !== undefined);
  await expect.poll(() => find().length, { timeout: 15_000 }).toBeGreaterThan(0);
  return find()[0] as SlackMessage;
}

/** A Discord interaction, delivered to the HTTP endpoint signed as Discord signs it. */
async function discordDeliver(payload: Obj): Promise<void> {
  const res = await postSigned(base(), discordKey.privateKey, JSON.stringify(payload), false, Date.now());
  expect(res.status, await res.clone().text()).toBe(200);
  discord.applyResponse(payload, await res.json());
}

const discordLink = (m: DiscordMessage) =>
  String(
    m.components
      .flatMap((row) => (Array.isArray(row.components) ? (row.components as Obj[]) : []))
      .find((b) => b.style === 5)?.url ?? '',
  );

async function discordLinkFor(user: string, channel: string): Promise<DiscordMessage> {
  const find = () => discord.visibleTo(user, [channel]).filter((m) => discordLink(m) !== '');
  await expect.poll(() => find().length, { timeout: 15_000 }).toBeGreaterThan(0);
  return find()[0] as DiscordMessage;
}

// ───────────────────────────── reading the store ─────────────────────────────

interface Entry {
  key: string;
  type: string;
  values: string[];
}

/** Every key in the database with every value it holds, whatever its type. */
async function dumpRedis(): Promise<Entry[]> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 2 });
  const out: Entry[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const type = await client.type(key);
        let values: string[];
        if (type === 'string') values = [(await client.get(key)) ?? ''];
        else if (type === 'hash') values = Object.entries(await client.hgetall(key)).flat();
        else if (type === 'list') values = await client.lrange(key, 0, -1);
        else if (type === 'set') values = await client.smembers(key);
        else if (type === 'zset') values = await client.zrange(key, 0, -1);
        else if (type === 'stream')
          values = (await client.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
        else if (type === 'none')
          continue; // expired between SCAN and TYPE
        else throw new Error(`a key of a type this test doesn't read: ${key} (${type})`);
        out.push({ key, type, values });
      }
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return out;
}

/** The entries holding `secret` in clear (as is, or URL-encoded), in their key or any value. */
function holding(entries: Entry[], secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret)];
  return entries
    .filter((e) => [e.key, ...e.values].some((v) => forms.some((f) => v.includes(f))))
    .map((e) => `${e.key} (${e.type})`);
}

// ───────────────────────────── the tests ─────────────────────────────

describe('nothing usable is stored in clear', () => {
  /** Set by the first test for the rotation test: sign-ins left open under the old secret. */
  const open: { discordStart?: string; discordChannel?: string; discordOffer?: string } = {};

  it('after slash commands, clicks, deferred replies, sign-in starts and a short link, no key or value holds any of them', async () => {
    const secrets: Record<string, string> = {};

    // Slack: a slash command in a channel; the sign-in link comes ephemerally; the person clicks it.
    const command = await slack.command('UANN', 'CGENERAL', 'login demo');
    secrets['slash command response_url'] = command.responseUrl;
    const offer = await slackLinkFor('UANN', 'CGENERAL');
    const open1 = slackElement(offer, ACTION.linkOpen) as Obj;
    const slackStart = String(open1.url);
    expect(slackStart).toMatch(new RegExp(`^${base()}/oauth/start/[\\w-]{20,}$`));
    secrets['Slack sign-in start link'] = slackStart;
    secrets['Slack start link id'] = slackStart.split('/').pop() as string;
    const urlKey = `${PREFIX}slack:msg:${String(open1.value)}:url`;
    const click = await slack.click('UANN', offer, ACTION.linkOpen);
    secrets['ephemeral click response_url'] = click.responseUrl;
    // The click's response_url is noted for the message (the only way to rewrite it later).
    await expect.poll(() => readKey(urlKey), { timeout: 5_000 }).not.toBeNull();

    // The browser opens the start link: the flow is claimed, and sent on to the authorization URL.
    const jar: CookieJar = new Map();
    const atAuth = await followSignInLink(slackStart, { jar, stopAt: `${auth.url}/` });
    expect(atAuth.stopped).toBe(true);
    const authUrl = new URL(atAuth.url);
    secrets['authorization URL'] = authUrl.href;
    secrets.state = authUrl.searchParams.get('state') as string;
    secrets['PKCE challenge'] = authUrl.searchParams.get('code_challenge') as string;
    secrets['binding cookie'] = [...(jar.get(`127.0.0.1:${port}`) ?? new Map()).values()][0] as string;

    // Discord: a slash command; the deferred reply's webhook (its token) carries the link privately.
    const channel = discord.guildChannel();
    const payload = discord.slashCommand('dora', channel, 'call', { tool: 'demo__whoami' });
    await discordDeliver(payload);
    secrets['Discord interaction token'] = String(payload.token);
    const dOffer = await discordLinkFor('dora', channel.id);
    const discordStart = discordLink(dOffer);
    expect(discordStart).toMatch(/\/oauth\/start\/[\w-]{20,}$/);
    secrets['Discord sign-in start link'] = discordStart;
    secrets['Discord start link id'] = discordStart.split('/').pop() as string;

    // A short link (what a link too long for a button becomes) to that start link.
    const short = await (parley as RunningParley).http.shortLink(discordStart, 60_000);
    secrets['short link'] = short;
    secrets['short link id'] = short.split('/').pop() as string;
    const redirect = await fetch(short, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(discordStart);

    for (const [what, value] of Object.entries(secrets))
      expect(value?.length ?? 0, `${what} was captured`).toBeGreaterThan(15);

    const entries = await dumpRedis();
    // The records are there (sealed): pending links, the flows, the routes, the response URLs.
    const keys = entries.map((e) => e.key);
    for (const part of [
      'pending:',
      'oauth:',
      'slack:msg:',
      'slack:resp:',
      'discord:route:',
      'discord:msgs:',
      'link:',
    ])
      expect(
        keys.some((k) => k.startsWith(`${PREFIX}${part}`)),
        `a ${part} record`,
      ).toBe(true);
    const found = Object.fromEntries(
      Object.entries(secrets).map(([what, value]) => [what, holding(entries, value)]),
    );
    expect(found).toEqual(Object.fromEntries(Object.keys(secrets).map((what) => [what, []])));

    // And all of it still works: Ann's browser finishes her sign-in.
    const done = await followSignInLink(atAuth.url, { jar });
    expect(done.text).toContain('You’re signed in to Parley demo');
    open.discordStart = discordStart;
    open.discordChannel = channel.id;
    open.discordOffer = dOffer.id;
  });

  it('a process with a rotated PARLEY_SECRET finishes what the old secret sealed: sign-ins, links, Discord tokens, Slack response URLs', async () => {
    // Still under the old secret: a slash command where the bot isn't a member, so every answer
    // can only go through the command's response_url, kept sealed in the store.
    slack.leaveChannel('CNOBOT');
    await slack.command('UBEN', 'CNOBOT', 'call demo__whoami {}');
    await slackLinkFor('UBEN', 'CNOBOT');
    const benStart = String(slackElement(await slackLinkFor('UBEN', 'CNOBOT'), ACTION.linkOpen)?.url);

    await (parley as RunningParley).stop();
    parley = await deploy({ secret: NEW_SECRET, previous: OLD_SECRET });

    // Dora's sign-in (flow, pending link, tracked message, route with its token: all sealed with
    // the old secret) finishes in the new process; her answer comes through the stored token.
    expect((await followSignInLink(open.discordStart as string)).text).toContain('You’re signed in');
    const said = () => discord.visibleTo('dora', [open.discordChannel as string]).map((m) => m.content);
    await expect.poll(said, { timeout: 15_000 }).toContainEqual(expect.stringMatching(/^alice$/));
    // The link message was rewritten through the same token: its button is gone.
    await expect
      .poll(() => discord.messages.get(open.discordOffer as string)?.components, { timeout: 5_000 })
      .toEqual([]);

    // Ben's answer reaches the channel the bot isn't in through the response_url sealed before.
    expect((await followSignInLink(benStart)).text).toContain('You’re signed in');
    const benSees = () =>
      slack.visibleTo('UBEN', (m) => m.channel === 'CNOBOT').flatMap((m) => FakeSlack.said(m));
    await expect.poll(benSees, { timeout: 15_000 }).toContainEqual(expect.stringMatching(/alice/));
  });

  it('refuses a sealed record that was changed, with a sentence, and goes on', async () => {
    logLines.length = 0;
    await slack.command('UCAT', 'CGENERAL', 'login demo');
    const offer = await slackLinkFor('UCAT', 'CGENERAL');
    const id = String(slackElement(offer, ACTION.linkOpen)?.value);
    await tamper(`${PREFIX}pending:{${id}}`);
    await slack.click('UCAT', offer, ACTION.linkDecline);
    const catSees = () => slack.visibleTo('UCAT').flatMap((m) => FakeSlack.said(m));
    await expect.poll(catSees, { timeout: 10_000 }).toContainEqual(UNREADABLE_SENTENCE);
    expect(logLines.join('')).toMatch(/"code":"sealed_unreadable".*pending interaction/);

    // A changed short link is refused with the same sentence, not followed.
    const short = await (parley as RunningParley).http.shortLink('https://example.com/x', 60_000);
    const client = new Redis(redis.url);
    const linkKeys = await client.keys(`${PREFIX}link:*`);
    client.disconnect();
    for (const key of linkKeys) await tamper(key);
    const refused = await fetch(short, { redirect: 'manual' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toBe(UNREADABLE_SENTENCE);

    // Parley goes on: the same person asks again and gets a working link.
    await slack.command('UCAT', 'CGENERAL', 'logout demo');
    await slack.command('UCAT', 'CGENERAL', 'login demo');
    await expect
      .poll(() => slack.visibleTo('UCAT', (m) => slackElement(m, ACTION.linkOpen) !== undefined).length)
      .toBeGreaterThan(1);
    expect((await fetch(`${base()}/readyz`)).status).toBe(200);
  });
});

async function readKey(key: string): Promise<string | null> {
  const client = new Redis(redis.url);
  try {
    return await client.get(key);
  } finally {
    client.disconnect();
  }
}

/** Changes one character in the middle of a sealed value, keeping its TTL. */
async function tamper(key: string): Promise<void> {
  const client = new Redis(redis.url);
  try {
    const value = (await client.get(key)) ?? '';
    expect(value, `${key} is sealed`).toMatch(/^v1\./);
    const at = Math.floor(value.length / 2);
    const changed = value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
    await client.set(key, changed, 'KEEPTTL');
  } finally {
    client.disconnect();
  }
}
