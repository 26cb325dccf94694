/**
 * The demo auth server over real HTTP on an ephemeral port: discovery, registration, the code
 * flow with PKCE and resource indicators, JWT access tokens checked against the JWKS, refresh
 * rotation, the interactive sign-in page and the connect_calendar consent pages.
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import {
  authorizeUrl,
  CookieJar,
  callbackParams,
  pkce,
  REDIRECT_URI,
  type RegisteredClient,
  registerPublicClient,
  tokenRequest,
} from './oauth-test-client.js';

const MCP = 'http://127.0.0.1:3999/mcp';
const OTHER_MCP = 'http://127.0.0.1:4999/mcp';
const logger = pino({ level: 'silent' });

/** Auto-approved authorization code for `client`, with the verifier to redeem it. */
async function autoApprovedCode(
  auth: AuthMock,
  client: RegisteredClient,
  params: Record<string, string | undefined> = {},
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const res = await fetch(
    authorizeUrl(auth.url, {
      client_id: client.client_id,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: MCP,
      ...params,
    }),
    { redirect: 'manual' },
  );
  const callback = await callbackParams(res);
  const code = callback.get('code');
  if (!code) throw new Error(`no code: ${callback.toString()}`);
  return { code, verifier };
}

async function redeem(
  auth: AuthMock,
  client: RegisteredClient,
  code: string,
  verifier: string,
  resource = MCP,
) {
  return tokenRequest(auth.url, {
    grant_type: 'authorization_code',
    client_id: client.client_id,
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT_URI,
    resource,
  });
}

