/**
 * The connection pool against the real demo MCP server: one connect per key at a time, never a
 * 2025-11-25 session shared between people (pool-sharing.test.ts: what is shared), the cap with least-recently-used eviction, idle closing, and
 * a fresh connection after the server restarts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { type ConnectionHooks, McpConnection } from '../../src/mcp/connection.js';
import { McpPool } from '../../src/mcp/pool.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { conv } from '../helpers/surface.js';

const hooks: ConnectionHooks = {
  request: async () => ({ action: 'decline' }),
  elicitationComplete: () => undefined,
};

const toClose: Array<{ close(): Promise<unknown> } | { closeAll(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const c of toClose.splice(0))
    await ('closeAll' in c ? c.closeAll() : c.close()).catch(() => undefined);
});

function poolFor(
  mcp: DemoMcp,
  extra: Partial<ConstructorParameters<typeof McpPool>[0]> = {},
  era: 'auto' | 'legacy' = 'auto',
) {
  let connects = 0;
  const pool = new McpPool({
    servers: [demoServerConfig(mcp.url, { era })],
    hooks,
    logger: silentLogger(),
    requestTimeoutMs: 10_000,
    idleTimeoutMs: 60_000,
    maxConnections: 10,
    createConnection: (options) => {
      connects += 1;
      return new McpConnection(options);
    },
    ...extra,
  });
  toClose.push(pool);
  return { pool, connects: () => connects };
}

describe('MCP connection pool', () => {
  it('connects once per (person, server) however many ask at once, and never shares a 2025-11-25 session between people', async () => {
    const mcp = await startDemoMcp();
    toClose.push(mcp);
    const { pool, connects } = poolFor(mcp, {}, 'legacy');
    const same = await Promise.all(Array.from({ length: 10 }, () => pool.get('slack:T1:alice', 'demo')));
    expect(new Set(same).size).toBe(1);
    expect(connects()).toBe(1);
    const bob = await pool.get('slack:T1:bob', 'demo');
    expect(bob).not.toBe(same[0]);
    expect(connects()).toBe(2);
    // Tool lists are cached per server: a server without per-person sign-in lists once for all.
    const first = await pool.listTools('slack:T1:bob', 'demo');
    expect(await pool.listTools('slack:T1:bob', 'demo')).toBe(first);
    expect(await pool.listTools('slack:T1:carol', 'demo')).toBe(first);
    expect(connects()).toBe(2);
  });

  it('closes the least recently used connection at the cap', async () => {
    const mcp = await startDemoMcp();
    toClose.push(mcp);
    const { pool } = poolFor(mcp, { maxConnections: 2 }, 'legacy');
    const a = await pool.get('p:w:a', 'demo');
    await new Promise((r) => setTimeout(r, 5));
    const b = await pool.get('p:w:b', 'demo');
    await new Promise((r) => setTimeout(r, 5));
    await pool.get('p:w:c', 'demo');
    expect(pool.size).toBe(2);
    expect(a.isOpen).toBe(false);
    expect(b.isOpen).toBe(true);
  });

  it('never evicts a connection with a call in flight (it may hold a person’s open form)', async () => {
    const mcp = await startDemoMcp();
    toClose.push(mcp);
    let answer: ((r: Record<string, unknown>) => void) | undefined;
    const waiting = {
      ...hooks,
      // The server's form waits here, as it would for a person, keeping the call in flight.
      request: () => new Promise<Record<string, unknown>>((resolve) => (answer = resolve)),
    };
    const { pool } = poolFor(mcp, { maxConnections: 2, hooks: waiting }, 'legacy');
    const a = await pool.get('p:w:a', 'demo');
    const ctx = { conversation: conv('a'), server: 'demo', tool: 'create_ticket_v2' };
    const call = a.callTool(ctx, 'create_ticket_v2', { initial_description: 'held' });
    await expect.poll(() => answer !== undefined).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    const b = await pool.get('p:w:b', 'demo');
    await new Promise((r) => setTimeout(r, 5));
    await pool.get('p:w:c', 'demo');
    // a is the least recently used, but busy: b goes instead.
    expect(a.isOpen).toBe(true);
    expect(b.isOpen).toBe(false);
    answer?.({ action: 'decline' });
    const outcome = await call;
    expect(outcome.kind === 'result' && JSON.stringify(outcome.result.content)).toMatch(/not created/);
  });

  it('closes idle connections', async () => {
    const mcp = await startDemoMcp();
    toClose.push(mcp);
    const { pool } = poolFor(mcp, { idleTimeoutMs: 1_000 });
    const conn = await pool.get('p:w:idle', 'demo');
    await expect.poll(() => conn.isOpen, { timeout: 5_000, interval: 100 }).toBe(false);
    expect(pool.size).toBe(0);
  });

  it.each(['auto', 'legacy'] as const)('reconnects after the server restarts (%s era)', async (era) => {
    const first = await startDemoMcp();
    const port = first.port;
    const { pool, connects } = poolFor(first, {}, era);
    const ctx = { conversation: conv('r'), server: 'demo', tool: 'echo' };
    // echo is read-only: the pool may send it again when unsure whether it arrived.
    const echo = (message: string) =>
      pool.use('p:w:r', 'demo', (c) => c.callTool(ctx, 'echo', { message }), { repeatable: true });
    const text = (o: Awaited<ReturnType<typeof echo>>) =>
      o.kind === 'result' ? JSON.stringify(o.result.content) : '';
    expect(text(await echo('before'))).toContain('before');
    await first.close();
    const again = await startDemoMcp({ port });
    toClose.push(again);
    // The first call after the restart already succeeds: a stale 2025-11-25 session is replaced
    // (a stateless 2026-07-28 connection may simply carry on over a new socket).
    expect(text(await echo('after'))).toContain('after');
    expect(connects()).toBeGreaterThanOrEqual(era === 'legacy' ? 2 : 1);
  });

  it('after a restart, a connection idle for a moment is checked before a one-time call rides on it', async () => {
    const first = await startDemoMcp();
    const port = first.port;
    const { pool } = poolFor(first, {}, 'auto');
    const ctx = { conversation: conv('s'), server: 'demo', tool: 'echo' };
    const once = (message: string) => pool.use('p:w:s', 'demo', (c) => c.callTool(ctx, 'echo', { message }));
    await once('before');
    await first.close();
    const again = await startDemoMcp({ port });
    toClose.push(again);
    await new Promise((r) => setTimeout(r, 2_100));
    const outcome = await once('after');
    expect(outcome.kind === 'result' && JSON.stringify(outcome.result.content)).toContain('after');
  });
});
