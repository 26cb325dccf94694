/**
 * The interaction engine's rules, end to end on the real agent: every server request reaches the
 * call (and so the conversation) it belongs to; approval-only forms are Approve/Decline; a form a
 * surface declares it can't show is declined before anything waits for it; a view a surface fails
 * to show is declined with a reason; answers fit their interaction (consent before a URL).
 */
import { inputRequired } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serverSchema } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { UNLIMITED } from '../../src/surface.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { conv } from '../helpers/surface.js';

let demo: DemoMcp;
let mini: { url: string; close(): Promise<void> };
const rigs: CoreRig[] = [];

function asks(name: string, params: Record<string, unknown>) {
  return [
    name,
    { inputSchema: z.object({}) },
    async (_args: unknown, ctx: { mcpReq: { inputResponses?: Record<string, unknown> } }) => {
      const answer = ctx.mcpReq.inputResponses?.q;
      if (answer)
        return { content: [{ type: 'text' as const, text: `server got: ${JSON.stringify(answer)}` }] };
      return inputRequired({ inputRequests: { q: { method: 'elicitation/create', params } as never } });
    },
  ] as const;
}

beforeAll(async () => {
  demo = await startDemoMcp({ logger: silentLogger() });
  mini = await startMiniMcp('mini', (server) => {
    server.registerTool(
      ...asks('approve_only', {
        mode: 'form',
        message: 'Go ahead?',
        requestedSchema: { type: 'object', properties: {} },
      }),
    );
    const cities = Array.from({ length: 30 }, (_, i) => `city-${i}`);
    server.registerTool(
      ...asks('pick_city', {
        mode: 'form',
        message: 'Where to?',
        requestedSchema: {
          type: 'object',
          properties: { city: { type: 'string', enum: cities } },
          required: ['city'],
        },
      }),
    );
    server.registerTool(
      ...asks('consent', {
        mode: 'url',
        message: 'Connect',
        url: 'https://example.com/connect',
        elicitationId: 'e-1',
      }),
    );
  });
});
afterAll(async () => {
  for (const r of rigs) await r.close().catch(() => undefined);
  await mini?.close();
  await demo?.close();
});

async function rig(
  label: string,
  extra: Parameters<typeof startCoreRig>[2] = {},
  era: 'auto' | 'legacy' = 'auto',
) {
  const r = await startCoreRig(
    label,
    [demoServerConfig(demo.url, { era }), serverSchema.parse({ name: 'mini', url: mini.url })],
    extra,
  );
  rigs.push(r);
  return r;
}

describe('every server request reaches the call it belongs to', () => {
  // One person, two conversations: a wizard in a DM, then another tool in a shared channel. The
  // wizard's next step (and what was typed in the DM) must stay in the DM.
  it.each(['auto', 'legacy'] as const)(
    'each form shows only in its own conversation (%s era)',
    async (era) => {
      const { agent, surface } = await rig(`attribution-${era}`, {}, era);
      const dm = conv('pia', 'D-PRIVATE');
      const shared = conv('pia', 'C-SHARED');
      const wizard = agent.message(dm, '/call demo__book_appointment_v2 {}');
      const formsIn = (channel: string) =>
        surface.posts
          .filter((p) => p.message.kind === 'form' && p.conversation.channel === channel)
          .map((p) => (p.message as { view: { form: { message: string } } }).view.form.message);
      await expect.poll(() => formsIn('D-PRIVATE').length, { timeout: 10_000 }).toBe(1);
      const step1 = await surface.waitFor('pia', 'form', 1);

      const ticket = agent.message(shared, '/call demo__create_ticket_v2 {"initial_description":"Printer"}');
      await expect.poll(() => formsIn('C-SHARED').length, { timeout: 10_000 }).toBe(1);

      expect(await agent.answer(step1.id, dm, { action: 'submit', values: { name: 'Pia Private' } })).toEqual(
        { ok: true },
      );
      await expect.poll(() => formsIn('D-PRIVATE').length, { timeout: 10_000 }).toBe(2);
      expect(formsIn('D-PRIVATE')[1]).toMatch(/Pia Private/);
      expect(formsIn('C-SHARED')).toHaveLength(1);
      expect(JSON.stringify(surface.posts.filter((p) => p.conversation.channel === 'C-SHARED'))).not.toMatch(
        /Pia Private/,
      );

      // Both calls finish, each in its own conversation.
      const forms = surface.posts.filter((p) => p.message.kind === 'form');
      const ticketForm = forms.find((p) => p.conversation.channel === 'C-SHARED')?.message as {
        view: { id: string };
      };
      expect(await agent.answer(ticketForm.view.id, shared, { action: 'decline' })).toEqual({ ok: true });
      const step2 = forms.filter((p) => p.conversation.channel === 'D-PRIVATE')[1]?.message as {
        view: { id: string };
      };
      expect(await agent.answer(step2.view.id, dm, { action: 'cancel' })).toEqual({ ok: true });
      await Promise.all([wizard, ticket]);
      await agent.whenIdle();
      const textsIn = (channel: string) =>
        surface.posts
          .filter((p) => p.conversation.channel === channel && p.message.kind === 'text')
          .map((p) => (p.message as { text: string }).text);
      expect(textsIn('C-SHARED').join('\n')).toMatch(/not created/i);
      expect(textsIn('D-PRIVATE').join('\n')).toMatch(/cancel/i);
    },
  );
});

