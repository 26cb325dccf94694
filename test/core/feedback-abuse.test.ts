/**
 * An attacker's trial of 👍/👎 in the core: many clicks at once by one person, forged and
 * malformed answer ids, an id from another platform, and a vote that can't be stored. Real agent on
 * Redis, scripted LLM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK_SENTENCES, FeedbackStore } from '../../src/feedback.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import type { OutboundMessage } from '../../src/surface.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv } from '../helpers/surface.js';

let llm: ScriptedLlm;
let rig: CoreRig;

beforeAll(async () => {
  llm = await startScriptedLlm();
  rig = await startCoreRig('trial-feedback', [], {
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
  });
});
afterAll(async () => {
  await rig?.close();
  await llm?.close();
});

async function answerFor(user: string): Promise<string> {
  llm.push({ content: 'An answer.' });
  await rig.agent.message(conv(user), 'a question');
  const last = rig.surface
    .for(user)
    .filter((m): m is Extract<OutboundMessage, { kind: 'text' }> => m.kind === 'text')
    .at(-1);
  return last?.answerId as string;
}

describe('feedback under attack', () => {
  it('twenty clicks at once by one person count once; another person’s count too', async () => {
    const id = await answerFor('tfb-ann');
    const ann = { platform: 'test', workspace: 'W1', user: 'tfb-ann' };
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => rig.agent.feedback(id, ann, i % 2 ? 'bad' : 'good')),
    );
    expect(replies.filter((r) => r.ok && r.counted)).toHaveLength(1);
    const eve = { platform: 'test', workspace: 'W1', user: 'tfb-eve' };
    expect(await rig.agent.feedback(id, eve, 'bad')).toMatchObject({ ok: true, counted: true });
    const tally = await new FeedbackStore(rig.store, silentLogger()).tally(id);
    expect(tally.good + tally.bad).toBe(2);
  });

  it('forged, malformed and foreign ids count nothing and are told “too old to rate”', async () => {
    const id = await answerFor('tfb-bob');
    const bob = { platform: 'test', workspace: 'W1', user: 'tfb-bob' };
    for (const forged of ['AAAAAAAAAAAAAAAA', '', 'x'.repeat(5_000), '{a}', `${id}}:by:x`, '../../etc'])
      expect(await rig.agent.feedback(forged, bob, 'good')).toEqual({
        ok: false,
        code: 'expired',
        message: FEEDBACK_SENTENCES.expired,
      });
    // The same answer id clicked from another platform.
    expect(await rig.agent.feedback(id, { ...bob, platform: 'discord' }, 'good')).toMatchObject({
      ok: false,
      code: 'expired',
    });
    // A value no button carries.
    expect(await rig.agent.feedback(id, bob, 'meh' as 'good')).toMatchObject({ ok: false });
    expect(await new FeedbackStore(rig.store, silentLogger()).tally(id)).toEqual({ good: 0, bad: 0 });
  });
});
