/**
 * 👍/👎 under Parley's answers on Discord: two buttons on the last message of the model's final
 * answer (streamed into a mention's thread, or into a command's deferred reply), checked by the
 * fake Discord against its component limits. A click is counted by the core, once per person per
 * answer, and answered privately to the clicker. Real agent, adapter and Redis; Discord faked.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FeedbackStore } from '../../src/feedback.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { buttonId, buttonLabels, type DiscordWorld, startDiscordWorld } from '../helpers/discord-world.js';
import type { FakeMessage } from '../helpers/fake-discord.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';

let llm: ScriptedLlm;
let store: RedisStore;
let w: DiscordWorld;
let tally: FeedbackStore;

beforeAll(async () => {
  llm = await startScriptedLlm();
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('discord-feedback') });
  tally = new FeedbackStore(store, silentLogger());
  w = await startDiscordWorld({
    servers: [],
    store,
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
    transport: 'gateway',
  });
});
afterAll(async () => {
  await w?.close();
  await store?.close();
  await llm?.close();
});
afterEach(() => {
  expect(w.fake.violations).toEqual([]);
});

/** Clicks 👍 or 👎 on `message` as `user`; the private reply they read. */
async function vote(user: string, message: FakeMessage, emoji: '👍' | '👎'): Promise<string> {
  const click = await w.click(user, message, emoji);
  await expect.poll(() => w.fake.original(click)?.content ?? '', { timeout: 5_000 }).not.toBe('');
  const reply = w.fake.original(click) as FakeMessage;
  expect(reply.ephemeral).toBe(true);
  expect(reply.interactionUser).toBe(user);
  return reply.content;
}

describe('Discord feedback buttons', () => {
  it('a mention’s streamed answer ends with 👍/👎; each person counts once', async () => {
    const ch = w.fake.guildChannel();
    llm.push({ content: 'The printer is on floor two.', gapMs: 60 });
    await w.say('ann', ch, 'where is the printer?');
    const answer = await w.waitForMessage(
      'ann',
      [ch.id],
      (m) => m.content === 'The printer is on floor two.' && buttonLabels(m).length > 0,
    );
    expect(buttonLabels(answer)).toEqual(['👍', '👎']);
    const answerId = buttonId(answer, '👍').split(':')[2] as string;

    expect(await vote('ann', answer, '👍')).toBe('Thanks for the feedback.');
    expect(await vote('ann', answer, '👎')).toBe('You already rated this answer 👍 — thanks!');
    expect(await vote('bob', answer, '👎')).toBe('Thanks for the feedback.');
    expect(await tally.tally(answerId)).toEqual({ good: 1, bad: 1 });
    // The buttons stay for others to use.
    expect(buttonLabels(answer)).toEqual(['👍', '👎']);
  });

  it('a command’s answer in its deferred reply has them; a command’s own reply doesn’t', async () => {
    const ch = w.fake.guildChannel();
    llm.push({ content: 'Answer to the command.' });
    const ask = await w.command('cal', ch, 'ask', { prompt: 'something' });
    await expect
      .poll(() => w.fake.original(ask)?.content, { timeout: 10_000 })
      .toBe('Answer to the command.');
    await expect.poll(() => buttonLabels(w.fake.original(ask) as FakeMessage)).toEqual(['👍', '👎']);
    const help = await w.command('cal', ch, 'help');
    await expect.poll(() => w.fake.original(help)?.content ?? '').toMatch(/Parley/);
    expect(buttonLabels(w.fake.original(help) as FakeMessage)).toEqual([]);
  });

  it('a click on an answer Parley never gave is refused privately', async () => {
    const ch = w.fake.guildChannel();
    llm.push({ content: 'Real answer.' });
    await w.say('dee', ch, 'hello');
    const answer = await w.waitForMessage('dee', [ch.id], (m) => buttonLabels(m).length > 0);
    const forged = {
      ...answer,
      shownComponents: [
        {
          type: 1,
          components: [{ type: 2, style: 2, custom_id: 'parley:good:AAAAAAAAAAAAAAAAAAAAAA', label: 'x' }],
        },
      ],
    } as FakeMessage;
    expect(await vote('dee', forged, 'x' as '👍')).toBe('This answer is too old to rate.');
  });
});
