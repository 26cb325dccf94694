/**
 * Two Parley processes behind one Slack app, on one store: whichever process learns that an
 * interaction ended rewrites the message that offered it, and when both learn it at once only one
 * does (MessageRefs.close takes the message's record in one step). Each process has its own store
 * client on one prefix, its own agent and its own HTTP server; the fake Slack's requests go to one
 * or the other, as a load balancer in front of them would send them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../adapters/slack/messages.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import type { FakeMessage } from '../helpers/fake-slack.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { actionElement, SlackRig } from '../helpers/slack-rig.js';

/**
 * How long a form lasts here (ms): short, so a test can click one that has expired, and long
 * enough that a loaded machine takes the test's steps before it (the first process must forget
 * the form before its own lapse would close it).
 */
const FORM_TTL_MS = 3_000;
const EXPIRED = 'This form has expired. Please ask again.';

let mcp: DemoMcp;
let stores: RedisStore[] = [];
let first: SlackRig;
let second: SlackRig;
/** The second process's store client, whose writes a test can slow down. */
let secondStore: FaultyStore;

beforeAll(async () => {
  mcp = await startDemoMcp({ logger: silentLogger() });
  const prefix = testKeyPrefix('slack-two');
  const servers = [demoServerConfig(mcp.url)];
  stores = [new RedisStore({ url: redisUrl(), prefix }), new RedisStore({ url: redisUrl(), prefix })];
  const [a, b] = stores as [RedisStore, RedisStore];
  secondStore = new FaultyStore(b);
  first = await SlackRig.start({ mode: 'http', servers, store: a, pendingTtlMs: FORM_TTL_MS });
  second = await SlackRig.start({
    mode: 'http',
    servers,
    store: secondStore,
    pendingTtlMs: FORM_TTL_MS,
    slack: first.slack,
  });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
  for (const s of stores) await s.close();
  await mcp?.close();
});
afterEach(() => {
  expect(first.slack.violations).toEqual([]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The first process offers `user` a form (in a thread after a mention, or privately after a slash
 * command in a channel), which then expires unnoticed (as if that process restarted); resolves
 * with its message.
 */
async function expiredForm(user: string, how: 'mention' | 'command'): Promise<FakeMessage> {
  const call = `call demo__create_ticket_v2 {"initial_description":"For ${user}"}`;
  first.routeHere();
  if (how === 'mention') await first.mention(user, `/${call}`);
  else await first.slack.command(user, `C${user}`, call);
  const message = await first.waitForMessageWith(user, ACTION.formDecline);
  expect(message.ephemeralTo).toBe(how === 'command' ? user : undefined);
  // As after a restart: the process that posted the form no longer closes it when it lapses
  // (LiveInteractions.expireStored), so the expired offer is still there to click.
  first.agent.forgetShownInteractions();
  await sleep(FORM_TTL_MS + 300);
  return message;
}

/** The "form expired" replies `user` has had (each process sends one after closing the message). */
const expiredReplies = (user: string) => first.slack.visibleTo(user, (m) => m.text === EXPIRED).length;
/** Every ephemeral message replaced so far through a response_url. */
const replaced = () =>
  first.slack.callsOf('response_url').filter((c) => c.args.replace_original === true).length;

/**
 * `user` clicks Decline on `message` twice at once (a double click), the first click reaching the
 * first process and the second the other; resolves once both processes have replied.
 */
async function doubleClick(user: string, message: FakeMessage): Promise<void> {
  const before = expiredReplies(user);
  first.routeHere();
  const one = first.slack.click(user, message, ACTION.formDecline);
  second.routeHere();
  const two = first.slack.click(user, message, ACTION.formDecline);
  expect((await Promise.all([one, two])).map((ack) => ack.status)).toEqual([200, 200]);
  await expect.poll(() => expiredReplies(user), { timeout: 10_000, interval: 20 }).toBe(before + 2);
  await Promise.all([first.adapter.idle(), second.adapter.idle()]);
}

describe('an expired form clicked in two processes at once', () => {
  it('in a thread: its message is rewritten once (one chat.update)', async () => {
    const u = 'UTWOTHREAD';
    const message = await expiredForm(u, 'mention');
    const updates = () => first.slack.callsOf('chat.update').filter((c) => c.args.ts === message.ts);
    // The "working" placeholder became the offer: that was an update already.
    const [updatesBefore, versionsBefore] = [updates().length, message.history.length];

    await doubleClick(u, message);
    expect(message.text).toMatch(/Expired/);
    expect(updates()).toHaveLength(updatesBefore + 1);
    expect(message.history).toHaveLength(versionsBefore + 1);
  });

  it('offered privately (a slash command): its message is replaced once (one response_url)', async () => {
    const u = 'UTWOSLASH';
    const message = await expiredForm(u, 'command');
    const [replacedBefore, versionsBefore] = [replaced(), message.history.length];

    await doubleClick(u, message);
    expect(message.text).toMatch(/Expired/);
    expect(replaced()).toBe(replacedBefore + 1);
    expect(message.history).toHaveLength(versionsBefore + 1);
  });

  it('offered privately: a click slow to note its response_url does not bring back the record the other process closed', async () => {
    const u = 'UTWOSLOW';
    const message = await expiredForm(u, 'command');
    const [replacedBefore, repliesBefore, versionsBefore] = [
      replaced(),
      expiredReplies(u),
      message.history.length,
    ];

    // The second process's click notes its response_url, and that write is slow: the first
    // process's click closes the message meanwhile. (Noted by writing the message's record back,
    // it brought back the record just taken, and the message was replaced again.)
    const slow = secondStore.holdNextSet('slack:msg');
    second.routeHere();
    await first.slack.click(u, message, ACTION.formDecline);
    await slow.reached;
    first.routeHere();
    await first.slack.click(u, message, ACTION.formDecline);
    await expect.poll(() => expiredReplies(u), { timeout: 10_000, interval: 20 }).toBe(repliesBefore + 1);
    slow.release();
    await expect.poll(() => expiredReplies(u), { timeout: 10_000, interval: 20 }).toBe(repliesBefore + 2);
    await Promise.all([first.adapter.idle(), second.adapter.idle()]);
    expect(message.text).toMatch(/Expired/);
    expect(replaced()).toBe(replacedBefore + 1);
    expect(message.history).toHaveLength(versionsBefore + 1);
  });
});

describe('a form closed while its message is still being noted', () => {
  it('has its message rewritten once the note is written', async () => {
    const u = 'UNOTING';
    // The offer is on Slack, its record not yet in the store: the note is slow.
    const slow = secondStore.holdNextSet('slack:msg:');
    second.routeHere();
    const asked = second.mention(u, '/call demo__create_ticket_v2 {"initial_description":"Closed at once"}');
    await slow.reached;
    const message = await second.waitForMessageWith(u, ACTION.formDecline);
    const id = String(actionElement(message, ACTION.formOpen).value);
    const conversation = { platform: 'slack', workspace: 'T', channel: message.channel, user: u };
    await second.adapter.surface.post(conversation, { kind: 'closed', id, outcome: 'declined' });
    await sleep(100);
    slow.release();
    await asked;
    await second.adapter.idle();
    // Declined, as it was closed: not the "Expired" its lapse would write later.
    await expect.poll(() => message.text, { timeout: 10_000 }).toMatch(/Declined/);
    expect(JSON.stringify(message.blocks)).not.toContain(ACTION.formDecline);
  });
});

describe('a stored (2026-07-28) form that lapses unanswered', () => {
  it('is closed by the process that posted it: buttons gone, the person told once', async () => {
    const u = 'ULAPSE';
    first.routeHere();
    await first.mention(u, '/call demo__create_ticket_v2 {"initial_description":"Lapses"}');
    const message = await first.waitForMessageWith(u, ACTION.formDecline);
    await expect.poll(() => message.text, { timeout: 10_000 }).toMatch(/Expired/);
    expect(JSON.stringify(message.blocks)).not.toContain(ACTION.formDecline);
    const told = () => first.textsSeenBy(u).filter((t) => /expired before it was answered/.test(t));
    await expect.poll(() => told().length).toBe(1);
    await sleep(300);
    expect(told()).toHaveLength(1);
  });
});
