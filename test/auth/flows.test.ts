/**
 * How sign-ins behave around the person: one open sign-in per server (asked twice, the same link
 * comes back), the callback resumes a turn paused by another Parley process, and the /login,
 * /logout and /whoami commands. Real demo auth server, demo MCP server and Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieJar, followSignInLink } from '../../src/auth/index.js';
import { identityKey } from '../../src/conversation.js';
import { type AuthStack, type ParleyProcess, startAuthStack } from '../helpers/auth-stack.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

describe('sign-in flows', () => {
  let stack: AuthStack;
  let p: ParleyProcess;
  const surface = new RecordingSurface();

  beforeAll(async () => {
    stack = await startAuthStack({ label: 'flows' });
    p = await stack.startProcess({ surface });
  });
  afterAll(async () => stack?.close());

  it('re-sends the open sign-in instead of starting a second one, and one sign-in resumes both requests', async () => {
    const u = 'twice';
    await p.agent.message(conv(u), '/call demo__whoami {}');
    await p.agent.message(conv(u), '/call demo__list_my_tickets {}');
    const first = await surface.waitFor(u, 'link', 1);
    const second = await surface.waitFor(u, 'link', 2);
    expect(second.url).toBe(first.url);
    expect(second.id).not.toBe(first.id);
    expect(second.message).toMatch(/same link again/);

    const page = await followSignInLink(first.url);
    expect(page.status).toBe(200);
    await surface.waitForText(u, /^alice$/);
    await surface.waitForText(u, /You have no tickets/);
    expect(surface.texts(u).filter((t) => t.includes('signed in'))).toEqual([
      '✅ You’re signed in to **Parley demo**.',
    ]);
    expect(surface.for(u)).toEqual(
      expect.arrayContaining([
        { kind: 'closed', id: first.id, outcome: 'done' },
        { kind: 'closed', id: second.id, outcome: 'done' },
      ]),
    );
  });

  it('a callback that reaches a second process resumes the turn the first one paused', async () => {
    const other = new RecordingSurface();
    // Both behind one public URL, as a load balancer would put them.
    const p2 = await stack.startProcess({ surface: other, publicBaseUrl: p.baseUrl });
    const u = 'roaming';
    await p.agent.message(conv(u), '/call demo__whoami {}');
    const link = await surface.waitFor(u, 'link');
    const atCallback = await followSignInLink(link.url, { stopAt: `${p.baseUrl}/oauth/callback` });
    const callback = new URL(atCallback.url);
    const res = await fetch(`${p2.baseUrl}${callback.pathname}${callback.search}`, {
      headers: { cookie: atCallback.cookie },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You’re signed in');
    // The second process tells the person and finishes the request.
    await other.waitForText(u, /You’re signed in/);
    await other.waitForText(u, /^alice$/);
    expect(surface.texts(u)).not.toContain('alice');
  });

  it('/login, /whoami and /logout', async () => {
    const u = 'commander';
    const whoami = async () => {
      const before = surface.texts(u).length;
      await p.agent.message(conv(u), '/whoami');
      return surface.texts(u)[before] ?? '';
    };
    expect(await whoami()).toMatch(/\*\*Parley demo\*\* \(`demo`\): not signed in — `\/login demo`/);

    await p.agent.message(conv(u), '/login demo');
    const link = await surface.waitFor(u, 'link');
    expect(link.purpose).toBe('signin');
    expect(await whoami()).toMatch(/a sign-in link is waiting for you/);
    await followSignInLink(link.url);
    await surface.waitForText(u, /You’re signed in to \*\*Parley demo\*\*/);
    expect(surface.for(u)).toContainEqual({ kind: 'closed', id: link.id, outcome: 'done' });
    expect(await whoami()).toMatch(/\*\*Parley demo\*\* \(`demo`\): signed in — access: .*tickets:read/);

    await p.agent.message(conv(u), '/login demo');
    await surface.waitForText(u, /already signed in to \*\*Parley demo\*\*/);
    await p.agent.message(conv(u), '/call demo__whoami {}');
    await surface.waitForText(u, /^alice$/);

    await p.agent.message(conv(u), '/logout demo');
    await surface.waitForText(u, /Signed out of \*\*Parley demo\*\*/);
    expect(await p.signIn.vault.getTokens(identityKey(conv(u)), 'demo')).toBeUndefined();
    expect(await whoami()).toMatch(/not signed in/);
    await p.agent.message(conv(u), '/logout demo');
    await surface.waitForText(u, /weren’t signed in/);

    // Signed out means signed out: the next protected call asks again.
    await p.agent.message(conv(u), '/call demo__whoami {}');
    const again = await surface.waitFor(u, 'link', 2);
    expect(again.url).not.toBe(link.url);

    await p.agent.message(conv(u), '/login nowhere');
    await surface.waitForText(u, /`nowhere` isn’t a server I sign in to/);
    await p.agent.message(conv(u), '/help');
    await surface.waitForText(u, /`\/login <server>`.*\n.*`\/whoami`/);
  });

  it('uses pre-registered client credentials from the server config instead of registering', async () => {
    // Register Parley by hand, as an administrator would, for a process on a known URL.
    const other = new RecordingSurface();
    const reg = await fetch(`${stack.auth.url}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Parley (pre-registered)',
        redirect_uris: [`${p.baseUrl}/oauth/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    });
    const client = (await reg.json()) as { client_id: string; client_secret: string };
    expect(client.client_secret).toEqual(expect.any(String));
    const server = {
      ...stack.server,
      auth: { type: 'oauth' as const, clientId: client.client_id, clientSecret: client.client_secret },
    };
    const p2 = await stack.startProcess({ surface: other, publicBaseUrl: p.baseUrl, server });
    const u = 'preregistered';
    await p2.agent.message(conv(u), '/call demo__whoami {}');
    const jar: CookieJar = new Map();
    const start = (await other.waitFor(u, 'link')).url;
    const link = new URL((await followSignInLink(start, { jar, stopAt: `${stack.auth.url}/` })).url);
    expect(link.searchParams.get('client_id')).toBe(client.client_id);
    const reached = await followSignInLink(link.href, { jar, stopAt: `${p.baseUrl}/oauth/callback` });
    const atCallback = new URL(reached.url);
    expect(
      (
        await fetch(`${p2.baseUrl}${atCallback.pathname}${atCallback.search}`, {
          headers: { cookie: reached.cookie },
        })
      ).status,
    ).toBe(200);
    await other.waitForText(u, /^alice$/);
    // The credentials stay in the config: only the issuer they belong to is remembered.
    expect(await p2.signIn.vault.getClient(identityKey(conv(u)), 'demo')).toEqual({
      client_id: client.client_id,
      issuer: stack.auth.url,
    });
  });

  it('serves Parley’s client ID metadata document', async () => {
    const res = await fetch(`${p.baseUrl}/oauth/client-metadata.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      client_id: `${p.baseUrl}/oauth/client-metadata.json`,
      client_name: 'Parley',
      redirect_uris: [`${p.baseUrl}/oauth/callback`],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
  });
});
