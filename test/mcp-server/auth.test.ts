import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callToolManually,
  connectTestClient,
  ERAS,
  isInputRequiredResult,
  textOf,
} from '../helpers/mcp-client.js';
import { type DemoServerFixture, startDemoServerFixture } from '../helpers/mcp-demo-server.js';

let fx: DemoServerFixture;
let prmUrl: string;
beforeAll(async () => {
  fx = await startDemoServerFixture();
  prmUrl = `http://127.0.0.1:${fx.server.port}/.well-known/oauth-protected-resource/mcp`;
});
afterAll(async () => fx.close());

const token = (sub: string, scope: string, extra: { aud?: string; iss?: string; expiresIn?: number } = {}) =>
  fx.issuer.mintToken({ sub, scope, aud: extra.aud ?? fx.server.url, ...extra });

/** One raw JSON-RPC POST, as a client would send it before any session exists. */
function rawCall(method: string, params: Record<string, unknown>, bearer?: string): Promise<Response> {
  return fetch(fx.server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
}
const rawToolCall = (name: string, bearer?: string) => rawCall('tools/call', { name, arguments: {} }, bearer);

describe('protected resource metadata', () => {
  it.each(['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'])(
    'is served at %s',
    async (path) => {
      const res = await fetch(`http://127.0.0.1:${fx.server.port}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        resource: fx.server.url,
        authorization_servers: [fx.issuer.url],
        scopes_supported: ['tickets:read', 'tickets:write', 'calendar'],
        bearer_methods_supported: ['header'],
      });
    },
  );
});

describe('the authorization challenge', () => {
  it('answers a protected call without a token with 401 and where to sign in', async () => {
    for (const tool of ['whoami', 'list_my_tickets']) {
      const res = await rawToolCall(tool);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${prmUrl}", scope="tickets:read"`,
      );
    }
    const write = await rawToolCall('add_my_ticket');
    expect(write.status).toBe(401);
    expect(write.headers.get('www-authenticate')).toContain('scope="tickets:write"');
  });

  it('answers a token without the scope with 403 insufficient_scope, asking for every scope needed', async () => {
    const res = await rawToolCall('add_my_ticket', await token('alice', 'tickets:read'));
    expect(res.status).toBe(403);
    const header = res.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/^Bearer /);
    expect(header).toContain('error="insufficient_scope"');
    expect(header).toContain('scope="tickets:read tickets:write"');
    expect(header).toContain(`resource_metadata="${prmUrl}"`);
  });

  it('rejects a token for another audience, an expired one and a foreign issuer with 401 invalid_token', async () => {
    const cases = [
      await token('alice', 'tickets:read', { aud: 'http://127.0.0.1:1/other-mcp' }),
      await token('alice', 'tickets:read', { expiresIn: -60 }),
      await token('alice', 'tickets:read', { iss: 'http://127.0.0.1:1' }),
      'not-a-jwt',
    ];
    for (const bad of cases) {
      const res = await rawToolCall('whoami', bad);
      expect(res.status).toBe(401);
      const header = res.headers.get('www-authenticate') ?? '';
      expect(header).toContain('error="invalid_token"');
      expect(header).toContain(`resource_metadata="${prmUrl}"`);
    }
    // A present token is verified on every request, not only on protected tools.
    const listing = await rawCall('tools/list', {}, cases[0]);
    expect(listing.status).toBe(401);
  });

  it('lets everything else through without a token', async () => {
    const res = await rawCall('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'raw', version: '0' },
    });
    expect(res.status).toBe(200);
  });
});

