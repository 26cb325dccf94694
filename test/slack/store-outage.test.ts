/**
 * The Slack adapter through the fake Slack while the store fails: a click whose answer the store
 * refuses, and a mention or slash command whose once-only mark the store refuses.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../adapters/slack/blocks.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { SlackRig } from '../helpers/slack-rig.js';

let mcp: DemoMcp;
let redis: RedisStore;
let store: FaultyStore;
let rig: SlackRig;
let n = 0;
const person = (label: string) => `U${label.toUpperCase()}${++n}`;

beforeAll(async () => {
  mcp = await startDemoMcp({ logger: silentLogger() });
  redis = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('trial-slack') });
  store = new FaultyStore(redis);
  rig = await SlackRig.start({ mode: 'socket', servers: [demoServerConfig(mcp.url)], store });
});
afterAll(async () => {
  await rig?.close();
  await redis?.close();
  await mcp?.close();
});
afterEach(() => {
  expect(rig.slack.violations).toEqual([]);
});

describe('Slack: a click the store refuses', () => {
  it('tells the person “storage is unavailable” once, and the next click goes through', async () => {
    const u = person('outage');
    await rig.mention(u, '/call demo__delete_ticket {"id":"T-77"}', 'CTRIAL');
    const offer = await rig.waitForMessageWith(u, ACTION.confirmYes);
    // Redis fails for the moment the answer is handed on.
    store.failNext('takeTogether');
    await rig.slack.click(u, offer, ACTION.confirmYes);
    const said = () => rig.textsSeenBy(u).filter((t) => /storage is unavailable/i.test(t));
    await expect.poll(() => said().length, { timeout: 10_000 }).toBeGreaterThan(0);
    await rig.adapter.idle();
    await new Promise((r) => setTimeout(r, 300));
    // The core's notice in the thread and the adapter's ephemeral reply: the same sentence twice.
    expect(said()).toHaveLength(1);
    await rig.slack.click(u, offer, ACTION.confirmYes);
    await rig.waitForText(u, /You have no ticket with id "T-77"/);
    expect(FakeSlack.said(offer).join('\n')).toMatch(/Confirmed/);
  });
});

/*
 * A store outage at the first thing an event does — the once-only mark (marks.ts firstSight).
 * Every such delivery is acked already (or next), so Slack never redelivers it: the mark fails
 * open, the turn runs, and the core tells the person the store's sentence if it is still down.
 */
describe('Slack: a message while the store is down', () => {
  it('a mention is answered with the store’s sentence, not silence', async () => {
    const u = person('down');
    store.failNext('setIfAbsent');
    const sent = await rig.slack.mention(u, 'CTRIAL', '/call demo__echo {"message":"hello"}');
    rig.follow(u, 'CTRIAL', sent.ts);
    await rig.adapter.idle();
    await expect
      .poll(() => rig.textsSeenBy(u).join('\n'), { timeout: 3_000 })
      .toMatch(/storage is unavailable|hello/i);
  });

  it('/parley is acknowledged with the store’s sentence, not left to time out', async () => {
    const u = person('cmddown');
    store.failNext('setIfAbsent');
    // Unacked, the fake throws "The app did not ack envelope … within 3 s" (Slack's own error).
    await rig.slack.command(u, 'CTRIAL', 'call demo__echo {"message":"hi"}');
    await rig.waitForText(u, /storage is unavailable|\bhi\b/i);
  });
});

describe('Slack: a click while the store is down', () => {
  it('on a private offer, a failure to keep its response_url does not cost the click', async () => {
    const u = person('eph');
    await rig.slack.command(u, 'CTRIAL', 'call demo__delete_ticket {"id":"T-88"}');
    const offer = await rig.waitForMessageWith(u, ACTION.confirmYes);
    expect(offer.ephemeralTo).toBe(u);
    // The click's write that keeps the response_url to rewrite the offer (only that one: the
    // offer's own note may still be on its way to the store).
    store.failNext('set', 1, (key) => /^slack:msg:.*:url$/.test(key));
    await rig.slack.click(u, offer, ACTION.confirmYes);
    await rig.waitForText(u, /You have no ticket with id "T-88"/);
    expect(store.faultsLeft('set')).toBe(0);
  });
});
