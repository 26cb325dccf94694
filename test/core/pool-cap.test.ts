/**
 * The pool under more people than its cap (issue 12 §1), against the real demo MCP server: work
 * waits for a slot instead of failing, nothing in use is ever closed, and a wait that runs out
 * ends in one clear "busy" sentence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isParleyError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { type ConnectionHooks, McpConnection } from '../../src/mcp/connection.js';
import { McpPool } from '../../src/mcp/pool.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { conv } from '../helpers/surface.js';

const hooks: ConnectionHooks = {
  request: async () => ({ action: 'decline' }),
  elicitationComplete: () => undefined,
};

const toClose: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of toClose.splice(0)) await c().catch(() => undefined);
});

async function demo(): Promise<DemoMcp> {
  const mcp = await startDemoMcp();
  toClose.push(() => mcp.close());
  return mcp;
}

/** A pool whose connections report being closed while in use (a call or listing out). */
function poolFor(mcp: DemoMcp, extra: Partial<ConstructorParameters<typeof McpPool>[0]>, era = 'auto') {
  const closedInUse: string[] = [];
  const pool = new McpPool({
    servers: [demoServerConfig(mcp.url, { era })],
    hooks,
    logger: silentLogger(),
    requestTimeoutMs: 10_000,
    idleTimeoutMs: 60_000,
    maxConnections: 3,
    createConnection: (options) => {
      const conn = new McpConnection(options);
      const close = conn.close.bind(conn);
      conn.close = async () => {
        if (conn.inFlight > 0) closedInUse.push(options.identity);
        await close();
      };
      return conn;
    },
    ...extra,
  });
  toClose.push(() => pool.closeAll());
  return { pool, closedInUse };
}

describe('the pool at its cap', () => {
  it.each(['auto', 'legacy'])(
    'serves many more people than the cap, and closes nothing in use (%s era)',
    async (era) => {
      const mcp = await demo();
      const { pool, closedInUse } = poolFor(mcp, {}, era);
      const people = Array.from({ length: 24 }, (_, i) => `slack:T1:u${i}`);
      const results = await Promise.allSettled(
        people.map(async (who) => {
          await pool.listTools(who, 'demo');
          const ctx = { conversation: conv(who), server: 'demo', tool: 'echo' };
          // Not repeatable: a connection closed under this call would surface as outcome_unknown.
          return pool.use(who, 'demo', (c) => c.callTool(ctx, 'echo', { message: who }));
        }),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      expect(failed.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
      for (const [i, r] of results.entries())
        expect(r.status === 'fulfilled' && JSON.stringify(r.value)).toContain(people[i]);
      expect(closedInUse).toEqual([]);
      expect(pool.size).toBeLessThanOrEqual(3);
    },
  );

  it('a person who finds every slot in use hears "busy" once the wait is over', async () => {
    const mcp = await demo();
    let answer: ((r: Record<string, unknown>) => void) | undefined;
    const waiting: ConnectionHooks = {
      ...hooks,
      // The server's form waits here, as it would for a person, keeping the call in flight.
      request: () => new Promise<Record<string, unknown>>((resolve) => (answer = resolve)),
    };
    const { pool, closedInUse } = poolFor(
      mcp,
      { maxConnections: 1, capWaitMs: 300, hooks: waiting },
      'legacy',
    );
    const ctx = { conversation: conv('a'), server: 'demo', tool: 'create_ticket_v2' };
    const held = pool.use('p:w:a', 'demo', (c) =>
      c.callTool(ctx, 'create_ticket_v2', { initial_description: 'held' }),
    );
    await expect.poll(() => answer !== undefined).toBe(true);
    const err = await pool
      .use('p:w:b', 'demo', (c) => c.callTool({ ...ctx, conversation: conv('b') }, 'echo', { message: 'b' }))
      .catch((e: unknown) => e);
    expect(isParleyError(err) && err.code).toBe('mcp_busy');
    expect(isParleyError(err) && err.userMessage).toMatch(/busy.*try again in a moment/i);
    // The held call was never touched, and finishes normally.
    answer?.({ action: 'decline' });
    const outcome = await held;
    expect(outcome.kind === 'result' && JSON.stringify(outcome.result.content)).toMatch(/not created/);
    expect(closedInUse).toEqual([]);
    // Once the form is answered the slot is free again: b gets through.
    const later = await pool.use('p:w:b', 'demo', (c) =>
      c.callTool({ ...ctx, conversation: conv('b') }, 'echo', { message: 'b later' }),
    );
    expect(later.kind === 'result' && JSON.stringify(later.result.content)).toContain('b later');
  });

  it('a connection listing its tools for the first time is not evicted (and LRU counts from the end of a use)', async () => {
    const mcp = await demo();
    // 2025-11-25: one connection per person (a 2026-07-28 one would be shared by all).
    const { pool, closedInUse } = poolFor(mcp, { maxConnections: 2 }, 'legacy');
    const ctx = (who: string) => ({ conversation: conv(who), server: 'demo', tool: 'echo' });
    const echo = (who: string) =>
      pool.use(who, 'demo', (c) => c.callTool(ctx(who), 'echo', { message: who }));
    const a = await pool.get('p:w:a', 'demo');
    const b = await pool.get('p:w:b', 'demo');
    // a connected first but was used last: b is the one to go.
    await echo('p:w:a');
    await echo('p:w:c');
    expect(a.isOpen).toBe(true);
    expect(b.isOpen).toBe(false);
    // Everyone at once, each a fresh connection listing tools: none closes another's.
    await Promise.all(['d', 'e', 'f', 'g'].map((x) => echo(`p:w:${x}`)));
    expect(closedInUse).toEqual([]);
  });
});
