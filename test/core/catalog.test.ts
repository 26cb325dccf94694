/**
 * The tool catalog: tool names of every shape work on every path, and the allow/deny lists hold
 * on every call path — a direct `/call`, a model's tool call, autocomplete, and a paused call
 * resumed in a process whose configuration forbids it.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serverSchema } from '../../src/config.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv } from '../helpers/surface.js';

const ODD_TOOLS = ['calendar.read', 'files/list', 'créer_ticket', `long_${'x'.repeat(110)}`, 'echo'];

let demo: DemoMcp;
let odd: { url: string; close(): Promise<void> };
let llm: ScriptedLlm;
const rigs: CoreRig[] = [];

beforeAll(async () => {
  demo = await startDemoMcp({ logger: silentLogger() });
  odd = await startMiniMcp('odd', (server) => {
    for (const name of ODD_TOOLS)
      server.registerTool(name, { description: `the ${name} tool`, inputSchema: z.object({}) }, async () => ({
        content: [{ type: 'text', text: `ran ${name}` }],
      }));
  });
  llm = await startScriptedLlm();
});
afterAll(async () => {
  for (const r of rigs) await r.close().catch(() => undefined);
  await odd?.close();
  await demo?.close();
  await llm?.close();
});

async function rig(label: string, deny: string[] = [], allow?: string[], prefix?: string): Promise<CoreRig> {
  const r = await startCoreRig(
    label,
    [
      demoServerConfig(demo.url, { tools: { deny, ...(allow && { allow }) } }),
      serverSchema.parse({ name: 'odd', url: odd.url }),
    ],
    {
      llm: new OpenAiLlm({ apiKey: 'k', baseURL: llm.baseURL, model: 'scripted' }),
      ...(prefix && { prefix }),
    },
  );
  rigs.push(r);
  return r;
}

describe('tool names of every shape', () => {
  it.each(ODD_TOOLS)('%s is callable by a person and by the model', async (tool) => {
    const { agent, surface } = await rig(`names-${tool.slice(0, 12)}`);
    await agent.message(conv('nia'), `/call odd__${tool} {}`);
    expect(surface.texts('nia').at(-1)).toBe(`ran ${tool}`);

    // The model sees a legal name for it, and calling that name runs exactly this tool.
    llm.push(
      (request) => {
        const offered = request.tools?.find((t) => t.function.description === `the ${tool} tool`);
        expect(offered?.function.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
        return { toolCalls: [{ name: offered?.function.name ?? 'missing', arguments: {} }] };
      },
      (request) => ({ content: `model saw: ${request.messages.at(-1)?.content}` }),
    );
    await agent.message(conv('nia'), `please run ${tool}`);
    expect(surface.texts('nia').at(-1)).toBe(`model saw: ran ${tool}`);
  });

  it('a bare name that several servers have is answered with the matching names', async () => {
    const { agent, surface } = await rig('bare');
    await agent.message(conv('bea'), '/call echo {"message":"hi"}');
    expect(surface.texts('bea').at(-1)).toBe(
      'Several servers have a tool called “echo”: `demo__echo`, `odd__echo`. Use one of those names.',
    );
    await agent.message(conv('bea'), '/call calendar.read {}');
    expect(surface.texts('bea').at(-1)).toBe('ran calendar.read');
  });
});

describe('the allow and deny lists hold on every call path', () => {
  it('direct /call: a denied tool is refused and does not run', async () => {
    const { agent, surface } = await rig('deny-direct', ['echo']);
    await agent.message(conv('dan'), '/call demo__echo {"message":"should not run"}');
    expect(surface.texts('dan').at(-1)).toBe('The tool “demo__echo” is not allowed here.');
    expect(surface.for('dan').some((m) => m.kind === 'progress' && /Running/.test(m.text))).toBe(false);
  });

  it('direct /call: a tool outside the allow list is refused', async () => {
    const { agent, surface } = await rig('allow-direct', [], ['create_ticket']);
    await agent.message(conv('ali'), '/call demo__echo {"message":"should not run"}');
    expect(surface.texts('ali').at(-1)).toBe('The tool “demo__echo” is not allowed here.');
  });

  it('the model: a denied tool is not offered, and calling it anyway does not run it', async () => {
    const { agent, surface } = await rig('deny-llm', ['echo']);
    let offered: string[] = [];
    llm.push(
      (request) => {
        offered = (request.tools ?? []).map((t) => t.function.name);
        return { toolCalls: [{ name: 'demo__echo', arguments: { message: 'sneaky' } }] };
      },
      (request) => ({ content: `tool said: ${request.messages.at(-1)?.content}` }),
    );
    await agent.message(conv('mo'), 'echo sneaky');
    expect(offered).not.toContain('demo__echo');
    expect(offered).toContain('demo__create_ticket');
    const answer = surface.texts('mo').at(-1) as string;
    expect(answer).toMatch(/^tool said: Error: /);
    expect(answer).not.toMatch(/sneaky/);
  });

  it('autocomplete lists only allowed tools', async () => {
    const { agent } = await rig('deny-names', ['echo', 'delete_ticket']);
    const names = await agent.toolNames(conv('ac'));
    expect(names).toContain('demo__create_ticket');
    expect(names).not.toContain('demo__echo');
    expect(names).not.toContain('demo__delete_ticket');
    expect(names).toContain('odd__calendar.read');
  });

  it('a paused call resumed in a process that denies the tool does not run it', async () => {
    const prefix = testKeyPrefix('deny-resume');
    const a = await rig('deny-resume-a', [], undefined, prefix);
    const b = await rig('deny-resume-b', ['delete_ticket'], undefined, prefix);
    await a.agent.message(conv('rex'), '/call demo__delete_ticket {"id":"T-1"}');
    const confirm = await a.surface.waitFor('rex', 'confirm');
    expect(await b.agent.answer(confirm.id, conv('rex'), { action: 'approve' })).toEqual({ ok: true });
    await b.agent.whenIdle();
    expect(b.surface.texts('rex').at(-1)).toBe('The tool “demo__delete_ticket” is not allowed here.');
  });
});
