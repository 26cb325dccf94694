/**
 * "Submitted" is said only when the answer reached the waiting call. A 2025-11-25 form waits in
 * the process that showed it; an answer received by another process is relayed there and counts
 * only once that process acknowledges it. Real processes: one killed with SIGKILL, one frozen with
 * SIGSTOP (it still counts as a Redis subscriber, which fooled the old receiver-count check).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { type ParleyProcess, startParleyProcess } from '../helpers/parley-process.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { conv } from '../helpers/surface.js';

let demo: DemoMcp;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  demo = await startDemoMcp({ logger: silentLogger() });
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await demo?.close();
});

async function pair(label: string): Promise<{ owner: ParleyProcess; other: CoreRig }> {
  const prefix = testKeyPrefix(label);
  const servers = [demoServerConfig(demo.url, { era: 'legacy' })];
  const owner = await startParleyProcess({ redisUrl: redisUrl(), prefix, servers });
  cleanups.push(() => owner.kill());
  const other = await startCoreRig(label, servers, { prefix });
  cleanups.push(() => other.close());
  return { owner, other };
}

const answer = { action: 'submit', values: { reporter: 'Sam', priority: 'low' } } as const;

describe('an answer relayed to the process holding the form', () => {
  it('is acknowledged by a live owner, and the tool goes on', async () => {
    const { owner, other } = await pair('relay-live');
    owner.message(conv('liv'), '/call demo__create_ticket_v2 {"initial_description":"Relayed"}');
    const form = await owner.waitFor('liv', 'form');
    expect(await other.agent.answer(form.view.id, conv('liv'), answer)).toEqual({ ok: true });
    await expect.poll(() => owner.texts('liv').join('\n'), { timeout: 10_000 }).toMatch(/T-\d+/);
  });

  it('to a frozen owner (SIGSTOP) is not called submitted; once thawed, the tool hears cancel', async () => {
    const { owner, other } = await pair('relay-frozen');
    owner.message(conv('fro'), '/call demo__create_ticket_v2 {"initial_description":"Frozen"}');
    const form = await owner.waitFor('fro', 'form');
    owner.child.kill('SIGSTOP');
    try {
      const reply = await other.agent.answer(form.view.id, conv('fro'), answer);
      expect(reply).toEqual({
        ok: false,
        code: 'expired',
        message: 'This form expired before your answer arrived. Please ask again.',
      });
      expect(await other.agent.answer(form.view.id, conv('fro'), answer)).toMatchObject({ code: 'used' });
    } finally {
      owner.child.kill('SIGCONT');
    }
    // The thawed owner gets the late relay: the tool is told the person cancelled, no ticket.
    await expect.poll(() => owner.texts('fro').join('\n'), { timeout: 10_000 }).toMatch(/not created/i);
    expect(owner.texts('fro').join('\n')).not.toMatch(/T-\d+/);
  });

  it('to a killed owner (SIGKILL) is not called submitted', async () => {
    const { owner, other } = await pair('relay-killed');
    owner.message(conv('kil'), '/call demo__create_ticket_v2 {"initial_description":"Killed"}');
    const form = await owner.waitFor('kil', 'form');
    await owner.kill();
    expect(await other.agent.answer(form.view.id, conv('kil'), answer)).toMatchObject({
      ok: false,
      code: 'expired',
    });
  });
});

describe('a 2025-11-25 call that ends while its form is open', () => {
  it('fails at once when its server goes away, and its form is closed with the reason', async () => {
    const gone = await startDemoMcp({ logger: silentLogger() });
    const rig = await startCoreRig('server-gone', [demoServerConfig(gone.url, { era: 'legacy' })]);
    cleanups.push(() => rig.close());
    const turn = rig.agent.message(
      conv('gon'),
      '/call demo__create_ticket_v2 {"initial_description":"Gone"}',
    );
    const form = await rig.surface.waitFor('gon', 'form');
    await gone.close();
    await turn; // well before the 15-minute form lifetime or the 10-minute call timeout
    expect(rig.surface.for('gon')).toContainEqual({ kind: 'closed', id: form.id, outcome: 'expired' });
    expect(rig.surface.texts('gon')).toContain(
      'demo · create_ticket_v2 stopped before you answered, so I closed its form.',
    );
    expect(rig.surface.texts('gon').at(-1)).toMatch(
      /^⚠️ I lost the connection to demo while create_ticket_v2 was running/,
    );
  });

  it('does not time out while a person is filling its form: the form’s lifetime governs', async () => {
    const rig = await startCoreRig('form-outlives-timeout', [demoServerConfig(demo.url, { era: 'legacy' })], {
      requestTimeoutMs: 800,
    });
    cleanups.push(() => rig.close());
    const turn = rig.agent.message(
      conv('slo'),
      '/call demo__create_ticket_v2 {"initial_description":"Slow typist"}',
    );
    const form = await rig.surface.waitFor('slo', 'form');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await rig.agent.answer(form.id, conv('slo'), answer)).toEqual({ ok: true });
    await turn;
    expect(rig.surface.texts('slo').at(-1)).toMatch(/T-\d+/);
  });
});
