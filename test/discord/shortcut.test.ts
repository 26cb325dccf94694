/**
 * Discord's message context-menu command, "Ask Parley about this": a turn with the message's text
 * as its context, answered in the command's deferred reply. Real agent, adapter, Redis; the
 * scripted LLM checks what the model is given.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ASK_ABOUT } from '../../adapters/discord/commands.js';
import { OpenAiLlm } from '../../src/llm.js';
import { RedisStore } from '../../src/store/index.js';
import { type DiscordWorld, startDiscordWorld } from '../helpers/discord-world.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';

let llm: ScriptedLlm;
let store: RedisStore;
let w: DiscordWorld;

beforeAll(async () => {
  llm = await startScriptedLlm();
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('discord-shortcut') });
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

it('“Ask Parley about this” starts a turn with the message as context', async () => {
  const ch = w.fake.guildChannel();
  llm.push((req) => ({
    content: /> The printer on floor 2 is on fire/.test(String(req.messages.at(-1)?.content))
      ? 'Call facilities about the printer.'
      : 'I did not get the message.',
  }));
  const cmd = w.fake.messageCommand('kim', ch, ASK_ABOUT, {
    id: '99001',
    content: 'The printer on floor 2 is on fire',
    author: 'lee',
  });
  await w.deliver(cmd);
  expect(w.fake.response(cmd)).toMatchObject({ type: 5 });
  await expect
    .poll(() => w.fake.original(cmd)?.content, { timeout: 10_000 })
    .toBe('Call facilities about the printer.');
});