describe('demo auth server', () => {
  let auth: AuthMock;
  let client: RegisteredClient;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    auth = await startAuthMock({ port: 0, resources: [MCP], autoApprove: 'alice', logger });
    jwks = createRemoteJWKSet(new URL(`${auth.url}/jwks`));
    ({ client } = await registerPublicClient(auth.url));
  });
  afterAll(async () => {
    await auth?.close();
  });

  it('listens on loopback with the issuer derived from the bound port', () => {
    expect(auth.port).toBeGreaterThan(0);
    expect(auth.url).toBe(`http://127.0.0.1:${auth.port}`);
  });

  it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
    'serves %s with what an MCP client needs',
    async (path) => {
      const res = await fetch(`${auth.url}${path}`);
      expect(res.status).toBe(200);
      const meta = (await res.json()) as Record<string, unknown>;
      expect(meta).toMatchObject({
        issuer: auth.url,
        authorization_endpoint: `${auth.url}/auth`,
        token_endpoint: `${auth.url}/token`,
        registration_endpoint: `${auth.url}/reg`,
        jwks_uri: `${auth.url}/jwks`,
        code_challenge_methods_supported: ['S256'],
        response_types_supported: ['code'],
      });
      expect(meta.grant_types_supported).toEqual(
        expect.arrayContaining(['authorization_code', 'refresh_token']),
      );
      expect(meta.token_endpoint_auth_methods_supported).toContain('none');
      expect(meta.scopes_supported).toEqual(
        expect.arrayContaining(['tickets:read', 'tickets:write', 'calendar']),
      );
    },
  );

  it('registers a public client with a loopback http redirect URI', async () => {
    const { status, client: registered } = await registerPublicClient(auth.url, {
      redirect_uris: ['http://127.0.0.1:5173/oauth/callback', 'http://localhost:5173/cb'],
    });
    expect(status).toBe(201);
    expect(registered.client_id).toEqual(expect.any(String));
    expect(registered.token_endpoint_auth_method).toBe('none');
    expect(registered.client_secret).toBeUndefined();
    expect(registered.grant_types).toEqual(['authorization_code', 'refresh_token']);
  });

  it('registers clients that name resource scopes (as the MCP SDK does) without restricting them', async () => {
    const { status, client: registered } = await registerPublicClient(auth.url, {
      scope: 'tickets:read offline_access',
    });
    expect(status).toBe(201);
    expect(registered.scope).toBeUndefined();
    // Step-up to a scope not named at registration still works.
    const { code, verifier } = await autoApprovedCode(auth, registered, { scope: 'tickets:write calendar' });
    const { body } = await redeem(auth, registered, code, verifier);
    expect(body.scope).toBe('tickets:write calendar');
  });

  it('gives clients that register without grant_types the refresh_token grant too', async () => {
    const { status, client: registered } = await registerPublicClient(auth.url, { grant_types: undefined });
    expect(status).toBe(201);
    expect(registered.grant_types).toEqual(['authorization_code', 'refresh_token']);
  });

  it('refuses an authorization request without PKCE', async () => {
    const res = await fetch(authorizeUrl(auth.url, { client_id: client.client_id, resource: MCP }), {
      redirect: 'manual',
    });
    const callback = await callbackParams(res);
    expect(callback.get('error')).toBe('invalid_request');
    expect(callback.get('error_description')).toMatch(/PKCE/);
    expect(callback.get('code')).toBeNull();
  });

  it('refuses plain PKCE', async () => {
    const res = await fetch(
      authorizeUrl(auth.url, {
        client_id: client.client_id,
        resource: MCP,
        code_challenge: pkce().verifier,
        code_challenge_method: 'plain',
      }),
      { redirect: 'manual' },
    );
    const callback = await callbackParams(res);
    expect(callback.get('error')).toBe('invalid_request');
    expect(callback.get('error_description')).toMatch(/code_challenge_method/);
  });

  it('answers an auto-approved authorization with one redirect carrying the code, state and iss', async () => {
    const { challenge } = pkce();
    const res = await fetch(
      authorizeUrl(auth.url, {
        client_id: client.client_id,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: MCP,
        state: 'opaque-state',
      }),
      { redirect: 'manual' },
    );
    expect(res.headers.get('set-cookie')).toBeNull();
    const callback = await callbackParams(res);
    expect(callback.get('code')).toEqual(expect.any(String));
    expect(callback.get('state')).toBe('opaque-state');
    expect(callback.get('iss')).toBe(auth.url);
  });

  it('exchanges the code for a JWT access token for the resource, verifiable with the JWKS', async () => {
    const { code, verifier } = await autoApprovedCode(auth, client, {
      scope: 'tickets:read tickets:write',
    });
    const { status, body } = await redeem(auth, client, code, verifier);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'tickets:read tickets:write',
    });
    expect(body.refresh_token).toEqual(expect.any(String));

    const accessToken = body.access_token ?? '';
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const { payload } = await jwtVerify(accessToken, jwks, { issuer: auth.url, audience: MCP });
    expect(payload).toMatchObject({
      iss: auth.url,
      sub: 'alice',
      aud: MCP,
      scope: 'tickets:read tickets:write',
      client_id: client.client_id,
    });
    expect(payload.exp).toBe((payload.iat ?? 0) + 3600);
  });

  it('grants only the scopes that were asked for', async () => {
    const { code, verifier } = await autoApprovedCode(auth, client, { scope: 'calendar' });
    const { body } = await redeem(auth, client, code, verifier);
    const { payload } = await jwtVerify(body.access_token ?? '', jwks, { audience: MCP });
    expect(payload.scope).toBe('calendar');
  });

  it('refuses a wrong code verifier', async () => {
    const { code } = await autoApprovedCode(auth, client);
    const { status, body } = await redeem(auth, client, code, pkce().verifier);
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('refuses a code used twice', async () => {
    const { code, verifier } = await autoApprovedCode(auth, client);
    expect((await redeem(auth, client, code, verifier)).status).toBe(200);
    const again = await redeem(auth, client, code, verifier);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('refuses a resource it does not serve, at the authorization and at the token endpoint', async () => {
    const { challenge } = pkce();
    const res = await fetch(
      authorizeUrl(auth.url, {
        client_id: client.client_id,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: OTHER_MCP,
      }),
      { redirect: 'manual' },
    );
    expect((await callbackParams(res)).get('error')).toBe('invalid_target');

    const { code, verifier } = await autoApprovedCode(auth, client);
    const swapped = await redeem(auth, client, code, verifier, OTHER_MCP);
    expect(swapped.status).toBe(400);
    expect(swapped.body.error).toBe('invalid_target');
  });

  it('accepts a resource added later with setResources', async () => {
    auth.setResources([MCP, OTHER_MCP]);
    try {
      const { code, verifier } = await autoApprovedCode(auth, client, { resource: OTHER_MCP });
      const { status, body } = await redeem(auth, client, code, verifier, OTHER_MCP);
      expect(status).toBe(200);
      const { payload } = await jwtVerify(body.access_token ?? '', jwks, { audience: OTHER_MCP });
      expect(payload.aud).toBe(OTHER_MCP);
    } finally {
      auth.setResources([MCP]);
    }
    expect(auth.resources).toEqual([MCP]);
  });

  it('uses the granted resource when the token request names none', async () => {
    const { code, verifier } = await autoApprovedCode(auth, client);
    const { body } = await tokenRequest(auth.url, {
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
    });
    const { payload } = await jwtVerify(body.access_token ?? '', jwks, { audience: MCP });
    expect(payload.sub).toBe('alice');
  });

  it('rotates refresh tokens: the new one works, the used one is dead', async () => {
    const { code, verifier } = await autoApprovedCode(auth, client, { scope: 'tickets:read' });
    const first = await redeem(auth, client, code, verifier);
    const oldRefresh = first.body.refresh_token ?? '';

    const refreshed = await tokenRequest(auth.url, {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: oldRefresh,
      resource: MCP,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toEqual(expect.any(String));
    expect(refreshed.body.refresh_token).not.toBe(oldRefresh);
    const { payload } = await jwtVerify(refreshed.body.access_token ?? '', jwks, { audience: MCP });
    expect(payload).toMatchObject({ sub: 'alice', scope: 'tickets:read', aud: MCP });

    const replay = await tokenRequest(auth.url, {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: oldRefresh,
    });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('refuses unknown auto-approve users', () => {
    expect(() => auth.setAutoApprove('mallory')).toThrow(/alice, bob, carol/);
  });

  it('renders a clean error page for an unknown client', async () => {
    const res = await fetch(authorizeUrl(auth.url, { client_id: 'no-such-client' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Sign-in could not continue');
    expect(html).toContain('invalid_client');
  });
});

describe('demo auth server with a short access token lifetime', () => {
  let auth: AuthMock;
  beforeAll(async () => {
    auth = await startAuthMock({
      port: 0,
      resources: [MCP],
      autoApprove: 'carol',
      accessTokenTtlSeconds: 2,
      logger,
    });
  });
  afterAll(async () => {
    await auth?.close();
  });

  it('issues access tokens that expire after the configured seconds', async () => {
    const { client } = await registerPublicClient(auth.url);
    const { code, verifier } = await autoApprovedCode(auth, client);
    const { body } = await redeem(auth, client, code, verifier);
    expect(body.expires_in).toBe(2);
    const { payload } = await jwtVerify(
      body.access_token ?? '',
      createRemoteJWKSet(new URL(`${auth.url}/jwks`)),
      // Checked as of its issue time: the 2 s token may have lapsed by now on a loaded machine.
      { audience: MCP, currentDate: new Date((decodeJwt(body.access_token ?? '').iat ?? 0) * 1000) },
    );
    expect(payload.sub).toBe('carol');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(2);
  });
});

describe('interactive sign-in', () => {
  let auth: AuthMock;
  let client: RegisteredClient;

  beforeAll(async () => {
    auth = await startAuthMock({ port: 0, resources: [MCP], logger });
    ({ client } = await registerPublicClient(auth.url, { client_name: 'Parley <script>alert(1)</script>' }));
  });
  afterAll(async () => {
    await auth?.close();
  });

  /** Starts an authorization in a fresh "browser" and returns it with the sign-in page path. */
  async function startSignIn(scope = 'tickets:read tickets:write', browser = new CookieJar()) {
    const { verifier, challenge } = pkce();
    const res = await browser.fetch(
      authorizeUrl(auth.url, {
        client_id: client.client_id,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: MCP,
        scope,
      }),
    );
    expect(res.status).toBe(303);
    const page = res.headers.get('location') ?? '';
    expect(page).toMatch(/^\/interaction\/[\w-]+$/);
    return { browser, verifier, page };
  }

  it('shows the demo users, the client, the scopes and the resource, escaped', async () => {
    const { browser, page } = await startSignIn();
    const res = await browser.fetch(`${auth.url}${page}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    for (const user of ['alice', 'bob', 'carol']) expect(html).toContain(`value="${user}"`);
    expect(html).toContain('Parley &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('tickets:read');
    expect(html).toContain('tickets:write');
    expect(html).toContain(MCP);
    expect(html).toContain(`action="${page}/confirm"`);
  });

  it('completes the flow for the user picked on the page', async () => {
    const { browser, verifier, page } = await startSignIn();
    await browser.fetch(`${auth.url}${page}`);
    const posted = await browser.fetch(`${auth.url}${page}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'bob', decision: 'allow' }),
    });
    expect(posted.status).toBe(303);
    const resume = posted.headers.get('location') ?? '';
    expect(resume.startsWith(`${auth.url}/auth/`)).toBe(true);

    const callback = await callbackParams(await browser.fetch(resume));
    const code = callback.get('code') ?? '';
    const { status, body } = await redeem(auth, client, code, verifier);
    expect(status).toBe(200);
    const { payload } = await jwtVerify(
      body.access_token ?? '',
      createRemoteJWKSet(new URL(`${auth.url}/jwks`)),
      {
        audience: MCP,
      },
    );
    expect(payload).toMatchObject({ sub: 'bob', scope: 'tickets:read tickets:write' });
  });

  it('asks again on the next authorization, so another user can sign in from the same browser', async () => {
    const { browser, page } = await startSignIn();
    await browser.fetch(`${auth.url}${page}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'bob', decision: 'allow' }),
    });
    const { challenge } = pkce();
    const again = await browser.fetch(
      authorizeUrl(auth.url, {
        client_id: client.client_id,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    );
    expect(again.headers.get('location') ?? '').toMatch(/^\/interaction\//);
  });

  it('lets another user sign in from the same browser right after', async () => {
    const sameBrowser = new CookieJar();
    for (const user of ['bob', 'alice']) {
      const { browser, verifier, page } = await startSignIn(undefined, sameBrowser);
      const posted = await browser.fetch(`${auth.url}${page}/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ user, decision: 'allow' }),
      });
      const code =
        (await callbackParams(await browser.fetch(posted.headers.get('location') ?? ''))).get('code') ?? '';
      const { body } = await redeem(auth, client, code, verifier);
      const { payload } = await jwtVerify(
        body.access_token ?? '',
        createRemoteJWKSet(new URL(`${auth.url}/jwks`)),
        {
          audience: MCP,
        },
      );
      expect(payload.sub).toBe(user);
    }
  });

  it('sends access_denied to the client when the person denies', async () => {
    const { browser, page } = await startSignIn();
    const posted = await browser.fetch(`${auth.url}${page}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'deny' }),
    });
    const callback = await callbackParams(await browser.fetch(posted.headers.get('location') ?? ''));
    expect(callback.get('error')).toBe('access_denied');
    expect(callback.get('code')).toBeNull();
  });

  it('asks again when no user was picked', async () => {
    const { browser, page } = await startSignIn();
    const posted = await browser.fetch(`${auth.url}${page}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'mallory', decision: 'allow' }),
    });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain('Please pick a user');
  });

  it('explains an expired or foreign sign-in instead of failing obscurely', async () => {
    const { page } = await startSignIn();
    const res = await fetch(`${auth.url}${page}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('This sign-in has expired');
  });

  it('switches to auto-approve at runtime and back', async () => {
    auth.setAutoApprove('bob');
    try {
      const { verifier, challenge } = pkce();
      const res = await fetch(
        authorizeUrl(auth.url, {
          client_id: client.client_id,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          resource: MCP,
        }),
        { redirect: 'manual' },
      );
      const code = (await callbackParams(res)).get('code') ?? '';
      const { body } = await redeem(auth, client, code, verifier);
      const { payload } = await jwtVerify(
        body.access_token ?? '',
        createRemoteJWKSet(new URL(`${auth.url}/jwks`)),
        {
          audience: MCP,
        },
      );
      expect(payload.sub).toBe('bob');
    } finally {
      auth.setAutoApprove(undefined);
    }
    const { page } = await startSignIn();
    expect(page).toMatch(/^\/interaction\//);
  });
});

describe('connect_calendar consent', () => {
  let auth: AuthMock;
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
  const status = async (id: string) => {
    const res = await fetch(`${auth.url}/calendar/status/${encodeURIComponent(id)}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { status: string }).status;
  };

  beforeAll(async () => {
    auth = await startAuthMock({ port: 0, resources: [MCP], logger });
  });
  afterAll(async () => {
    await auth?.close();
  });

  it('reports unknown ids as pending', async () => {
    expect(await status('never-seen')).toBe('pending');
  });

  it('shows the consent page and records Allow', async () => {
    const page = await fetch(`${auth.url}/calendar/connect?elicitation_id=el-1`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Parley Demo Tickets wants to read your calendar');
    expect(html).toContain('action="/calendar/connect"');
    expect(html).toContain('name="elicitation_id" value="el-1"');
    expect(await status('el-1')).toBe('pending');

    const done = await fetch(
      `${auth.url}/calendar/connect`,
      form({ elicitation_id: 'el-1', decision: 'allow' }),
    );
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('You can return to the chat');
    expect(await status('el-1')).toBe('approved');
  });

  it('records Deny, and the first decision stands', async () => {
    await fetch(`${auth.url}/calendar/connect`, form({ elicitation_id: 'el-2', decision: 'deny' }));
    expect(await status('el-2')).toBe('denied');
    const later = await fetch(
      `${auth.url}/calendar/connect`,
      form({ elicitation_id: 'el-2', decision: 'allow' }),
    );
    expect(await later.text()).toContain('Calendar access denied');
    expect(await status('el-2')).toBe('denied');
  });

  it('escapes the id it echoes into the page', async () => {
    const id = `"><script>alert('x')</script>&`;
    const html = await (
      await fetch(`${auth.url}/calendar/connect?elicitation_id=${encodeURIComponent(id)}`)
    ).text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;');
    await fetch(`${auth.url}/calendar/connect`, form({ elicitation_id: id, decision: 'allow' }));
    expect(await status(id)).toBe('approved');
  });

  it('refuses missing, oversized and malformed ids and decisions', async () => {
    expect((await fetch(`${auth.url}/calendar/connect`)).status).toBe(400);
    expect((await fetch(`${auth.url}/calendar/connect?elicitation_id=${'x'.repeat(257)}`)).status).toBe(400);
    expect((await fetch(`${auth.url}/calendar/status/${'x'.repeat(257)}`)).status).toBe(400);
    const bad = await fetch(
      `${auth.url}/calendar/connect`,
      form({ elicitation_id: 'el-3', decision: 'maybe' }),
    );
    expect(bad.status).toBe(400);
    expect(await status('el-3')).toBe('pending');
  });

  it('logs requests by route pattern, never the elicitation id in the path', async () => {
    const lines: string[] = [];
    const debugLogger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const logged = await startAuthMock({ port: 0, resources: [MCP], logger: debugLogger });
    try {
      await fetch(`${logged.url}/calendar/status/el-secret-capability`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await logged.close();
    }
    const requests = lines.filter((l) => l.includes('"msg":"request"'));
    expect(requests.join('\n')).toContain('"route":"/calendar/status/:id"');
    expect(lines.join('\n')).not.toContain('el-secret-capability');
  });

  it('approves on the GET in auto-approve mode', async () => {
    auth.setAutoApprove('alice');
    try {
      const res = await fetch(`${auth.url}/calendar/connect?elicitation_id=el-auto`);
      expect(await res.text()).toContain('Calendar connected');
      expect(await status('el-auto')).toBe('approved');
    } finally {
      auth.setAutoApprove(undefined);
    }
  });
});
