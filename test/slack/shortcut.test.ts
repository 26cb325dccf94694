/**
 * Slack's message shortcut "Ask Parley about this": a turn with the message as context, answered
 * only to the person who asked. Real adapter, agent and Redis; the scripted LLM checks what the
 * model is given.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ASK_ABOUT_CALLBACK } from '../../adapters/slack/shortcuts.js';
import { OpenAiLlm } from '../../src/llm.js';
import { RedisStore } from '../../src/store/index.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { SlackRig } from '../helpers/slack-rig.js';

let llm: ScriptedLlm;
let store: RedisStore;
let rig: SlackRig;

beforeAll(async () => {
  llm = await startScriptedLlm();
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('slack-shortcut') });
  rig = await SlackRig.start({
    mode: 'socket',
    servers: [],
    store,
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
  });
});
afterAll(async () => {
  await rig?.close();
  await store?.close();
  await llm?.close();
});
afterEach(() => {
  expect(rig.slack.violations).toEqual([]);
});

it('“Ask Parley about this” answers privately, with the message as context', async () => {
  llm.push((req) => ({
    content: /> The printer on floor 2 is on fire/.test(String(req.messages.at(-1)?.content))
      ? 'Call facilities about the printer.'
      : 'I did not get the message.',
  }));
  const message = rig.slack.say('ULEE', 'CGENERAL', 'The printer on floor 2 is on fire');
  const ack = await rig.slack.messageShortcut('UKIM', ASK_ABOUT_CALLBACK, message);
  expect(ack.status).toBe(200);
  const answer = await rig.waitForText('UKIM', /Call facilities/);
  expect(answer).toBe('Call facilities about the printer.');
  const shown = rig.slack.messages.filter((m) => m.text === answer);
  expect(shown.map((m) => m.ephemeralTo)).toEqual(['UKIM']);
});
