/**
 * The Discord adapter while the store refuses the first thing an event does — its once-only mark
 * (a mention's `firstSight`, an interaction's claim): nothing redelivers a gateway dispatch, and
 * an interaction unanswered in 3 s shows Discord's own "This interaction failed". The person is
 * told the store's sentence instead, and nothing runs. Over the gateway and the HTTP endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { type DiscordWorld, startDiscordWorld } from '../helpers/discord-world.js';
import type { FakeMessage } from '../helpers/fake-discord.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';

let mcp: DemoMcp;
const redises: RedisStore[] = [];
const worlds: DiscordWorld[] = [];

beforeAll(async () => {
  mcp = await startDemoMcp({ logger: silentLogger() });
});
afterAll(async () => {
  for (const w of worlds) await w.close();
  for (const r of redises) await r.close();
  await mcp?.close();
});

const unavailable = (m: FakeMessage) => /storage is unavailable/i.test(m.content);

describe.each(['gateway', 'http'] as const)('Discord (%s): the store down at the first mark', (transport) => {
  let store: FaultyStore;
  let w: DiscordWorld;
  beforeAll(async () => {
    // A store of its own: each fake Discord numbers its interactions alike.
    const redis = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix(`discord-outage-${transport}`) });
    redises.push(redis);
    store = new FaultyStore(redis);
    w = await startDiscordWorld({ servers: [demoServerConfig(mcp.url)], store, transport });
    worlds.push(w);
  });

  it('a mention is answered with the store’s sentence, not silence', async () => {
    const ch = w.fake.guildChannel();
    store.failNext('setIfAbsent');
    await w.say('mo', ch, '/call demo__echo {"message":"lost?"}');
    await expect.poll(() => w.fake.visibleTo('mo', [ch.id]).filter(unavailable).length).toBe(1);
    // Nothing ran: the echo never came.
    await new Promise((r) => setTimeout(r, 300));
    expect(w.fake.visibleTo('mo', [ch.id]).some((m) => /lost\?/.test(m.content))).toBe(false);
  });

  it('a slash command is answered (privately) with the store’s sentence, and does not run', async () => {
    const ch = w.fake.guildChannel();
    store.failNext('setIfAbsent');
    const payload = await w.command('cy', ch, 'call', { tool: 'demo__echo', args: '{"message":"ran?"}' });
    const response = w.fake.response(payload);
    expect(response?.type).toBe(4);
    expect(JSON.stringify(response?.data)).toMatch(/storage is unavailable/i);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.fake.visibleTo('cy', [ch.id]).some((m) => /ran\?/.test(m.content))).toBe(false);
  });

  it('a store failure inside a handler is told with the store’s sentence, not a generic one', async () => {
    const ch = w.fake.guildChannel();
    store.failNext('set', 3);
    const payload = await w.command('di', ch, 'call', { tool: 'demo__echo', args: '{"message":"x"}' });
    const said = [
      JSON.stringify(w.fake.response(payload)?.data ?? {}),
      ...w.fake.followUpsOf(payload).map((m) => m.content),
    ];
    expect(said.join('\n')).toMatch(/storage is unavailable/i);
    expect(said.join('\n')).not.toMatch(/went wrong/);
  });
});