describe.each(ERAS)('tools that need OAuth, %s era', (era) => {
  const clients: Client[] = [];
  afterAll(async () => Promise.all(clients.map((c) => c.close())));
  const connect = async (bearer?: string) => {
    const client = await connectTestClient(fx.server.url, { era, ...(bearer ? { token: bearer } : {}) });
    clients.push(client);
    return client;
  };

  it('refuses the call through a real client without a token', async () => {
    const client = await connect();
    await expect(client.callTool({ name: 'whoami', arguments: {} })).rejects.toMatchObject({
      data: expect.objectContaining({ status: 401 }),
      message: expect.stringContaining('Sign in first'),
    });
    // The rest of the session still works.
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe(
      'still here',
    );
  });

  it('answers for the signed-in user', async () => {
    const alice = await connect(await token(`alice-${era}`, 'tickets:read tickets:write'));
    const bob = await connect(await token(`bob-${era}`, 'tickets:read'));

    expect(textOf(await alice.callTool({ name: 'whoami', arguments: {} }))).toBe(`alice-${era}`);
    expect(textOf(await bob.callTool({ name: 'whoami', arguments: {} }))).toBe(`bob-${era}`);

    const added = await alice.callTool({ name: 'add_my_ticket', arguments: { description: 'Badge broken' } });
    expect(added.isError).toBeFalsy();
    expect(textOf(added)).toMatch(new RegExp(`^Added ticket T-\\d+ for alice-${era}: Badge broken$`));
    // Tickets made by other tools belong to the token's user too.
    await alice.callTool({
      name: 'create_ticket',
      arguments: { initial_description: 'Chair wobbles', reporter_name: 'Alice', priority: 'low' },
    });

    const aliceList = textOf(await alice.callTool({ name: 'list_my_tickets', arguments: {} }));
    expect(aliceList).toContain('Badge broken');
    expect(aliceList).toContain('Chair wobbles');
    expect(textOf(await bob.callTool({ name: 'list_my_tickets', arguments: {} }))).toBe(
      'You have no tickets.',
    );
    expect((await fx.server.tickets.list(`alice-${era}`)).map((t) => t.description)).toEqual([
      'Badge broken',
      'Chair wobbles',
    ]);

    // Step-up: bob's token cannot write.
    await expect(bob.callTool({ name: 'add_my_ticket', arguments: { description: 'x' } })).rejects.toThrow(
      'Insufficient scope: required "tickets:read tickets:write"',
    );
  });
});

describe('caller identity without a token', () => {
  it('is the session on legacy and "anonymous" on modern', async () => {
    const a = await connectTestClient(fx.server.url, { era: 'legacy' });
    const b = await connectTestClient(fx.server.url, { era: 'legacy' });
    const modern = await connectTestClient(fx.server.url, { era: 'modern' });
    try {
      const made = await a.callTool({
        name: 'create_ticket',
        arguments: { initial_description: 'Only in session A', reporter_name: 'A', priority: 'low' },
      });
      const id = /T-\d+/.exec(textOf(made))?.[0] ?? '';
      const sessionA = (a.transport as { sessionId?: string } | undefined)?.sessionId;
      expect(sessionA).toBeTruthy();
      expect((await fx.server.tickets.get(`session:${sessionA}`, id))?.description).toBe('Only in session A');
      expect((await b.callTool({ name: 'delete_ticket', arguments: { id } })).isError).toBe(true);

      await modern.callTool({
        name: 'create_ticket',
        arguments: { initial_description: 'Anonymous one', reporter_name: 'M', priority: 'low' },
      });
      expect((await fx.server.tickets.list('anonymous')).map((t) => t.description)).toContain(
        'Anonymous one',
      );
    } finally {
      await Promise.all([a.close(), b.close(), modern.close()]);
    }
  });

  it('binds modern flow state to the caller who started it', async () => {
    const alice = await connectTestClient(fx.server.url, {
      era: 'modern',
      autoFulfill: false,
      token: await token('alice', 'tickets:read'),
    });
    const mallory = await connectTestClient(fx.server.url, {
      era: 'modern',
      autoFulfill: false,
      token: await token('mallory', 'tickets:read'),
    });
    try {
      const round = await callToolManually(
        alice,
        'book_appointment_v2',
        {},
        {
          inputResponses: { name: { action: 'accept', content: { name: 'Alice' } } },
        },
      );
      if (!isInputRequiredResult(round) || !round.requestState) throw new Error('expected state');
      await expect(
        callToolManually(
          mallory,
          'book_appointment_v2',
          {},
          {
            inputResponses: { slot: { action: 'accept', content: { date: '2026-01-01', slot: '09:00' } } },
            requestState: round.requestState,
          },
        ),
      ).rejects.toMatchObject({ code: -32602 });
    } finally {
      await Promise.all([alice.close(), mallory.close()]);
    }
  });
});
