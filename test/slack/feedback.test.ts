/**
 * 👍/👎 under Parley's answers in Slack: a `feedback_buttons` element in a `context_actions` block
 * on the model's final answer (streamed or not), checked by the fake Slack against Slack's limits.
 * A click is counted by the core, once per person per answer, and only the clicker hears back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK_ACTION } from '../../adapters/slack/feedback.js';
import { FeedbackStore } from '../../src/feedback.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import type { FakeMessage } from '../helpers/fake-slack.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { SlackRig } from '../helpers/slack-rig.js';

type Obj = Record<string, unknown>;

let llm: ScriptedLlm;
let n = 0;
const person = (label: string) => `U${label.toUpperCase()}${++n}`;

beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await llm?.close();
});

const hasFeedback = (m: FakeMessage) => m.blocks.some((b) => b.type === 'context_actions');

/** The feedback element of a message. */
function feedbackOf(m: FakeMessage): Obj {
  const block = m.blocks.find((b) => b.type === 'context_actions') as Obj;
  return (block.elements as Obj[])[0] as Obj;
}

describe.each([
  ['streamed with the chat streaming API', true],
  ['edited in place', false],
] as const)('Slack feedback buttons, %s', (_label, streaming) => {
  let rig: SlackRig;
  let store: RedisStore;
  let tally: FeedbackStore;
  beforeAll(async () => {
    store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix(`slack-feedback-${streaming}`) });
    tally = new FeedbackStore(store, silentLogger());
    rig = await SlackRig.start({
      mode: 'socket',
      servers: [],
      store,
      llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
      fake: { streaming },
    });
  });
  afterAll(async () => {
    await rig?.close();
    await store?.close();
  });
  afterEach(() => {
    expect(rig.slack.violations).toEqual([]);
  });

  it('puts 👍/👎 under the final answer; each person counts once, and only they are told', async () => {
    const ann = person('ann');
    const bob = person('bob');
    llm.push({ content: 'The printer is on floor two.', gapMs: 50 });
    const { ts } = await rig.mention(ann, 'where is the printer?', 'CFB');
    await rig.waitForText(ann, /The printer is on floor two\./);
    await expect.poll(() => rig.seenBy(ann).some(hasFeedback), { timeout: 10_000 }).toBe(true);
    const answer = rig.seenBy(ann).find(hasFeedback) as FakeMessage;
    expect(answer.threadTs).toBe(ts);
    expect(rig.seenBy(ann).filter(hasFeedback)).toHaveLength(1);
    const element = feedbackOf(answer);
    expect(element).toMatchObject({ type: 'feedback_buttons', action_id: FEEDBACK_ACTION });
    const answerId = String((element.positive_button as Obj).value).replace(/^good:/, '');

    const said = async (user: string, which: 'positive' | 'negative') => {
      const count = rig.slack.messages.length;
      await rig.slack.feedback(user, answer, which);
      const reply = () => rig.slack.messages.slice(count).find((m) => m.ephemeralTo === user);
      await expect.poll(() => reply() !== undefined, { timeout: 5_000 }).toBe(true);
      return (reply() as FakeMessage).text;
    };
    expect(await said(ann, 'positive')).toBe('Thanks for the feedback.');
    // Ann clicks 👎 afterwards: her first vote stands.
    expect(await said(ann, 'negative')).toBe('You already rated this answer 👍 — thanks!');
    rig.follow(bob, 'CFB', ts);
    expect(await said(bob, 'negative')).toBe('Thanks for the feedback.');
    expect(await tally.tally(answerId)).toEqual({ good: 1, bad: 1 });
    // Nobody else saw those replies.
    expect(rig.slack.visibleTo('USOMEONE', (m) => /feedback|rated/.test(m.text))).toEqual([]);
  });

  it('answers in a DM get them too; progress lines and command replies don’t', async () => {
    const u = person('dm');
    llm.push({ content: 'Sure: **done**.', gapMs: 30 });
    await rig.slack.dm(u, 'do it');
    await rig.waitForText(u, /Sure: \*\*done\*\*\./);
    await expect.poll(() => rig.seenBy(u).filter(hasFeedback).length, { timeout: 10_000 }).toBe(1);
    await rig.slack.dm(u, '/help');
    await rig.waitForText(u, /puts MCP tools in this chat/);
    expect(rig.seenBy(u).filter(hasFeedback)).toHaveLength(1);
  });
});
