/**
 * The whole MCP authorization flow with real parts: the SDK client with an `OAuthClientProvider`,
 * the demo MCP server as resource server and the demo auth server (auto-approve) as authorization
 * server, each on an ephemeral loopback port.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AuthMock, startAuthMock } from '../auth-mock/server.js';
import type { DemoMcpServer } from '../mcp-server/server.js';
import { AutoApproveOAuthProvider, signedIn } from './auth-mock/auto-approve-oauth-provider.js';
import {
  authorizeUrl,
  callbackParams,
  pkce,
  REDIRECT_URI,
  registerPublicClient,
  tokenRequest,
} from './auth-mock/oauth-test-client.js';
import { startDemoMcp } from './helpers/demo.js';

const logger = pino({ level: 'silent' });

interface Stack {
  auth: AuthMock;
  mcp: DemoMcpServer;
}

async function startStack(accessTokenTtlSeconds?: number): Promise<Stack> {
  const auth = await startAuthMock({
    port: 0,
    autoApprove: 'alice',
    resources: [],
    accessTokenTtlSeconds,
    logger,
  });
  const mcp = await startDemoMcp({ authIssuer: auth.url, logger });
  // The MCP server's URL is known only now that it listens: accept it as a resource.
  auth.setResources([mcp.url]);
  return { auth, mcp };
}

/** A connected SDK client whose HTTP traffic (MCP and OAuth) is recorded. */
async function connect(mcp: DemoMcpServer, era: 'legacy' | 'modern' = 'legacy') {
  const provider = new AutoApproveOAuthProvider();
  const requests: Array<{ url: string; body: string }> = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    requests.push({ url, body: typeof init?.body === 'string' ? init.body : String(init?.body ?? '') });
    return fetch(input, init);
  };
  const transport = new StreamableHTTPClientTransport(new URL(mcp.url), {
    authProvider: provider,
    fetch: recordingFetch,
  });
  // 'auto' negotiates the stateless 2026-07-28 era with this server; the default stays on 2025-11-25.
  const client = new Client(
    { name: 'oauth-flow-test', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(transport);
  const tool = (name: string, args: Record<string, unknown> = {}) =>
    signedIn(transport, provider, () => client.callTool({ name, arguments: args }));
  const tokenCalls = (grantType: string) =>
    requests.filter(
      (r) => r.url.endsWith('/token') && new URLSearchParams(r.body).get('grant_type') === grantType,
    );
  return { client, transport, provider, tool, tokenCalls };
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((part) => part.text ?? '').join('\n');
}

describe('MCP OAuth flow: SDK client, demo MCP server, demo auth server', () => {
  let stack: Stack;
  const clients: Client[] = [];

  beforeAll(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    stack.auth.setAutoApprove('alice');
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await stack?.mcp.close();
    await stack?.auth.close();
  });

  it('answers a protected call without a token with 401 pointing at its resource metadata', async () => {
    const res = await fetch(stack.mcp.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {} },
      }),
    });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1] ?? '';
    const metadata = (await (await fetch(metadataUrl)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource: stack.mcp.url, authorization_servers: [stack.auth.url] });
  });

  it.each(['legacy', 'modern'] as const)(
    'signs alice in from a 401 (%s era): discovery, registration, authorize, token, whoami',
    async (era) => {
      const { client, provider, tool } = await connect(stack.mcp, era);
      clients.push(client);
      expect(client.getProtocolEra()).toBe(era);

      expect(textOf(await tool('whoami'))).toBe('alice');

      // Dynamic registration with the auth server, keyed by its issuer.
      expect(provider.registrations.get(stack.auth.url)?.client_id).toEqual(expect.any(String));
      // One authorization, with PKCE S256 and the MCP server as resource.
      expect(provider.authorizations).toHaveLength(1);
      const authorization = provider.authorizations[0]?.searchParams;
      expect(authorization?.get('code_challenge_method')).toBe('S256');
      expect(authorization?.get('resource')).toBe(stack.mcp.url);
      // The token is a JWT for the MCP server, for alice.
      const claims = decodeJwt(provider.tokens()?.access_token ?? '');
      expect(claims).toMatchObject({ iss: stack.auth.url, aud: stack.mcp.url, sub: 'alice' });
      expect(String(claims.scope).split(' ')).toContain('tickets:read');
    },
  );

  it('steps up from tickets:read to tickets:write when a tool needs it', async () => {
    const { client, provider, tool } = await connect(stack.mcp);
    clients.push(client);
    await tool('whoami');
    expect(decodeJwt(provider.tokens()?.access_token ?? '').scope).toBe('tickets:read');

    const added = await tool('add_my_ticket', { description: 'Alice: printer jams' });
    expect(textOf(added)).toContain('Alice: printer jams');
    expect(added.isError).toBeFalsy();

    // The 403 insufficient_scope led to a second authorization asking for both scopes.
    expect(provider.authorizations).toHaveLength(2);
    expect(provider.authorizations[1]?.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining(['tickets:read', 'tickets:write']),
    );
    expect(String(decodeJwt(provider.tokens()?.access_token ?? '').scope).split(' ')).toEqual(
      expect.arrayContaining(['tickets:read', 'tickets:write']),
    );
    expect(textOf(await tool('list_my_tickets'))).toContain('Alice: printer jams');
  });

  it('keeps bob, signed in separately, to his own tickets', async () => {
    const alice = await connect(stack.mcp);
    clients.push(alice.client);
    await alice.tool('add_my_ticket', { description: 'Alice: VPN is down' });
    // Both scopes now, so nothing below makes alice's client sign in again (it would come back
    // as bob: auto-approve answers for whoever it is set to).
    expect(textOf(await alice.tool('list_my_tickets'))).toContain('Alice: VPN is down');

    stack.auth.setAutoApprove('bob');
    const bob = await connect(stack.mcp);
    clients.push(bob.client);
    expect(textOf(await bob.tool('whoami'))).toBe('bob');
    await bob.tool('add_my_ticket', { description: 'Bob: new laptop' });

    const bobs = textOf(await bob.tool('list_my_tickets'));
    expect(bobs).toContain('Bob: new laptop');
    expect(bobs).not.toContain('Alice');
    const alices = textOf(await alice.tool('list_my_tickets'));
    expect(alices).toContain('Alice: VPN is down');
    expect(alices).not.toContain('Bob');
    expect(alice.provider.authorizations).toHaveLength(2);
  });

  it('rejects a token issued for another audience', async () => {
    const elsewhere = 'http://127.0.0.1:1/other-mcp';
    stack.auth.setResources([stack.mcp.url, elsewhere]);
    try {
      const { client } = await registerPublicClient(stack.auth.url);
      const token = async (resource: string) => {
        const { verifier, challenge } = pkce();
        const res = await fetch(
          authorizeUrl(stack.auth.url, {
            client_id: client.client_id,
            code_challenge: challenge,
            code_challenge_method: 'S256',
            resource,
          }),
          { redirect: 'manual' },
        );
        const code = (await callbackParams(res)).get('code') ?? '';
        const { body } = await tokenRequest(stack.auth.url, {
          grant_type: 'authorization_code',
          client_id: client.client_id,
          code,
          code_verifier: verifier,
          redirect_uri: REDIRECT_URI,
          resource,
        });
        return body.access_token ?? '';
      };
      const post = (accessToken: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(stack.mcp.url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${accessToken}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
          body: JSON.stringify(body),
        });
      const whoamiCall = {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {} },
      };

      const foreign = await post(await token(elsewhere), whoamiCall);
      expect(foreign.status).toBe(401);
      expect(foreign.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);

      // With a token for this server the same call is answered, for alice (in a legacy session).
      const own = await token(stack.mcp.url);
      const init = await post(own, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'raw', version: '0' },
        },
      });
      expect(init.status).toBe(200);
      await init.text();
      const session = {
        'mcp-session-id': init.headers.get('mcp-session-id') ?? '',
        'mcp-protocol-version': '2025-11-25',
      };
      const answered = await post(own, whoamiCall, session);
      expect(answered.status).toBe(200);
      expect(await answered.text()).toMatch(/"text":"alice"/);
    } finally {
      stack.auth.setResources([stack.mcp.url]);
    }
  });
});

