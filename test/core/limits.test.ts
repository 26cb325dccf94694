/**
 * Fair use (issue 13): per-person and per-workspace message limits and a per-person token
 * budget, counted in the shared store, so two processes on one Redis prefix share one budget.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { identityKey } from '../../src/conversation.js';
import { OpenAiLlm } from '../../src/llm.js';
import { MemoryStore } from '../../src/store/index.js';
import { type AgentExtras, type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv } from '../helpers/surface.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** Two agents ("processes") on one Redis prefix. */
async function twoProcesses(label: string, extra: AgentExtras): Promise<[CoreRig, CoreRig]> {
  const prefix = testKeyPrefix(label);
  const a = await startCoreRig(label, [], { ...extra, prefix });
  const b = await startCoreRig(label, [], { ...extra, prefix });
  cleanups.push(
    () => a.close(),
    () => b.close(),
  );
  return [a, b];
}

const FASTER = /^You’re sending messages faster than I can handle — try again in \d+ seconds?\.$/;
const limits = (l: Partial<NonNullable<AgentExtras['rateLimits']>>) => ({
  rateLimits: { personPerMinute: 0, workspacePerMinute: 0, tokensPerPersonPerHour: 0, ...l },
});

describe('per-person message limit', () => {
  it('is one budget across processes, and other people are not affected', async () => {
    const [a, b] = await twoProcesses('rl-person', limits({ personPerMinute: 2 }));
    await a.agent.message(conv('ann'), '/help');
    await b.agent.message(conv('ann'), '/help');
    await a.agent.message(conv('ann'), '/help');
    const annA = a.surface.texts('ann');
    expect(annA).toHaveLength(2);
    expect(annA[1]).toMatch(FASTER);
    expect(b.surface.texts('ann')[0]).not.toMatch(FASTER);
    // Someone else in the same workspace still gets through.
    await b.agent.message(conv('bob'), '/help');
    expect(b.surface.texts('bob')[0]).not.toMatch(FASTER);
  });

  it('says how long to wait, within the minute', async () => {
    const [a] = await twoProcesses('rl-wait', limits({ personPerMinute: 1 }));
    await a.agent.message(conv('cat'), '/help');
    await a.agent.message(conv('cat'), '/help');
    const seconds = Number(/in (\d+) second/.exec(a.surface.texts('cat')[1] ?? '')?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
  });
});

describe('per-workspace message limit', () => {
  it('counts everyone in a workspace together, and no other workspace', async () => {
    const [a, b] = await twoProcesses('rl-ws', limits({ workspacePerMinute: 2 }));
    await a.agent.message(conv('p1'), '/help');
    await b.agent.message(conv('p2'), '/help');
    await a.agent.message(conv('p3'), '/help');
    expect(a.surface.texts('p3')[0]).toMatch(/^This workspace is sending messages faster than I can handle/);
    await b.agent.message({ ...conv('p4'), workspace: 'W2' }, '/help');
    expect(b.surface.texts('p4')[0]).not.toMatch(/faster than I can handle/);
  });
});

describe('per-person token budget', () => {
  let llm: ScriptedLlm;
  it('counts the tokens the model reported, and refuses the next model turn past the budget', async () => {
    llm = await startScriptedLlm([{ content: 'First answer.', tokens: 500 }]);
    cleanups.push(() => llm.close());
    const [a, b] = await twoProcesses('rl-tokens', {
      ...limits({ tokensPerPersonPerHour: 400 }),
      llm: new OpenAiLlm({ apiKey: 'k', baseURL: llm.baseURL, model: 'm' }),
    });
    await a.agent.message(conv('dan'), 'hello');
    await a.surface.waitForText('dan', /First answer/);
    // Charged in the background once the reply came: wait until the other process sees it.
    const tokens = b.store.rateLimiter({ name: 'tokens', points: 400, durationSeconds: 3600 });
    await expect.poll(() => tokens.check(identityKey(conv('dan')))).toMatchObject({ ok: false });
    await b.agent.message(conv('dan'), 'again');
    expect(b.surface.texts('dan').at(-1)).toMatch(
      /^You’ve used your share of the language model for now — try again in \d+ minutes\.$/,
    );
    expect(llm.requests).toHaveLength(1);
    // Direct commands don't use the model, so they still run.
    await b.agent.message(conv('dan'), '/help');
    expect(b.surface.texts('dan').at(-1)).not.toMatch(/share of the language model/);
  });
});

describe('the in-memory store', () => {
  it('limits with a counter in this process', async () => {
    const store = new MemoryStore();
    const limiter = store.rateLimiter({ name: 'x', points: 2, durationSeconds: 60 });
    expect(await limiter.consume('k')).toEqual({ ok: true });
    expect(await limiter.check('k')).toEqual({ ok: true });
    expect(await limiter.consume('k')).toEqual({ ok: true });
    const refused = await limiter.consume('k');
    expect(refused.ok).toBe(false);
    expect(await limiter.check('k')).toMatchObject({ ok: false });
    await limiter.charge('other', 5);
    expect(await limiter.check('other')).toMatchObject({ ok: false });
    await store.close();
  });
});
