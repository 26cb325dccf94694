/**
 * What the pool shares between people (issue 12 §2): a 2026-07-28 connection to a server without
 * per-person sign-in carries nothing of anyone's (no session; input rounds come back in each
 * call's own result), so everyone uses one; a 2025-11-25 session, configured or found when the
 * shared connection was opened, stays per person, as does anything signed in or spawned.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serverSchema } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { type ConnectionHooks, McpConnection } from '../../src/mcp/connection.js';
import { McpPool } from '../../src/mcp/pool.js';
import { demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { conv } from '../helpers/surface.js';

const hooks: ConnectionHooks = {
  request: async () => ({ action: 'decline' }),
  elicitationComplete: () => undefined,
};

const toClose: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of toClose.splice(0)) await c().catch(() => undefined);
});

function poolFor(server: ReturnType<typeof serverSchema.parse>) {
  const opened: McpConnection[] = [];
  const pool = new McpPool({
    servers: [server],
    hooks,
    logger: silentLogger(),
    requestTimeoutMs: 10_000,
    idleTimeoutMs: 60_000,
    maxConnections: 50,
    createConnection: (options) => {
      const conn = new McpConnection(options);
      opened.push(conn);
      return conn;
    },
  });
  toClose.push(() => pool.closeAll());
  return { pool, opened };
}

/** A server that speaks only 2025-11-25 (sessions), echoing the session a call arrived on. */
async function legacyOnlyServer(): Promise<string> {
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      const server = new McpServer({ name: 'old', version: '1' });
      server.registerTool('session', { inputSchema: z.object({}) }, async (_args, ctx) => ({
        content: [{ type: 'text', text: String(ctx.sessionId) }],
      }));
      const created = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void sessions.set(sid, created),
      });
      await server.connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  toClose.push(
    () =>
      new Promise((r) => {
        http.closeAllConnections();
        http.close(r);
      }),
  );
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

const people = Array.from({ length: 6 }, (_, i) => `slack:T1:u${i}`);

describe('connections shared between people', () => {
  it('a 2026-07-28 server without sign-in: one connection for everyone, each call its own answer', async () => {
    const mcp = await startDemoMcp();
    toClose.push(() => mcp.close());
    const { pool, opened } = poolFor(demoServerConfig(mcp.url));
    const answers = await Promise.all(
      people.map((who) =>
        pool.use(who, 'demo', (c) =>
          c.callTool({ conversation: conv(who), server: 'demo', tool: 'echo' }, 'echo', { message: who }),
        ),
      ),
    );
    for (const [i, a] of answers.entries())
      expect(a.kind === 'result' && JSON.stringify(a.result.content)).toContain(people[i]);
    expect(opened).toHaveLength(1);
    expect(opened[0]?.era).toBe('modern');
    expect(pool.size).toBe(1);
  });

  it('2025-11-25 configured: one session per person, never shared', async () => {
    const mcp = await startDemoMcp();
    toClose.push(() => mcp.close());
    const { pool, opened } = poolFor(demoServerConfig(mcp.url, { era: 'legacy' }));
    const conns = await Promise.all(people.map((who) => pool.get(who, 'demo')));
    expect(new Set(conns).size).toBe(people.length);
    expect(opened.map((c) => c.identity).sort()).toEqual([...people].sort());
  });

  it('2025-11-25 found on an `auto` server: the session stays its opener’s, everyone else gets their own', async () => {
    const url = await legacyOnlyServer();
    const server = serverSchema.parse({ name: 'old', url });
    const { pool, opened } = poolFor(server);
    expect(pool.shares(server)).toBe(true);
    // All at once: the first connect was meant to be shared when they asked.
    const sessions = await Promise.all(
      people.map(async (who) => {
        const outcome = await pool.use(who, 'old', (c) =>
          c.callTool({ conversation: conv(who), server: 'old', tool: 'session' }, 'session', {}),
        );
        return outcome.kind === 'result' ? JSON.stringify(outcome.result.content) : '';
      }),
    );
    expect(new Set(sessions).size).toBe(people.length);
    expect(opened.map((c) => c.identity).sort()).toEqual([...people].sort());
    expect(pool.shares(server)).toBe(false);
  });

  it('nothing signed in or spawned is shared', () => {
    const { pool } = poolFor(serverSchema.parse({ name: 'x', url: 'http://127.0.0.1:1/mcp' }));
    const url = 'http://127.0.0.1:1/mcp';
    expect(pool.shares(serverSchema.parse({ name: 'a', url }))).toBe(true);
    expect(
      pool.shares(
        serverSchema.parse({ name: 'h', url, auth: { type: 'headers', headers: { 'x-key': 'k' } } }),
      ),
    ).toBe(true);
    expect(pool.shares(serverSchema.parse({ name: 'o', url, auth: { type: 'oauth' } }))).toBe(false);
    expect(pool.shares(serverSchema.parse({ name: 'l', url, era: 'legacy' }))).toBe(false);
    expect(pool.shares(serverSchema.parse({ name: 's', command: 'node', args: [] }))).toBe(false);
  });
});
