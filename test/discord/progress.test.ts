/**
 * A tool's progress on Discord: in a command's deferred reply, each update (in order); in a
 * channel, the typing indicator while the turn runs. Real adapter, agent, mini MCP server.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { serverSchema } from '../../src/config.js';
import { RedisStore } from '../../src/store/index.js';
import { type DiscordWorld, startDiscordWorld } from '../helpers/discord-world.js';
import type { FakeMessage } from '../helpers/fake-discord.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { registerProgressTools } from '../helpers/progress-tools.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';

let mini: Awaited<ReturnType<typeof startMiniMcp>>;
let store: RedisStore;
let w: DiscordWorld;

beforeAll(async () => {
  mini = await startMiniMcp('mini', (server) => registerProgressTools(server, 1_100));
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('discord-progress') });
  w = await startDiscordWorld({
    servers: [serverSchema.parse({ name: 'mini', url: mini.url })],
    store,
    transport: 'gateway',
  });
});
afterAll(async () => {
  await w?.close();
  await store?.close();
  await mini?.close();
});
afterEach(() => {
  expect(w.fake.violations).toEqual([]);
});

it('shows a tool’s progress in the deferred reply, in order, then the result', async () => {
  const ch = w.fake.guildChannel();
  const cmd = await w.command('pat', ch, 'call', { tool: 'mini__slow_job' });
  await expect.poll(() => w.fake.original(cmd)?.content ?? '', { timeout: 15_000 }).toMatch(/job done/);
  const original = w.fake.original(cmd) as FakeMessage;
  expect(original.versions.filter((v) => /\d\/3 — /.test(v))).toEqual([
    '⏳ Running mini · slow_job… 1/3 — copying',
    '⏳ Running mini · slow_job… 2/3 — indexing',
    '⏳ Running mini · slow_job… 3/3 — checking',
  ]);
});

it('keeps “typing…” up in a channel while the tool reports progress', async () => {
  const ch = w.fake.guildChannel();
  await w.say('quin', ch, '/call mini__slow_job {}');
  await w.waitForMessage('quin', [ch.id], (m) => /job done/.test(m.content));
  const thread = [...w.fake.channels.values()].find((c) => c.parentId === ch.id);
  const typing = w.fake.calls.filter((c) => c.path.endsWith(`/channels/${thread?.id}/typing`));
  expect(typing.length).toBeGreaterThanOrEqual(4); // the start, then each of the three updates
});
