/**
 * A Python MCP server written the seed's way (official `mcp` package: V1 payload tool, V2 tools
 * with `await ctx.elicit(...)`), with the default configuration. The SDK also offers the
 * 2026-07-28 era, where `ctx.elicit` has no back-channel: Parley notices, uses 2025-11-25
 * sessions for that server from then on, re-runs the call only when the tool is read-only or
 * idempotent, and otherwise asks the person to try again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serverSchema } from '../../src/config.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { findPythonMcp, SEED_SERVER } from '../helpers/python-mcp.js';
import { conv } from '../helpers/surface.js';

const found = findPythonMcp();
const rigs: CoreRig[] = [];

async function rig(label: string): Promise<CoreRig> {
  if (!('python' in found)) throw new Error(found.skip);
  const r = await startCoreRig(label, [
    serverSchema.parse({ name: 'py', command: found.python, args: [SEED_SERVER], env: {} }),
  ]);
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close().catch(() => undefined);
});

// Python's start-up alone takes seconds on a busy machine; each test starts the server twice.
describe.skipIf(!('python' in found))(
  `a Python server in the seed's style${'skip' in found ? ` (skipped: ${found.skip})` : ''}`,
  { timeout: 120_000 },
  () => {
    it('a read-only tool that elicits is re-run on a 2025-11-25 session, and its form shown', async () => {
      const r = await rig('py-readonly');
      void r.agent.message(conv('pat'), '/call py__check_menu {"restaurant":"Roma"}');
      const form = await r.surface.waitFor('pat', 'form', 1, 60_000);
      expect(form.form.fields.map((f) => f.name)).toEqual(['ok']);
      expect(await r.agent.answer(form.id, conv('pat'), { action: 'submit', values: { ok: true } })).toEqual({
        ok: true,
      });
      await r.surface.waitForText('pat', /menu of Roma: soup, bread/, 60_000);
      for (const t of r.surface.texts('pat')) expect(t).not.toMatch(/back-channel|Cannot send/);
      const conn = await r.agent.pool.get('test:W1:pat', 'py');
      expect(conn.era).not.toBe('modern');
    });

    it('a tool not safe to repeat is not re-run: the person is asked to try again, which then works', async () => {
      const r = await rig('py-unsafe');
      await r.agent.message(conv('bo'), '/call py__book_table {"restaurant":"Nori"}');
      await r.agent.whenIdle();
      const said = r.surface.texts('bo').join('\n');
      expect(said).toMatch(/please try again/);
      expect(said).not.toMatch(/back-channel|Cannot send/);
      expect(r.surface.for('bo').some((m) => m.kind === 'form')).toBe(false);

      void r.agent.message(conv('bo'), '/call py__book_table {"restaurant":"Nori"}');
      const form = await r.surface.waitFor('bo', 'form', 1, 60_000);
      await r.agent.answer(form.id, conv('bo'), { action: 'submit', values: { guests: 2, name: 'Bo' } });
      await r.surface.waitForText('bo', /^booked Nori for 2 under Bo$/, 60_000);
    });

    it('the V1 payload tool asks its form and is called again with the answers', async () => {
      const r = await rig('py-v1');
      await r.agent.message(conv('vi'), '/call py__order_v1 {}');
      const form = await r.surface.waitFor('vi', 'form', 1, 60_000);
      expect(form.form.fields.map((f) => f.name)).toEqual(['dish', 'size']);
      await r.agent.answer(form.id, conv('vi'), {
        action: 'submit',
        values: { dish: 'soup', size: 'large' },
      });
      await r.surface.waitForText('vi', /ordered a large soup/, 60_000);
    });
  },
);
