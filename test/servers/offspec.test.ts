/**
 * Forms as their authors really write them: FastMCP's multi-select sends `items.enum` without
 * `items.type`. Parley reads it as the multi-select it means, and no library's validation text
 * ever reaches the person.
 */

import { resolve } from 'node:path';
import { inputRequired } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serverSchema } from '../../src/config.js';
import { schemaToForm } from '../../src/interactions/schema.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { conv } from '../helpers/surface.js';

/** The schema FastMCP sends for `list[Literal["red", "green", "blue"]]`. */
const FASTMCP_MULTISELECT = {
  type: 'object',
  properties: { colors: { type: 'array', title: 'Colors', items: { enum: ['red', 'green', 'blue'] } } },
  required: ['colors'],
};

let mini: { url: string; close(): Promise<void> };
let rig: CoreRig;
const LEGACY_SERVER = resolve(import.meta.dirname, 'fixtures/legacy-offspec.mjs');

beforeAll(async () => {
  mini = await startMiniMcp('fast', (server) => {
    server.registerTool('pick_colors', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.c as
        | { action?: string; content?: { colors?: string[] } }
        | undefined;
      if (answer) return { content: [{ type: 'text', text: `picked ${answer.content?.colors?.join('+')}` }] };
      return inputRequired({
        inputRequests: {
          c: {
            method: 'elicitation/create',
            params: { mode: 'form', message: 'Pick colors', requestedSchema: FASTMCP_MULTISELECT },
          } as never,
        },
      });
    });
  });
  rig = await startCoreRig('offspec', [
    serverSchema.parse({ name: 'fast', url: mini.url }),
    serverSchema.parse({ name: 'old', command: process.execPath, args: [LEGACY_SERVER], env: {} }),
  ]);
});
afterAll(async () => {
  await rig?.close();
  await mini?.close();
});

describe('FastMCP multi-select (items.enum without items.type)', () => {
  it('becomes a multi-select field', () => {
    const form = schemaToForm(FASTMCP_MULTISELECT, 'Pick');
    expect(form.ok && form.form.fields[0]).toMatchObject({
      kind: 'multiselect',
      options: [
        { value: 'red', label: 'red' },
        { value: 'green', label: 'green' },
        { value: 'blue', label: 'blue' },
      ],
    });
  });

  it('is asked and answered end to end, with no library text shown', async () => {
    await rig.agent.message(conv('fay'), '/call fast__pick_colors {}');
    const view = await rig.surface.waitFor('fay', 'form');
    expect(view.form.fields[0]?.kind).toBe('multiselect');
    await rig.agent.answer(view.id, conv('fay'), { action: 'submit', values: { colors: ['red', 'blue'] } });
    await rig.surface.waitForText('fay', /picked red\+blue/);
    for (const t of rig.surface.texts('fay')) expect(t).not.toMatch(/invalid_type|ZodError|"path"|expected/i);
  });

  it('on a 2025-11-25 session too: the SDK’s strict schema never turns it into a validation dump', async () => {
    void rig.agent.message(conv('ola'), '/call old__pick_colors {}');
    const view = await rig.surface.waitFor('ola', 'form', 1, 20_000);
    expect(view.form.fields[0]?.kind).toBe('multiselect');
    await rig.agent.answer(view.id, conv('ola'), { action: 'submit', values: { colors: ['green'] } });
    await rig.surface.waitForText('ola', /^picked green$/, 20_000);
  });
});
