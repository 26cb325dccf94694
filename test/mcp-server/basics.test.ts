import { request } from 'node:http';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestClient, ERAS, textOf } from '../helpers/mcp-client.js';
import { type DemoServerFixture, startDemoServerFixture } from '../helpers/mcp-demo-server.js';

const TOOL_NAMES = [
  'add_my_ticket',
  'book_appointment_v2',
  'calendar_events',
  'connect_calendar',
  'create_ticket',
  'create_ticket_v2',
  'delete_ticket',
  'echo',
  'list_my_tickets',
  'summarize_tickets',
  'survey',
  'whoami',
];

let fx: DemoServerFixture;
beforeAll(async () => {
  fx = await startDemoServerFixture({ allowedHosts: ['mcp.example.test'] });
});
afterAll(async () => fx.close());

describe.each(ERAS)('over HTTP, %s era', (era) => {
  let client: Client;
  beforeAll(async () => {
    client = await connectTestClient(fx.server.url, { era });
  });
  afterAll(async () => client.close());

  it('negotiated the expected protocol version', () => {
    expect(client.getProtocolEra()).toBe(era);
    expect(client.getNegotiatedProtocolVersion()).toBe(era === 'modern' ? '2026-07-28' : '2025-11-25');
  });

  it('lists every tool', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
  });

  it('echoes the message', async () => {
    const result = await client.callTool({ name: 'echo', arguments: { message: `hello ${era}` } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe(`hello ${era}`);
  });

  it('marks delete_ticket destructive', async () => {
    const { tools } = await client.listTools();
    const del = tools.find((t) => t.name === 'delete_ticket');
    expect(del?.annotations?.destructiveHint).toBe(true);
    expect(del?.annotations?.readOnlyHint).toBe(false);
    expect(tools.find((t) => t.name === 'echo')?.annotations?.destructiveHint).toBeUndefined();
  });

  it('deletes a ticket the caller owns, and refuses an unknown id', async () => {
    const created = await client.callTool({
      name: 'create_ticket',
      arguments: { initial_description: 'printer on fire', reporter_name: 'Ann', priority: 'high' },
    });
    const id = /T-\d+/.exec(textOf(created))?.[0];
    expect(id).toBeDefined();

    const deleted = await client.callTool({ name: 'delete_ticket', arguments: { id } });
    expect(deleted.isError).toBeFalsy();
    expect(textOf(deleted)).toBe(`Deleted ticket ${id}.`);

    const again = await client.callTool({ name: 'delete_ticket', arguments: { id } });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toContain(`no ticket with id "${id}"`);
  });
});

describe('malformed requests', () => {
  it('answers a non-JSON body with 415 and broken JSON with a JSON-RPC parse error', async () => {
    const wrongType = await fetch(fx.server.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: 'application/json, text/event-stream' },
      body: 'hello',
    });
    expect(wrongType.status).toBe(415);

    const broken = await fetch(fx.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null });
  });

  it('answers an unknown session with 404 so a legacy client starts over', async () => {
    const res = await fetch(fx.server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': 'no-such-session',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: -32001 }, id: 7 });
  });
});

describe('Host header (DNS rebinding protection)', () => {
  const post = (host: string): Promise<number> => {
    const { port } = fx.server;
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    });
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/mcp',
          method: 'POST',
          headers: {
            host,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };

  it('rejects a foreign Host with 403', async () => {
    expect(await post('evil.example.com')).toBe(403);
    expect(await post(`attacker.test:${fx.server.port}`)).toBe(403);
  });

  it('accepts the loopback names and configured hosts', async () => {
    expect(await post(`127.0.0.1:${fx.server.port}`)).toBe(200);
    expect(await post(`localhost:${fx.server.port}`)).toBe(200);
    expect(await post('mcp.example.test')).toBe(200);
  });

  it('binds to loopback by default and reports the full URL', () => {
    expect(fx.server.url).toBe(`http://127.0.0.1:${fx.server.port}/mcp`);
  });
});
