/**
 * Forms read well in Slack (issue 16 §3), checked in the fake Slack, which validates every view
 * against Slack's limits: a V1 `textarea` is a multi-line input, a titled multi-select shows its
 * titles, and a wizard's next step opens in the modal its last step was submitted from.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NEXT_STEP_WINDOW_MS } from '../../adapters/slack/chain.js';
import { ACTION } from '../../adapters/slack/messages.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/memory.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { blockTexts, type FakeView } from '../helpers/fake-slack.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { SlackRig } from '../helpers/slack-rig.js';

type Obj = Record<string, unknown>;
let mcp: DemoMcp;
let notes: Awaited<ReturnType<typeof startMiniMcp>>;
let rig: SlackRig;
let n = 0;
const person = (label: string) => `U${label.toUpperCase()}${++n}`;

beforeAll(async () => {
  mcp = await startDemoMcp({ logger: silentLogger() });
  notes = await startMiniMcp('notes', (server) => {
    server.registerTool(
      'add_note',
      { inputSchema: z.object({ entry: z.string().optional() }) },
      async ({ entry }) => ({
        content: [
          {
            type: 'text',
            text:
              entry !== undefined
                ? `Saved: ${entry}`
                : JSON.stringify({
                    type: 'elicitation',
                    elicitation_type: 'form',
                    fields: [{ name: 'entry', label: 'Note', type: 'textarea', required: true }],
                  }),
          },
        ],
      }),
    );
  });
  rig = await SlackRig.start({
    mode: 'socket',
    servers: [demoServerConfig(mcp.url), demoServerConfig(notes.url, { name: 'notes' })],
    store: new MemoryStore(),
  });
});
afterAll(async () => {
  await rig?.close();
  await notes?.close();
  await mcp?.close();
});
afterEach(() => {
  expect(rig.slack.violations).toEqual([]);
});

const inputs = (view: FakeView): Obj[] =>
  (Array.isArray(view.view.blocks) ? view.view.blocks : []).filter(
    (b): b is Obj => typeof b === 'object' && b !== null && (b as Obj).type === 'input',
  );
const element = (view: FakeView, blockId: string): Obj =>
  inputs(view).find((b) => b.block_id === blockId)?.element as Obj;
const shown = (view: FakeView): string =>
  blockTexts(Array.isArray(view.view.blocks) ? view.view.blocks : []).join(' ');

describe('forms in Slack', () => {
  it('a V1 textarea field is a multi-line input', async () => {
    const u = person('note');
    await rig.mention(u, '/call notes__add_note {}');
    const view = await rig.openForm(u, await rig.waitForMessageWith(u, ACTION.formOpen));
    expect(element(view, 'entry')).toMatchObject({ type: 'plain_text_input', multiline: true });
    expect(await rig.submit(u, view, { entry: 'line one\nline two' })).toEqual({ ok: true });
    expect(await rig.waitForText(u, /^Saved:/)).toBe('Saved: line one\nline two');
  });

  it('a titled multi-select shows its titles', async () => {
    const u = person('survey');
    await rig.mention(u, '/call demo__survey {}');
    const view = await rig.openForm(u, await rig.waitForMessageWith(u, ACTION.formOpen));
    const options = (element(view, 'interests').options as Obj[]).map((o) => ({
      value: o.value,
      text: (o.text as Obj).text,
    }));
    expect(options.map((o) => o.text)).toEqual(['Forms', 'Sign-in', 'Sampling']);
  });

  it('a wizard’s next step opens in the same modal, with no new click', async () => {
    const u = person('wizard');
    await rig.mention(u, '/call demo__book_appointment_v2 {}');
    const modal = await rig.openForm(u, await rig.waitForMessageWith(u, ACTION.formOpen, 1));
    const opened = rig.slack.callsOf('views.open').length;
    expect(await rig.submit(u, modal, { name: 'Dana' })).toEqual({ ok: true });
    await expect.poll(() => shown(modal), { timeout: 5_000, interval: 20 }).toMatch(/Step 2 of 3/);
    const slot = (element(modal, 'slot').options as Obj[])[0]?.value as string;
    expect(await rig.submit(u, modal, { date: '2026-12-01', slot })).toEqual({ ok: true });
    await expect.poll(() => shown(modal), { timeout: 5_000, interval: 20 }).toMatch(/Step 3 of 3/);
    expect(await rig.submit(u, modal, { confirm: 'true' })).toEqual({ ok: true });
    expect(await rig.waitForText(u, /^Booked: /)).toBe(`Booked: Dana on 2026-12-01 at ${slot}.`);
    // No further "Fill in" click opened a modal: every step came by views.update.
    expect(rig.slack.callsOf('views.open')).toHaveLength(opened);
    // With no step after the last, the modal says the answer went on.
    await expect
      .poll(() => shown(modal), { timeout: NEXT_STEP_WINDOW_MS + 5_000, interval: 50 })
      .toMatch(/Sent\. The answer continues in the conversation/);
    expect(modal.open).toBe(true);
  }, 20_000);
});
