/**
 * Streamed answers on Discord: the answer's message is edited as the model writes it, at most
 * once a second per message, and goes on in a next message past 2,000 characters — ending exactly
 * as a non-streamed answer would. Real agent, adapter, demo MCP server and Redis; Discord faked.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { splitMessage } from '../../adapters/discord/text.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { type DiscordWorld, startDiscordWorld } from '../helpers/discord-world.js';
import type { FakeMessage } from '../helpers/fake-discord.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';

let llm: ScriptedLlm;
let mcp: DemoMcp;
let store: RedisStore;
let w: DiscordWorld;

const ANSWER =
  '**Summary:** the printer is on fire.\n\n- Call facilities\n- Do not open the tray\n- Use the *other* printer on floor two until it is fixed. Thanks!';

/**
 * No two edits of one message's streamed text closer than a second as Discord received them (the
 * pace counts from each reply, so an edit slow in flight doesn't bring the next one closer). The
 * "⏳ Working on it…" progress edit of a deferred reply is not part of the stream.
 */
function expectPaced(m: FakeMessage): void {
  const times = m.editedAt.filter((_, i) => !m.versions[i + 1]?.startsWith('⏳'));
  for (let i = 1; i < times.length; i++)
    expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(1_000);
}

beforeAll(async () => {
  llm = await startScriptedLlm();
  mcp = await startDemoMcp({ logger: silentLogger() });
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('discord-stream') });
  w = await startDiscordWorld({
    servers: [demoServerConfig(mcp.url)],
    store,
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
    transport: 'gateway',
  });
});
afterAll(async () => {
  await w?.close();
  await store?.close();
  await mcp?.close();
  await llm?.close();
});
afterEach(() => {
  expect(w.fake.violations).toEqual([]);
});

describe('Discord streamed answers', () => {
  it('edits the deferred reply as the answer is written, once a second at most', async () => {
    const ch = w.fake.guildChannel();
    llm.push({ content: ANSWER, gapMs: 120 });
    // An edit spends 400 ms in flight: the next must still reach Discord a second after it.
    w.fake.delayEdits([0, 400]);
    const ask = await w.command('sam', ch, 'ask', { prompt: 'the printer?' });
    expect(w.fake.response(ask)).toMatchObject({ type: 5 });
    await expect.poll(() => w.fake.original(ask)?.content, { timeout: 15_000 }).toBe(ANSWER);
    const original = w.fake.original(ask) as FakeMessage;
    // It grew: several versions, fewer edits than pieces, each a second apart.
    expect(original.versions.filter((v) => v.length > 0).length).toBeGreaterThan(2);
    expect(original.edits).toBeLessThan(16);
    expectPaced(original);
    expect(w.fake.visibleTo('sam', [ch.id]).filter((m) => m.interactionUser === 'sam')).toHaveLength(1);
  });

  it('a mention’s answer streams into one new message in its thread', async () => {
    const ch = w.fake.guildChannel();
    llm.push({ content: ANSWER, gapMs: 120 });
    await w.say('tia', ch, 'the printer?');
    const reply = await w.waitForMessage('tia', [ch.id], (m) => m.content === ANSWER);
    expect(reply.versions.length).toBeGreaterThan(2);
    expectPaced(reply);
    const thread = [...w.fake.channels.values()].find((c) => c.parentId === ch.id);
    expect(reply.channelId).toBe(thread?.id);
    expect(w.fake.visibleTo('tia', [ch.id]).filter((m) => m.content.startsWith('**Summary'))).toHaveLength(1);
  });

  it('goes on in a next message past 2,000 characters, cut as a whole answer would be', async () => {
    const ch = w.fake.guildChannel();
    const para = (n: number) => `Paragraph ${n}. ${'word '.repeat(120).trim()}`;
    const long = [para(1), para(2), para(3), para(4)].join('\n\n');
    expect(long.length).toBeGreaterThan(2000);
    const pieces = long.match(/[\s\S]{1,200}/g) as string[];
    llm.push({ content: long, pieces, gapMs: 150 });
    const ask = await w.command('uma', ch, 'ask', { prompt: 'write a lot' });
    const expected = splitMessage(long);
    expect(expected.length).toBe(2);
    const mine = () =>
      w.fake.visibleTo('uma', [ch.id]).filter((m) => m.interactionUser === 'uma' && m.content.length > 0);
    await expect.poll(() => mine().map((m) => m.content), { timeout: 15_000 }).toEqual(expected);
    expect(mine()[0]?.id).toBe(w.fake.original(ask)?.id);
    for (const m of mine()) {
      expect(m.content.length).toBeLessThanOrEqual(2000);
      expectPaced(m);
    }
  });
});
