/**
 * A tool never runs twice because of Parley: a call whose connection breaks while it is out is
 * sent again only when the tool declares that harmless; otherwise the person is told, in one
 * sentence, that the outcome is unknown. A connection that died while idle is replaced before a
 * call rides on it.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serverSchema } from '../../src/config.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { conv } from '../helpers/surface.js';

const runs: Record<string, number> = {};
let server: Awaited<ReturnType<typeof startMiniMcp>>;
let rig: CoreRig;

beforeAll(async () => {
  server = await startMiniMcp('counter', (s) => {
    const slow = (name: string) => async () => {
      runs[name] = (runs[name] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 600));
      return { content: [{ type: 'text' as const, text: `${name} ran ${runs[name]} time(s)` }] };
    };
    s.registerTool('create_thing', { inputSchema: z.object({}) }, slow('create_thing'));
    s.registerTool(
      'read_thing',
      { inputSchema: z.object({}), annotations: { readOnlyHint: true } },
      slow('read_thing'),
    );
    s.registerTool('quick', { inputSchema: z.object({}) }, async () => ({
      content: [{ type: 'text', text: 'quick ok' }],
    }));
  });
  rig = await startCoreRig('retries', [serverSchema.parse({ name: 'counter', url: server.url })]);
});
afterAll(async () => {
  await rig?.close();
  await server?.close();
});

async function callWhileDropping(user: string, tool: string): Promise<void> {
  await rig.agent.message(conv(user), '/call counter__quick {}'); // warm: connected and listed
  const turn = rig.agent.message(conv(user), `/call counter__${tool} {}`);
  await expect.poll(() => runs[tool] ?? 0, { timeout: 5_000, interval: 10 }).toBeGreaterThan(0);
  server.dropConnections();
  await turn;
}

describe('a connection that breaks under a call', () => {
  it('does not run a tool twice: the person is told the outcome is unknown', async () => {
    await callWhileDropping('una', 'create_thing');
    await new Promise((r) => setTimeout(r, 800)); // a second run would have finished by now
    expect(runs.create_thing).toBe(1);
    expect(rig.surface.texts('una').at(-1)).toBe(
      '⚠️ I lost the connection to counter while create_thing was running, so I can’t tell whether it finished. Please check before trying again.',
    );
  });

  it('runs a read-only tool again, which is harmless, and shows its result', async () => {
    await callWhileDropping('rea', 'read_thing');
    expect(runs.read_thing).toBe(2);
    expect(rig.surface.texts('rea').at(-1)).toBe('read_thing ran 2 time(s)');
  });

  it('replaces a connection that died while idle before a call rides on it', async () => {
    await rig.agent.message(conv('ida'), '/call counter__quick {}');
    server.dropConnections();
    await new Promise((r) => setTimeout(r, 2_100));
    const before = runs.create_thing ?? 0;
    await rig.agent.message(conv('ida'), '/call counter__create_thing {}');
    expect(rig.surface.texts('ida').at(-1)).toBe(`create_thing ran ${before + 1} time(s)`);
  });
});
