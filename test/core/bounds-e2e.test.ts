/**
 * Bounds end to end, on real parts: a real MCP server asking for fields named like Object.prototype
 * members (each answer must reach it), and the cap on tool calls from one model reply.
 */
import { inputRequired } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serverSchema } from '../../src/config.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { skippedCallNote } from '../../src/turns/runner.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { startRecordingProxy } from '../helpers/recording-proxy.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv } from '../helpers/surface.js';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
/** As a server would send it: JSON, so "__proto__" is an own key. */
const schemaJson = `{"type":"object","properties":{${NAMES.map((n) => `"${n}":{"type":"string"}`).join(',')}},"required":${JSON.stringify(NAMES)}}`;

let demo: DemoMcp;
let mini: { url: string; close(): Promise<void> };
let llm: ScriptedLlm;
const rigs: CoreRig[] = [];

beforeAll(async () => {
  demo = await startDemoMcp({ logger: silentLogger() });
  mini = await startMiniMcp('proto', (server) => {
    server.registerTool('proto_form', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.q as { action?: string; content?: object } | undefined;
      if (answer)
        return { content: [{ type: 'text', text: `keys: ${Object.keys(answer.content ?? {}).join(',')}` }] };
      return inputRequired({
        inputRequests: {
          q: {
            method: 'elicitation/create',
            params: { mode: 'form', message: 'Names?', requestedSchema: JSON.parse(schemaJson) },
          } as never,
        },
      });
    });
    // V1 re-entry: the form comes back as the call's own arguments.
    server.registerTool('proto_v1', { inputSchema: z.looseObject({}) }, async (args) => {
      if (Object.keys(args).length > 0)
        return { content: [{ type: 'text', text: `args: ${JSON.stringify(args)}` }] };
      const fields = NAMES.map((name) => ({ name, type: 'text', required: true }));
      return {
        content: [
          { type: 'text', text: JSON.stringify({ type: 'elicitation', elicitation_type: 'form', fields }) },
        ],
      };
    });
  });
  llm = await startScriptedLlm();
});
afterAll(async () => {
  for (const r of rigs) await r.close().catch(() => undefined);
  await mini?.close();
  await demo?.close();
  await llm?.close();
});

async function rig(
  label: string,
  extra: Parameters<typeof startCoreRig>[2] = {},
  protoUrl = mini.url,
): Promise<CoreRig> {
  const r = await startCoreRig(
    label,
    [demoServerConfig(demo.url), serverSchema.parse({ name: 'proto', url: protoUrl })],
    { llm: new OpenAiLlm({ apiKey: 'k', baseURL: llm.baseURL, model: 'scripted' }), ...extra },
  );
  rigs.push(r);
  return r;
}

describe('fields named like Object.prototype members', () => {
  it('every answer reaches the server (MRTR form)', async () => {
    const { agent, surface } = await rig('proto-mrtr');
    const done = agent.message(conv('pia'), '/call proto__proto_form {}');
    const form = await surface.waitFor('pia', 'form');
    expect(form.form.fields.map((f) => f.name)).toEqual(NAMES);
    const values = JSON.parse(`{${NAMES.map((n) => `"${n}":"${n}!"`).join(',')}}`);
    expect(await agent.answer(form.id, conv('pia'), { action: 'submit', values })).toEqual({ ok: true });
    await done;
    expect(await surface.waitForText('pia', /keys:/)).toBe(`keys: ${NAMES.join(',')}`);
  });

  it('every answer is sent to the server (V1 re-entry)', async () => {
    // The request as it leaves Parley: the MCP SDK on the server side parses arguments with zod,
    // whose records drop a "__proto__" key — outside Parley — so the wire is where to look: a
    // recording proxy in front of the server.
    const proxy = await startRecordingProxy(mini.url);
    try {
      const { agent, surface } = await rig('proto-v1', {}, proxy.url);
      const done = agent.message(conv('pev'), '/call proto__proto_v1 {}');
      const form = await surface.waitFor('pev', 'form');
      expect(form.form.fields.map((f) => f.name)).toEqual(NAMES);
      const values = JSON.parse(`{${NAMES.map((n) => `"${n}":"${n}!"`).join(',')}}`);
      expect(await agent.answer(form.id, conv('pev'), { action: 'submit', values })).toEqual({ ok: true });
      await done;
      await surface.waitForText('pev', /args:/);
    } finally {
      await proxy.close();
    }
    const sent = proxy.requests.map((r) => r.body).filter((b) => b.includes('proto_v1'));
    const calls = sent.map((b) => JSON.parse(b)).filter((m) => m.method === 'tools/call');
    expect(calls.map((m) => JSON.stringify(m.params.arguments))).toEqual([
      '{}',
      '{"__proto__":"__proto__!","constructor":"constructor!","toString":"toString!","hasOwnProperty":"hasOwnProperty!"}',
    ]);
  });
});

describe('tool calls in one model reply are capped', () => {
  it('runs the first LLM_MAX_TOOL_CALLS and answers each of the rest with a note', async () => {
    const { agent, surface } = await rig('cap', { maxToolCalls: 3 });
    const calls = Array.from({ length: 5 }, (_, i) => ({
      name: 'demo__echo',
      arguments: { message: `m${i}` },
    }));
    let seen: Array<{ role: string; content?: string | null; tool_call_id?: string }> = [];
    llm.push({ toolCalls: calls }, (req) => {
      seen = req.messages;
      return { content: 'done' };
    });
    await agent.message(conv('cap'), 'echo five times');
    await surface.waitForText('cap', /^done$/);
    const results = seen.filter((m) => m.role === 'tool');
    // Every call is answered (the API requires it): three ran, two were told why not.
    expect(results).toHaveLength(5);
    const ran = results.filter((m) => m.content !== skippedCallNote(3));
    expect(ran.map((m) => m.content)).toEqual([
      expect.stringContaining('m0'),
      expect.stringContaining('m1'),
      expect.stringContaining('m2'),
    ]);
    expect(results.filter((m) => m.content === skippedCallNote(3))).toHaveLength(2);
    expect(skippedCallNote(3)).toBe(
      'Not run: Parley runs at most 3 tool calls from one reply, and this call was past that. Ask for it again in a later reply if it is still needed.',
    );
  });

  it('defaults to 16', async () => {
    const { agent, surface } = await rig('cap-default');
    const calls = Array.from({ length: 17 }, (_, i) => ({
      name: 'demo__echo',
      arguments: { message: `n${i}` },
    }));
    let skipped = -1;
    llm.push({ toolCalls: calls }, (req) => {
      skipped = req.messages.filter((m) => m.role === 'tool' && m.content === skippedCallNote(16)).length;
      return { content: 'ok' };
    });
    await agent.message(conv('capd'), 'echo seventeen times');
    await surface.waitForText('capd', /^ok$/);
    expect(skipped).toBe(1);
  });
});
