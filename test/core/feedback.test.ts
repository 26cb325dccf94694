/**
 * Feedback on answers, in the core: a model's final answer carries an id; a person's first 👍/👎
 * on it is counted in the store and in `parley_feedback_total`, a second click by the same person
 * changes nothing (their first vote stands), and a store failure counts nothing — and leaves the
 * person free to click again. Real agent on Redis, scripted LLM, a recording surface.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK_SENTENCES, FeedbackStore } from '../../src/feedback.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { metrics } from '../../src/observability/metrics.js';
import type { OutboundMessage } from '../../src/surface.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv } from '../helpers/surface.js';

let llm: ScriptedLlm;
let rig: CoreRig;

beforeAll(async () => {
  llm = await startScriptedLlm();
  rig = await startCoreRig('feedback', [], {
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
  });
});
afterAll(async () => {
  await rig?.close();
  await llm?.close();
});

/** The answer `user` got last, with its id. */
async function answer(user: string, content: string): Promise<{ text: string; answerId?: string }> {
  llm.push({ content });
  await rig.agent.message(conv(user), 'a question');
  const texts = rig.surface
    .for(user)
    .filter((m): m is Extract<OutboundMessage, { kind: 'text' }> => m.kind === 'text');
  return texts.at(-1) as { text: string; answerId?: string };
}

/** `parley_feedback_total` for this test's platform ("test" is none the metric knows: "other"). */
async function counted(value: 'good' | 'bad'): Promise<number> {
  const { body } = await metrics.scrape();
  const line = body
    .split('\n')
    .find((l) => l.startsWith(`parley_feedback_total{surface="other",value="${value}"} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('feedback on answers', () => {
  it('counts one vote per person per answer: the first click stands', async () => {
    const tally = new FeedbackStore(rig.store, silentLogger());
    const { text, answerId } = await answer('fb-ann', 'Here is the answer.');
    expect(text).toBe('Here is the answer.');
    expect(answerId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const id = answerId as string;
    const goodBefore = await counted('good');
    const badBefore = await counted('bad');
    const ann = { platform: 'test', workspace: 'W1', user: 'fb-ann' };
    const bob = { platform: 'test', workspace: 'W1', user: 'fb-bob' };

    expect(await rig.agent.feedback(id, ann, 'good')).toEqual({
      ok: true,
      counted: true,
      message: FEEDBACK_SENTENCES.thanks,
    });
    // Ann changes her mind, and clicks again: her first vote stands, nothing is counted twice.
    expect(await rig.agent.feedback(id, ann, 'bad')).toMatchObject({ ok: true, counted: false });
    expect((await rig.agent.feedback(id, ann, 'good')).message).toBe(FEEDBACK_SENTENCES.already('good'));
    // Someone else in the thread rates it too.
    expect(await rig.agent.feedback(id, bob, 'bad')).toMatchObject({ ok: true, counted: true });

    expect(await tally.tally(id)).toEqual({ good: 1, bad: 1 });
    expect((await counted('good')) - goodBefore).toBe(1);
    expect((await counted('bad')) - badBefore).toBe(1);
  });

  it('refuses ids that are no answer, and answers from another platform', async () => {
    const ann = { platform: 'test', workspace: 'W1', user: 'fb-carl' };
    expect(await rig.agent.feedback('not-an-answer-id-at-all', ann, 'good')).toMatchObject({
      ok: false,
      code: 'expired',
    });
    expect(await rig.agent.feedback('../../etc', ann, 'good')).toMatchObject({ ok: false, code: 'expired' });
    const { answerId } = await answer('fb-carl', 'Another answer.');
    expect(
      await rig.agent.feedback(answerId as string, { ...ann, platform: 'discord' }, 'good'),
    ).toMatchObject({ ok: false, code: 'expired' });
  });

  it('counts nothing when the store fails, and the next click counts', async () => {
    const { answerId } = await answer('fb-dee', 'A third answer.');
    const id = answerId as string;
    const faulty = new FaultyStore(rig.store);
    const feedback = new FeedbackStore(faulty, silentLogger());
    const dee = { platform: 'test', workspace: 'W1', user: 'fb-dee' };
    faulty.failNext('append');
    expect(await feedback.record(id, dee, 'good')).toEqual({
      ok: false,
      code: 'unavailable',
      message: FEEDBACK_SENTENCES.unavailable,
    });
    expect(await feedback.tally(id)).toEqual({ good: 0, bad: 0 });
    expect(await feedback.record(id, dee, 'good')).toMatchObject({ ok: true, counted: true });
    expect(await feedback.tally(id)).toEqual({ good: 1, bad: 0 });
  });

  it('a command’s reply is no model answer: nothing to rate', async () => {
    await rig.agent.message(conv('fb-eve'), '/help');
    const texts = rig.surface.for('fb-eve').filter((m) => m.kind === 'text');
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.every((m) => !('answerId' in m))).toBe(true);
  });
});
