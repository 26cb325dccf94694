/**
 * The demo MCP server as an OAuth resource server, with real tokens from the demo auth server.
 * Tokens that server would never issue (wrong audience, issuer or expiry) come from a rogue issuer
 * the MCP server is made to trust, so each is refused for its own reason and not its signature.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../helpers/auth-mock-tokens.js';
import {
  callToolManually,
  connectTestClient,
  ERAS,
  isInputRequiredResult,
  textOf,
} from '../helpers/mcp-client.js';
import {
  type DemoServerWithAuthMock,
  type DemoServerWithStandIn,
  startDemoServerWithAuthMock,
  startDemoServerWithStandIn,
} from '../helpers/mcp-demo-server.js';

let fx: DemoServerWithAuthMock;
let prmUrl: string;
beforeAll(async () => {
  fx = await startDemoServerWithAuthMock();
  prmUrl = `http://127.0.0.1:${fx.server.port}/.well-known/oauth-protected-resource/mcp`;
});
afterAll(async () => fx.close());

/** A real access token for a demo user (alice, bob, carol). */
const token = (user: string, scope: string) =>
  issueAccessToken(fx.auth, { user, scope, resource: fx.server.url });

/** One raw JSON-RPC POST, as a client would send it before any session exists. */
function rawCall(
  method: string,
  params: Record<string, unknown>,
  bearer?: string,
  url = fx.server.url,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
}
const rawToolCall = (name: string, bearer?: string, url?: string) =>
  rawCall('tools/call', { name, arguments: {} }, bearer, url);

describe('protected resource metadata', () => {
  it.each(['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'])(
    'is served at %s',
    async (path) => {
      const res = await fetch(`http://127.0.0.1:${fx.server.port}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        resource: fx.server.url,
        authorization_servers: [fx.auth.url],
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

  describe('with tokens the demo auth server would never issue', () => {
    let rogue: DemoServerWithStandIn;
    beforeAll(async () => {
      rogue = await startDemoServerWithStandIn();
    });
    afterAll(async () => rogue?.close());
    const forged = (extra: { aud?: string; iss?: string; expiresIn?: number } = {}) =>
      rogue.issuer.mintToken({ sub: 'alice', scope: 'tickets:read', aud: rogue.server.url, ...extra });
    const rogueMetadataUrl = () =>
      `http://127.0.0.1:${rogue.server.port}/.well-known/oauth-protected-resource/mcp`;

    it('accepts a well-formed one from the issuer it trusts (so the refusals below are about the claims)', async () => {
      const client = await connectTestClient(rogue.server.url, { era: 'modern', token: await forged() });
      try {
        expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe('alice');
      } finally {
        await client.close();
      }
    });

    it('rejects a token for another audience, an expired one and a foreign issuer with 401 invalid_token', async () => {
      const cases = [
        await forged({ aud: 'http://127.0.0.1:1/other-mcp' }),
        await forged({ expiresIn: -60 }),
        await forged({ iss: 'http://127.0.0.1:1' }),
        'not-a-jwt',
      ];
      for (const bad of cases) {
        const res = await rawToolCall('whoami', bad, rogue.server.url);
        expect(res.status).toBe(401);
        const header = res.headers.get('www-authenticate') ?? '';
        expect(header).toContain('error="invalid_token"');
        expect(header).toContain(`resource_metadata="${rogueMetadataUrl()}"`);
      }
      // A present token is verified on every request, not only on protected tools.
      const listing = await rawCall('tools/list', {}, cases[0], rogue.server.url);
      expect(listing.status).toBe(401);
    });

    it('rejects a token signed by anyone but its own authorization server', async () => {
      const res = await rawToolCall('whoami', await forged({ aud: fx.server.url, iss: fx.auth.url }));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate') ?? '').toContain('error="invalid_token"');
    });
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
    const alice = await connect(await token('alice', 'tickets:read tickets:write'));
    const bob = await connect(await token('bob', 'tickets:read'));

    expect(textOf(await alice.callTool({ name: 'whoami', arguments: {} }))).toBe('alice');
    expect(textOf(await bob.callTool({ name: 'whoami', arguments: {} }))).toBe('bob');

    // Both eras sign in as the same alice: each era's tickets are told apart by their text.
    const badge = `Badge broken (${era})`;
    const chair = `Chair wobbles (${era})`;
    const added = await alice.callTool({ name: 'add_my_ticket', arguments: { description: badge } });
    expect(added.isError).toBeFalsy();
    expect(textOf(added)).toMatch(/^Added ticket T-\d+ for alice: /);
    expect(textOf(added).endsWith(badge)).toBe(true);
    // Tickets made by other tools belong to the token's user too.
    await alice.callTool({
      name: 'create_ticket',
      arguments: { initial_description: chair, reporter_name: 'Alice', priority: 'low' },
    });

    const aliceList = textOf(await alice.callTool({ name: 'list_my_tickets', arguments: {} }));
    expect(aliceList).toContain(badge);
    expect(aliceList).toContain(chair);
    expect(textOf(await bob.callTool({ name: 'list_my_tickets', arguments: {} }))).toBe(
      'You have no tickets.',
    );
    const alices = (await fx.server.tickets.list('alice')).map((t) => t.description);
    expect(alices.filter((d) => d.endsWith(`(${era})`))).toEqual([badge, chair]);

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
    const bob = await connectTestClient(fx.server.url, {
      era: 'modern',
      autoFulfill: false,
      token: await token('bob', 'tickets:read'),
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
          bob,
          'book_appointment_v2',
          {},
          {
            inputResponses: { slot: { action: 'accept', content: { date: '2026-01-01', slot: '09:00' } } },
            requestState: round.requestState,
          },
        ),
      ).rejects.toMatchObject({ code: -32602 });
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });
});
