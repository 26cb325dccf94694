/**
 * Running turns: one at a time per conversation (a second message is answered, never
 * interleaved), and a turn cut off by a dying process is not silent — another process tells the
 * person what is known. The dying process is real, killed with SIGKILL.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serverSchema } from '../../src/config.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { startParleyProcess } from '../helpers/parley-process.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { conv } from '../helpers/surface.js';

let slow: Awaited<ReturnType<typeof startMiniMcp>>;
let release: (() => void) | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  slow = await startMiniMcp('slow', (s) => {
    s.registerTool('long_job', { inputSchema: z.object({}) }, async () => {
      await new Promise<void>((r) => {
        release = r;
        setTimeout(r, 20_000).unref();
      });
      return { content: [{ type: 'text', text: 'long job done' }] };
    });
    s.registerTool('quick_job', { inputSchema: z.object({}) }, async () => ({
      content: [{ type: 'text', text: 'quick job done' }],
    }));
  });
});
afterAll(async () => {
  release?.();
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await slow?.close();
});

const servers = () => [serverSchema.parse({ name: 'slow', url: slow.url })];

describe('turns in one conversation', () => {
  it('run one at a time: a second message is answered, not interleaved; other conversations go on', async () => {
    const rig: CoreRig = await startCoreRig('one-at-a-time', servers());
    cleanups.push(() => rig.close());
    const first = rig.agent.message(conv('ola'), '/call slow__long_job {}');
    await expect.poll(() => release !== undefined).toBe(true);
    await rig.agent.message(conv('ola'), '/call slow__long_job {}');
    expect(rig.surface.texts('ola')).toEqual([
      'I’m still working on your last message here. Send this again once I’ve answered.',
    ]);
    await rig.agent.message(conv('ola', 'C-OTHER'), '/help');
    expect(rig.surface.texts('ola').at(-1)).toMatch(/Parley/);
    release?.();
    await first;
    expect(rig.surface.texts('ola').at(-1)).toBe('long job done');
    release = undefined;
  });
});

describe('a turn cut off by a dying process', () => {
  it('is explained to the person by another process, naming what it was doing', async () => {
    const prefix = testKeyPrefix('cut-off');
    const dying = await startParleyProcess({
      redisUrl: redisUrl(),
      prefix,
      servers: servers(),
      // Seconds, not less: a loaded machine can stall the child for a few hundred milliseconds,
      // and a lease that lapses then has the survivor sweep a process that is still alive.
      leaseMs: 3_000,
    });
    cleanups.push(() => dying.kill());
    const survivor = await startCoreRig('cut-off-survivor', servers(), { prefix, turnLeaseMs: 3_000 });
    cleanups.push(() => survivor.close());
    // A turn before it in the same conversation: the cut-off one is not listed again (the process
    // listed its conversation a moment ago), and must still be found.
    dying.message(conv('cyd'), '/call slow__quick_job {}');
    await dying.waitFor('cyd', 'text');
    dying.message(conv('cyd'), '/call slow__long_job {}');
    await dying.waitFor('cyd', 'progress', 2);
    await expect.poll(() => release !== undefined).toBe(true);
    await dying.kill();
    const told = await survivor.surface.waitForText('cyd', /restarted/, 20_000);
    expect(told).toBe(
      '⚠️ I was restarted while working on this, during slow · long_job, so it may or may not have run. Please check before asking again.',
    );
    // Once: the sweeps after it (one every second) find nothing more to say.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(survivor.surface.texts('cyd').filter((t) => /restarted/.test(t))).toHaveLength(1);
    release?.();
  });
});
