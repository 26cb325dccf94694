/**
 * The OAuth callback refuses what it must: a wrong, reused or expired `state`, or a code obtained
 * through another person's sign-in. Each refusal is a readable page, and nothing is stored.
 * Real parts throughout: the demo auth server (auto-approve), the demo MCP server, Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieJar, followSignInLink } from '../../src/auth/index.js';
import { identityKey } from '../../src/conversation.js';
import { type AuthStack, type ParleyProcess, startAuthStack } from '../helpers/auth-stack.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

/** The callback with `query`, from the browser whose cookies are `jar` (none by default). */
async function callback(p: ParleyProcess, query: Record<string, string>, jar?: CookieJar) {
  const url = new URL(`${p.baseUrl}/oauth/callback?${new URLSearchParams(query)}`);
  const cookie = [...(jar?.get(url.host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(url, { headers: cookie ? { cookie } : {} });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/**
 * The person's pending sign-in, after asking for a tool that needs it: their browser (`jar`)
 * opened the start link and pressed Continue; `href` is the authorization URL it was sent to.
 */
async function askForLink(p: ParleyProcess, surface: RecordingSurface, user: string, nth = 1) {
  await p.agent.message(conv(user), '/call demo__whoami {}');
  const link = await surface.waitFor(user, 'link', nth);
  expect(link.purpose).toBe('signin');
  const jar: CookieJar = new Map();
  const authorize = await followSignInLink(link.url, { jar, stopAt: new URL('/', authOrigin).href });
  expect(authorize.stopped).toBe(true);
  return Object.assign(new URL(authorize.url), { jar });
}
let authOrigin = '';

describe('the sign-in callback', () => {
  let stack: AuthStack;
  let p: ParleyProcess;
  const surface = new RecordingSurface();
  const tokensOf = (user: string) => p.signIn.vault.getTokens(identityKey(conv(user)), 'demo');

  beforeAll(async () => {
    stack = await startAuthStack({ label: 'callback' });
    authOrigin = stack.auth.url;
    p = await stack.startProcess({ surface });
  });
  afterAll(async () => stack?.close());

  it('answers with a small HTML page that keeps the code out of caches and referrers', async () => {
    const page = await callback(p, {});
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(page.html).toMatch(/<h1>.*This sign-in link is incomplete<\/h1>/);
    expect(page.html).not.toMatch(/^\s*\{/);
  });

  it('refuses a state it never issued, and the real link still works afterwards', async () => {
    const u = 'wrong-state';
    const link = await askForLink(p, surface, u);
    const forged = await callback(p, { code: 'anything', state: 'x'.repeat(43) });
    expect(forged.status).toBe(400);
    expect(forged.html).toContain('This sign-in link has expired');
    expect(await tokensOf(u)).toBeUndefined();

    const page = await followSignInLink(link.href, { jar: link.jar });
    expect(page.status).toBe(200);
    expect(page.text).toContain('You’re signed in to Parley demo');
    await surface.waitForText(u, /^alice$/);
  });

  it('refuses a reused state: the second callback changes nothing', async () => {
    const u = 'reused-state';
    const link = await askForLink(p, surface, u);
    const first = await followSignInLink(link.href, { jar: link.jar, stopAt: `${p.baseUrl}/oauth/callback` });
    expect(first.stopped).toBe(true);
    const ok = await fetch(first.url, { headers: { cookie: first.cookie } });
    expect(ok.status).toBe(200);
    await surface.waitForText(u, /^alice$/);
    const stored = await tokensOf(u);

    const replay = await fetch(first.url, { headers: { cookie: first.cookie } });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('This sign-in link was already used');
    expect(await tokensOf(u)).toEqual(stored);
    expect(surface.texts(u).filter((t) => t.includes('signed in'))).toHaveLength(1);
  });

  it('while another request holds the sign-in, a new request is told to retry and the callback still finishes', async () => {
    const u = 'busy-lease';
    const link = await askForLink(p, surface, u);
    const identity = identityKey(conv(u));
    const release = await p.signIn.vault.lease(identity, 'demo', 'flow', { ttlMs: 15_000, waitMs: 0 });
    expect(release).toBeDefined();
    try {
      const [asked, page] = await Promise.all([
        p.signIn.requestSignIn(conv(u), 'demo', { type: 'turn', turnId: 'busy-lease-turn' }),
        followSignInLink(link.href, { jar: link.jar }),
      ]);
      expect(asked).toEqual({ ok: false, message: expect.stringMatching(/try again/) });
      expect(page.status).toBe(200);
      expect(page.text).toContain('You’re signed in to Parley demo');
    } finally {
      await release?.();
    }
    await surface.waitForText(u, /^alice$/);
    // The refused request wrote nothing back: the flow and its state stay gone.
    expect(await p.signIn.vault.getFlow(identity, 'demo', Date.now())).toBeUndefined();
    const replay = await callback(p, { code: 'x', state: link.searchParams.get('state') ?? '' }, link.jar);
    expect(replay.html).toContain('This sign-in link was already used');
  });

  it('refuses a code from someone else’s sign-in: nothing is stored for either person', async () => {
    const alice = 'victim-alice';
    const bob = 'other-bob';
    const aliceLink = await askForLink(p, surface, alice);
    const bobLink = await askForLink(p, surface, bob);
    // Bob's browser signs in and comes back with a code for *his* flow.
    stack.auth.setAutoApprove('bob');
    let bobCallback: URL;
    try {
      bobCallback = new URL(
        (await followSignInLink(bobLink.href, { jar: bobLink.jar, stopAt: `${p.baseUrl}/oauth/callback` }))
          .url,
      );
    } finally {
      stack.auth.setAutoApprove('alice');
    }
    // Someone replays it against alice's sign-in (her state, bob's code) — even from alice's
    // own browser, which the binding cookie lets through.
    const mixed = await callback(
      p,
      {
        code: bobCallback.searchParams.get('code') ?? '',
        state: aliceLink.searchParams.get('state') ?? '',
        iss: bobCallback.searchParams.get('iss') ?? '',
      },
      aliceLink.jar,
    );
    expect(mixed.status).toBe(400);
    expect(mixed.html).toContain('Sign-in failed');
    expect(await tokensOf(alice)).toBeUndefined();
    expect(await tokensOf(bob)).toBeUndefined();
    // Alice is told it didn't work; her request is not run as anyone.
    await surface.waitForText(alice, /didn’t work/);
    await surface.waitForText(alice, /didn’t sign in/);
    expect(surface.texts(alice)).not.toContain('bob');
  });

  it('refuses an expired state with a clear page', async () => {
    const short = await startAuthStack({ label: 'callback-expired', flowTtlMs: 1_500 });
    const s = new RecordingSurface();
    try {
      const q = await short.startProcess({ surface: s });
      const u = 'slow';
      await q.agent.message(conv(u), '/call demo__whoami {}');
      const link = await s.waitFor(u, 'link');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const page = await followSignInLink(link.url);
      expect(page.status).toBe(404);
      expect(page.text).toContain('This sign-in link has expired');
      expect(await q.signIn.vault.getTokens(identityKey(conv(u)), 'demo')).toBeUndefined();
    } finally {
      await short.close();
    }
  });

  it('tells the person when they decline at the authorization server, and runs nothing', async () => {
    const u = 'decliner';
    const link = await askForLink(p, surface, u);
    const page = await callback(
      p,
      { error: 'access_denied', state: link.searchParams.get('state') ?? '', iss: stack.auth.url },
      link.jar,
    );
    expect(page.status).toBe(400);
    expect(page.html).toContain('Sign-in cancelled');
    await surface.waitForText(u, /Sign-in to Parley demo was cancelled/);
    await surface.waitForText(u, /didn’t sign in to Parley demo/);
    expect(await tokensOf(u)).toBeUndefined();
  });
});
