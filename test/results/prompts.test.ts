/**
 * More of MCP than tools: `/prompts`, `/prompt` with its arguments asked through a form and run
 * through the model, `/resources`, the model's `read_resource` tool, and the servers'
 * instructions in the system prompt (bounded).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HELP } from '../../src/commands.js';
import { serverSchema } from '../../src/config.js';
import { OpenAiLlm } from '../../src/llm.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { type ChatRequest, type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv } from '../helpers/surface.js';

let mini: { url: string; close(): Promise<void> };
let llm: ScriptedLlm;
let rig: CoreRig;
let bare: CoreRig;

const LONG = `Always answer in haiku. ${'Be brief. '.repeat(400)}`;

beforeAll(async () => {
  mini = await startMiniMcp(
    'kb',
    (server) => {
      server.registerPrompt(
        'review',
        {
          title: 'Code review',
          description: 'Review some code',
          argsSchema: z.object({ code: z.string(), focus: z.string().optional() }),
        },
        ({ code, focus }) => ({
          messages: [
            {
              role: 'user',
              content: { type: 'text', text: `Review this${focus ? ` for ${focus}` : ''}:\n${code}` },
            },
          ],
        }),
      );
      server.registerResource(
        'handbook',
        'kb://handbook',
        { title: 'Team handbook', mimeType: 'text/markdown' },
        async (uri) => ({
          contents: [{ uri: uri.href, mimeType: 'text/markdown', text: '# Handbook\nShip on Fridays.' }],
        }),
      );
    },
    { instructions: LONG },
  );
  llm = await startScriptedLlm();
  const servers = [serverSchema.parse({ name: 'kb', url: mini.url })];
  rig = await startCoreRig('prompts', servers, {
    llm: new OpenAiLlm({ apiKey: 'k', baseURL: llm.baseURL, model: 'scripted' }),
  });
  bare = await startCoreRig('prompts-bare', servers);
});
afterAll(async () => {
  await rig?.close();
  await bare?.close();
  await mini?.close();
  await llm?.close();
});

describe('prompts', () => {
  it('/prompts lists them with their arguments; /help mentions the commands', async () => {
    await rig.agent.message(conv('pa'), '/prompts');
    const text = await rig.surface.waitForText('pa', /kb__review/);
    expect(text).toContain('`kb__review` (code*, focus) — Review some code');
    expect(HELP).toContain('/prompts');
    expect(HELP).toContain('/resources');
  });

  it('/prompt asks its arguments with a form, then runs it through the model', async () => {
    let seen: ChatRequest | undefined;
    llm.push((req) => {
      seen = req;
      return { content: 'Looks fine.' };
    });
    const done = rig.agent.message(conv('pb'), '/prompt kb__review');
    const form = await rig.surface.waitFor('pb', 'form');
    expect(form.form.fields.map((f) => [f.name, f.required])).toEqual([
      ['code', true],
      ['focus', false],
    ]);
    expect(
      await rig.agent.answer(form.id, conv('pb'), {
        action: 'submit',
        values: { code: 'x = 1', focus: 'style' },
      }),
    ).toEqual({ ok: true });
    await done;
    await rig.surface.waitForText('pb', /Looks fine\./);
    expect(seen?.messages.at(-1)).toEqual({ role: 'user', content: 'Review this for style:\nx = 1' });
  });

  it('a declined prompt form runs nothing', async () => {
    const before = llm.requests.length;
    const done = rig.agent.message(conv('pc'), '/prompt kb__review');
    const form = await rig.surface.waitFor('pc', 'form');
    await rig.agent.answer(form.id, conv('pc'), { action: 'decline' });
    await done;
    await rig.surface.waitForText('pc', /didn’t run the prompt review/);
    expect(llm.requests.length).toBe(before);
  });

  it('an unknown prompt is one sentence', async () => {
    await rig.agent.message(conv('pd'), '/prompt kb__nope');
    await rig.surface.waitForText('pd', /^kb has no prompt called “nope”\.$/);
  });

  it('without a model, the prompt’s text is shown', async () => {
    const done = bare.agent.message(conv('pe'), '/prompt kb__review');
    const form = await bare.surface.waitFor('pe', 'form');
    await bare.agent.answer(form.id, conv('pe'), { action: 'submit', values: { code: 'y()' } });
    await done;
    await bare.surface.waitForText('pe', /User: Review this:\ny\(\)/);
  });
});

describe('resources and instructions', () => {
  it('/resources lists them', async () => {
    await rig.agent.message(conv('ra'), '/resources');
    await rig.surface.waitForText('ra', /Team handbook — `kb:\/\/handbook` \(text\/markdown\)/);
  });

  it('the model can read one with read_resource; instructions are in its system prompt, bounded', async () => {
    let first: ChatRequest | undefined;
    let second: ChatRequest | undefined;
    llm.push(
      (req) => {
        first = req;
        return { toolCalls: [{ name: 'read_resource', arguments: { server: 'kb', uri: 'kb://handbook' } }] };
      },
      (req) => {
        second = req;
        return { content: 'Ship on Fridays.' };
      },
    );
    await rig.agent.message(conv('rb'), 'what does the handbook say?');
    await rig.surface.waitForText('rb', /Ship on Fridays\./);
    expect(first?.tools?.map((t) => t.function.name)).toContain('read_resource');
    const system = String(first?.messages[0]?.content);
    expect(system).toContain('Instructions from the MCP servers:\n## kb\nAlways answer in haiku.');
    expect(system.length).toBeLessThan(2_600);
    const tool = second?.messages.find((m) => m.role === 'tool');
    expect(tool?.content).toBe('Resource kb://handbook (text/markdown):\n# Handbook\nShip on Fridays.');
  });
});
