/**
 * One bad server never slows or breaks the others (issue 11 §2): a server that accepts
 * connections and never answers, next to the real demo server. Its listing misses the deadline
 * and the turn goes on with the demo's tools; the person is told in one line; the next turns skip
 * it without sending it anything. Tool lists are cached per server and refreshed when the server
 * says `notifications/tools/list_changed`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SignInRequiredError } from '../../src/auth/sign-in-errors.js';
import { serverSchema } from '../../src/config.js';
import { ParleyError } from '../../src/errors.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { healthVerdict, ServerHealth } from '../../src/mcp/health.js';
import { McpPool } from '../../src/mcp/pool.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv } from '../helpers/surface.js';

/** Accepts every request and never answers it. */
async function startStall(): Promise<{ url: string; requests: IncomingMessage[]; close(): Promise<void> }> {
  const requests: IncomingMessage[] = [];
  const http: Server = createServer((req) => {
    requests.push(req);
    req.resume();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    close: () =>
      new Promise((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}

let demo: DemoMcp;
let stall: Awaited<ReturnType<typeof startStall>>;
let llm: ScriptedLlm;
let rig: CoreRig;

beforeAll(async () => {
  demo = await startDemoMcp({ logger: silentLogger() });
  stall = await startStall();
  llm = await startScriptedLlm();
  rig = await startCoreRig(
    'health',
    [
      demoServerConfig(demo.url),
      serverSchema.parse({ name: 'stuck', title: 'Stuck', url: stall.url, timeouts: { listMs: 500 } }),
    ],
    { llm: new OpenAiLlm({ apiKey: 'k', baseURL: llm.baseURL, model: 'scripted' }) },
  );
});
afterAll(async () => {
  await rig?.close();
  await stall?.close();
  await demo?.close();
  await llm?.close();
});

describe('a server that never answers', () => {
  it('costs a turn its listing deadline once, is named in one line, and is then skipped', async () => {
    const { agent, surface } = rig;
    llm.push(
      (request) => {
        // The model got the demo's tools, and none of the stuck server's.
        const names = request.tools?.map((t) => t.function.name) ?? [];
        expect(names).toContain('demo__echo');
        expect(names.some((n) => n.startsWith('stuck'))).toBe(false);
        return { toolCalls: [{ name: 'demo__echo', arguments: { message: 'still here' } }] };
      },
      { content: 'echoed' },
    );
    const started = Date.now();
    await agent.message(conv('ida'), 'echo something');
    // Not the 15 s connect timeout per step: the 0.5 s listing deadline, once (generous bound).
    expect(Date.now() - started).toBeLessThan(8_000);
    const said = surface.texts('ida');
    expect(said.filter((t) => /Stuck is unavailable/.test(t))).toHaveLength(1);
    expect(said.at(-1)).toBe('echoed');

    // The next turn skips it at once: nothing more is sent to it, and the person is told again.
    const seen = stall.requests.length;
    llm.push({ content: 'second' });
    await agent.message(conv('ida'), 'and again');
    expect(stall.requests.length).toBe(seen);
    expect(surface.texts('ida').slice(said.length)).toEqual([
      expect.stringMatching(/Stuck is unavailable/),
      'second',
    ]);

    // /tools names it in one line and lists the demo server's tools.
    await agent.message(conv('ida'), '/tools');
    const tools = surface.texts('ida').at(-1) as string;
    expect(tools).toMatch(/\*\*stuck\*\*: Stuck isn’t answering right now/);
    expect(tools).toContain('demo__echo');
  });
});

describe('tool lists', () => {
  it('are listed once per server for everyone, and again when the server says they changed', async () => {
    let version = 1;
    const mini = await startMiniMcp('changing', (server) => {
      server.registerTool(
        `tool_v${version}`,
        { description: 'changes', inputSchema: z.object({}) },
        async () => ({
          content: [{ type: 'text', text: 'ok' }],
        }),
      );
    });
    const pool = new McpPool({
      servers: [serverSchema.parse({ name: 'changing', url: mini.url })],
      hooks: { request: async () => ({ action: 'decline' }), elicitationComplete: () => undefined },
      logger: silentLogger(),
      requestTimeoutMs: 10_000,
      idleTimeoutMs: 60_000,
      maxConnections: 10,
    });
    try {
      const names = async (who: string) => (await pool.listTools(who, 'changing')).map((t) => t.name);
      expect(await names('p:w:a')).toEqual(['tool_v1']);
      version = 2;
      // Cached: without a notification the list stays as it was, for every person.
      expect(await names('p:w:a')).toEqual(['tool_v1']);
      expect(await names('p:w:b')).toEqual(['tool_v1']);
      mini.toolsChanged();
      await expect.poll(() => names('p:w:b'), { timeout: 5_000, interval: 50 }).toEqual(['tool_v2']);
    } finally {
      await pool.closeAll();
      await mini.close();
    }
  });
});

describe('the circuit breaker', () => {
  const server = serverSchema.parse({ name: 'flaky', url: 'http://127.0.0.1:1/mcp' });
  it('opens after consecutive failures, lets one probe through after the pause, and closes on its success', () => {
    const health = new ServerHealth({ failures: 3, openMs: 1_000 });
    health.failed('flaky', 'failure', 0);
    health.failed('flaky', 'failure', 0);
    expect(() => health.admit(server, 10)).not.toThrow();
    health.failed('flaky', 'failure', 10);
    expect(() => health.admit(server, 500)).toThrow(/isn’t answering/);
    health.admit(server, 1_100); // the probe
    expect(() => health.admit(server, 1_101)).toThrow(/isn’t answering/);
    health.succeeded('flaky');
    expect(() => health.admit(server, 1_102)).not.toThrow();
  });

  it('opens at once after a timeout, and again when the probe fails', () => {
    const health = new ServerHealth({ failures: 3, openMs: 1_000 });
    health.failed('flaky', 'timeout', 0);
    expect(() => health.admit(server, 1)).toThrow();
    health.admit(server, 1_000);
    health.failed('flaky', 'failure', 1_000);
    expect(() => health.admit(server, 1_500)).toThrow();
    expect(() => health.admit(server, 2_000)).not.toThrow();
  });

  it('counts what is the server’s fault, never one person’s sign-in', () => {
    expect(healthVerdict(new SignInRequiredError('flaky', 'Flaky'))).toBeUndefined();
    expect(healthVerdict(new ParleyError('mcp_unreachable', 'x', { detail: 'connect ECONNREFUSED' }))).toBe(
      'failure',
    );
    expect(healthVerdict(new ParleyError('mcp_unreachable', 'x', { detail: 'Request timed out' }))).toBe(
      'timeout',
    );
    expect(healthVerdict(new Error('fetch failed', { cause: new Error('ECONNRESET') }))).toBe('failure');
    expect(healthVerdict(new Error('Invalid params'))).toBeUndefined();
  });
});
