/**
 * A tool's progress reaches the person: Parley sends a progressToken with each call and shows the
 * server's `notifications/progress` as the status line, in order, at most one a second. A real
 * mini MCP server sends the notifications; real agent and Redis; a recording surface.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSchema } from '../../src/config.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { registerProgressTools } from '../helpers/progress-tools.js';
import { conv } from '../helpers/surface.js';

let mini: Awaited<ReturnType<typeof startMiniMcp>>;
let rig: CoreRig;

beforeAll(async () => {
  mini = await startMiniMcp('mini', (server) => registerProgressTools(server, 1_100));
  rig = await startCoreRig('progress', [serverSchema.parse({ name: 'mini', url: mini.url })]);
});
afterAll(async () => {
  await rig?.close();
  await mini?.close();
});

const statuses = (u: string) => rig.surface.for(u).flatMap((m) => (m.kind === 'progress' ? [m.text] : []));

describe('tool progress', () => {
  it('shows each progress update as the status, in order', async () => {
    const u = 'prog-slow';
    await rig.agent.message(conv(u), '/call mini__slow_job {}');
    expect(rig.surface.texts(u)).toEqual([expect.stringMatching(/job done \(progress token sent\)/)]);
    expect(statuses(u)).toEqual([
      'Running mini · slow_job…',
      'Running mini · slow_job… 1/3 — copying',
      'Running mini · slow_job… 2/3 — indexing',
      'Running mini · slow_job… 3/3 — checking',
    ]);
  });

  it('a burst of updates is throttled, never out of order', async () => {
    const u = 'prog-burst';
    await rig.agent.message(conv(u), '/call mini__burst {}');
    await rig.surface.waitForText(u, /burst done/);
    const shown = statuses(u)
      .slice(1)
      .map((t) => Number(/… (\d+)\/30/.exec(t)?.[1]));
    expect(shown.length).toBeGreaterThanOrEqual(1);
    expect(shown.length).toBeLessThanOrEqual(3);
    expect([...shown].sort((a, b) => a - b)).toEqual(shown);
    expect(shown.at(-1)).toBe(30);
  });
});