describe('MCP OAuth flow with short-lived access tokens', () => {
  let stack: Stack;
  let client: Client | undefined;

  beforeAll(async () => {
    // Four seconds: `exp` has whole-second precision, so a short token can be dead well before
    // its nominal lifetime, and a refreshed one must outlive the retry even under load.
    stack = await startStack(4);
  });
  afterAll(async () => {
    await client?.close();
    await stack?.mcp.close();
    await stack?.auth.close();
  });

  it('refreshes an expired access token without a new authorization', async () => {
    const session = await connect(stack.mcp);
    client = session.client;
    expect(textOf(await session.tool('whoami'))).toBe('alice');
    const first = session.provider.tokens();
    expect(first?.expires_in).toBe(4);

    // Let the access token expire (the MCP server allows no clock skew).
    await new Promise((resolve) => setTimeout(resolve, 5100));

    expect(textOf(await session.tool('whoami'))).toBe('alice');
    expect(session.provider.authorizations).toHaveLength(1);
    expect(session.tokenCalls('refresh_token')).toHaveLength(1);
    const second = session.provider.tokens();
    expect(second?.access_token).not.toBe(first?.access_token);
    // Rotation: the refresh token was replaced too.
    expect(second?.refresh_token).toEqual(expect.any(String));
    expect(second?.refresh_token).not.toBe(first?.refresh_token);
  });
});
