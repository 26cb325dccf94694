/**
 * The Discord adapter through the fake Discord: a click refused by a store outage while its
 * answer is handed on is told once (by the core), never repeated by the adapter. Real agent on
 * Redis, the demo MCP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { buttonLabels, type DiscordWorld, startDiscordWorld } from '../helpers/discord-world.js';
import type { FakeMessage } from '../helpers/fake-discord.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';

let mcp: DemoMcp;
let redis: RedisStore;
let store: FaultyStore;
let w: DiscordWorld;

beforeAll(async () => {
  mcp = await startDemoMcp({ logger: silentLogger() });
  redis = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('discord-told-once') });
  store = new FaultyStore(redis);
  w = await startDiscordWorld({ servers: [demoServerConfig(mcp.url)], store, transport: 'gateway' });
});
afterAll(async () => {
  await w?.close();
  await redis?.close();
  await mcp?.close();
});

const shows = (label: string) => (m: FakeMessage) => buttonLabels(m, 'shown').includes(label);
const unavailable = (m: FakeMessage) => /storage is unavailable/i.test(m.content);

describe('Discord: a click the store refuses while its answer is handed on', () => {
  it('Approve: the person is told once', async () => {
    const ch = w.fake.guildChannel();
    await w.say('ola', ch, '/call demo__delete_ticket {"id":"T-5"}');
    const confirm = await w.waitForMessage('ola', [ch.id], shows('Approve'));
    store.failNext('takeTogether');
    await w.click('ola', confirm, 'Approve');
    await expect.poll(() => w.fake.visibleTo('ola', [ch.id]).filter(unavailable).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(w.fake.visibleTo('ola', [ch.id]).filter(unavailable)).toHaveLength(1);
  });

  // Open link used to defer a new ephemeral reply, which had to say something: it repeated the
  // refusal the core had already told. It is now acknowledged as an update, like Approve.
  it('Open link (URL consent): the person is told once', async () => {
    const ch = w.fake.guildChannel();
    await w.say('pia', ch, '/call demo__connect_calendar {}');
    const consent = await w.waitForMessage('pia', [ch.id], shows('Open link'));
    store.failNext('takeTogether');
    await w.click('pia', consent, 'Open link');
    await expect.poll(() => w.fake.visibleTo('pia', [ch.id]).filter(unavailable).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(w.fake.visibleTo('pia', [ch.id]).filter(unavailable)).toHaveLength(1);
  });
});