describe('approval-only forms', () => {
  it('are shown as Approve/Decline and answer accept with empty content', async () => {
    const { agent, surface } = await rig('approve-only');
    await agent.message(conv('apo'), '/call mini__approve_only {}');
    const view = await surface.waitFor('apo', 'confirm');
    expect(view).toMatchObject({ message: 'Go ahead?', origin: 'mini · approve_only' });
    expect(surface.for('apo').some((m) => m.kind === 'form')).toBe(false);
    expect(await agent.answer(view.id, conv('apo'), { action: 'approve' })).toEqual({ ok: true });
    await agent.whenIdle();
    expect(await surface.waitForText('apo', /server got/)).toBe(
      'server got: {"action":"accept","content":{}}',
    );
  });

  it('declined, the server hears decline', async () => {
    const { agent, surface } = await rig('approve-only-no');
    await agent.message(conv('apn'), '/call mini__approve_only {}');
    const view = await surface.waitFor('apn', 'confirm');
    expect(await agent.answer(view.id, conv('apn'), { action: 'decline' })).toEqual({ ok: true });
    expect(await surface.waitForText('apn', /server got/)).toBe('server got: {"action":"decline"}');
  });
});

describe('what a surface declares it can’t show is declined before anything waits', () => {
  it('a 30-option choice is shown where options are unlimited', async () => {
    const { agent, surface } = await rig('caps-ok');
    await agent.message(conv('cat'), '/call mini__pick_city {}');
    const view = await surface.waitFor('cat', 'form');
    expect(view.form.fields[0]?.options).toHaveLength(30);
  });

  it('…and declined with the reason, at once, where a surface shows at most 25', async () => {
    const { agent, surface } = await rig('caps-25', { capabilities: { ...UNLIMITED, maxOptions: 25 } });
    await agent.message(conv('cay'), '/call mini__pick_city {}');
    await agent.whenIdle();
    expect(surface.texts('cay')).toEqual([
      '⚠️ mini · pick_city asked for a form I can’t show here (field “City” has 30 options, and this chat shows at most 25), so I declined it.',
      'server got: {"action":"decline"}',
    ]);
    expect(surface.for('cay').some((m) => m.kind === 'form')).toBe(false);
  });
});

describe('a surface that fails to show an interaction', () => {
  it.each(['auto', 'legacy'] as const)('declines it and tells the person why (%s era)', async (era) => {
    const r = await rig(`post-fails-${era}`, {}, era);
    const post = r.surface.post.bind(r.surface);
    r.surface.post = async (c, m) => {
      if (m.kind === 'form') throw new Error('platform said no');
      await post(c, m);
    };
    await r.agent.message(conv('pfa'), '/call demo__create_ticket_v2 {"initial_description":"Unseen"}');
    await r.surface.waitForText('pfa', /not created/i);
    expect(r.surface.texts('pfa')[0]).toBe(
      '⚠️ demo · create_ticket_v2: I couldn’t show it here, so I declined it.',
    );
  });
});

describe('answers fit their interaction', () => {
  it('a URL step: consent is the owner opening it; nothing else accepts it', async () => {
    const { agent, surface } = await rig('consent');
    await agent.message(conv('con'), '/call mini__consent {}');
    const link = await surface.waitFor('con', 'link');
    expect(link).toMatchObject({ purpose: 'consent', host: 'example.com' });
    expect(await agent.answer(link.id, conv('mallory'), { action: 'open' })).toEqual({
      ok: false,
      code: 'not_yours',
      message: 'This form isn’t yours.',
    });
    for (const wrong of [
      { action: 'done' },
      { action: 'approve' },
      { action: 'submit', values: {} },
    ] as const)
      expect(await agent.answer(link.id, conv('con'), wrong)).toMatchObject({ ok: false, code: 'invalid' });
    expect(await agent.answer(link.id, conv('con'), { action: 'open' })).toEqual({
      ok: true,
      url: 'https://example.com/connect',
    });
    expect(await surface.waitForText('con', /server got/)).toBe('server got: {"action":"accept"}');
  });
});
