/**
 * Issue 10 §4: a sign-in link can't link one person's account to another person's chat identity.
 * The attack, with real processes and HTTP: alice asks for a sign-in and forwards it to a
 * colleague; the colleague's browser (its own cookie jar) signs in at the demo auth server as bob.
 * Parley must refuse, store nothing for alice, and still let alice finish in her own browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieJar, followSignInLink } from '../../src/auth/index.js';
import { identityKey } from '../../src/conversation.js';
import { type AuthStack, type ParleyProcess, startAuthStack } from '../helpers/auth-stack.js';
import { newRedis } from '../helpers/redis.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

describe('a sign-in is bound to the browser of the person who asked', () => {
  let stack: AuthStack;
  let p: ParleyProcess;
  const surface = new RecordingSurface();
  const tokensOf = (user: string) => p.signIn.vault.getTokens(identityKey(conv(user)), 'demo');

  beforeAll(async () => {
    stack = await startAuthStack({ label: 'binding' });
    p = await stack.startProcess({ surface });
  });
  afterAll(async () => stack?.close());

  async function askForLink(user: string): Promise<string> {
    await p.agent.message(conv(user), '/call demo__whoami {}');
    const link = await surface.waitFor(user, 'link');
    expect(link.purpose).toBe('signin');
    return link.url;
  }

  /** The colleague's browser: its own jar, and the auth server signs it in as bob. */
  async function asColleague<T>(run: (jar: CookieJar) => Promise<T>): Promise<T> {
    stack.auth.setAutoApprove('bob');
    try {
      return await run(new Map());
    } finally {
      stack.auth.setAutoApprove('alice');
    }
  }

  it('the link in the chat is Parley’s start page, which names the chat user and claims nothing on GET', async () => {
    const u = 'consent-reader';
    const link = await askForLink(u);
    expect(link.startsWith(`${p.baseUrl}/oauth/start/`)).toBe(true);
    // A link preview (or the person reading twice) fetches the page: nothing is claimed.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(link);
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
      const html = await res.text();
      expect(html).toContain('You are linking your <strong>Parley demo</strong> account');
      expect(html).toContain(`test user ${u} (workspace W1)`);
      expect(html).toMatch(/<form method="post" action="\/oauth\/start\/[^"]+">/);
      expect(res.headers.get('content-security-policy')).toContain(`form-action 'self' ${stack.auth.url}`);
    }
    // The button sets a short-lived, HttpOnly, SameSite=Lax cookie scoped to the callback.
    const claimed = await fetch(link, { method: 'POST', redirect: 'manual' });
    expect(claimed.status).toBe(303);
    // ...and sends the browser on to the authorization URL, with PKCE, state, resource and scope.
    const url = new URL(claimed.headers.get('location') ?? '');
    expect(url.origin).toBe(stack.auth.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('resource')).toBe(stack.mcp.url);
    expect(url.searchParams.get('scope')?.split(' ')).toContain('tickets:read');
    expect(url.searchParams.get('redirect_uri')).toBe(`${p.baseUrl}/oauth/callback`);
    const cookie = claimed.headers.getSetCookie()[0] ?? '';
    expect(cookie).toMatch(/^parley_signin_[A-Za-z0-9]+=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\/oauth\/callback/);
    expect(cookie).toMatch(/; Max-Age=\d+/);
  });

  it('refuses a forwarded authorization URL finished in the colleague’s browser; alice still signs in', async () => {
    const u = 'forwards-auth-url';
    const link = await askForLink(u);
    const aliceJar: CookieJar = new Map();
    // Alice opens her link and presses Continue, then copies the address bar to a colleague.
    const atAuth = await followSignInLink(link, { jar: aliceJar, stopAt: `${stack.auth.url}/` });
    expect(atAuth.stopped).toBe(true);
    const colleague = await asColleague((jar) => followSignInLink(atAuth.url, { jar }));
    expect(colleague.status).toBe(400);
    expect(colleague.text).toContain('This sign-in was started in another browser');
    expect(await tokensOf(u)).toBeUndefined();
    expect(surface.texts(u).some((t) => /signed in/.test(t))).toBe(false);

    // The refusal spent nothing: alice's own browser finishes the same sign-in, as alice.
    const own = await followSignInLink(atAuth.url, { jar: aliceJar });
    expect(own.status).toBe(200);
    expect(own.text).toContain('You’re signed in to Parley demo');
    await surface.waitForText(u, /^alice$/);
    expect((await tokensOf(u))?.tokens.access_token).toBeTruthy();
  });

  it('refuses a forwarded start link once alice’s browser opened it', async () => {
    const u = 'forwards-start-link';
    const link = await askForLink(u);
    const aliceJar: CookieJar = new Map();
    const atAuth = await followSignInLink(link, { jar: aliceJar, stopAt: `${stack.auth.url}/` });
    expect(atAuth.stopped).toBe(true);
    const colleague = await asColleague((jar) => followSignInLink(link, { jar }));
    expect(colleague.status).toBe(409);
    expect(colleague.text).toContain('This sign-in link was already opened');
    expect(await tokensOf(u)).toBeUndefined();
    // The consent page is refused too, so nobody is shown a button to press.
    expect((await fetch(link)).status).toBe(409);
  });

  it('keeps no usable state, authorization URL or binding cookie in the store', async () => {
    const u = 'store-reader';
    const jar: CookieJar = new Map();
    const atAuth = await followSignInLink(await askForLink(u), { jar, stopAt: `${stack.auth.url}/` });
    const authUrl = new URL(atAuth.url);
    const cookieValue = [...(jar.get(new URL(p.baseUrl).host) ?? new Map()).values()][0] as string;
    const secrets = [
      authUrl.searchParams.get('state') as string,
      authUrl.searchParams.get('code_challenge') as string,
      authUrl.href,
      cookieValue,
    ];
    expect(secrets.every((v) => typeof v === 'string' && v.length > 20)).toBe(true);
    const redis = newRedis();
    try {
      const keys = await redis.keys(`${stack.prefix}*`);
      expect(keys.length).toBeGreaterThan(3);
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === 'string' ? ((await redis.get(key)) ?? '') : JSON.stringify(await redis.dump(key));
        for (const secret of secrets) {
          expect(key).not.toContain(secret);
          expect(value).not.toContain(secret);
          expect(value).not.toContain(encodeURIComponent(secret));
        }
      }
    } finally {
      redis.disconnect();
    }
  });

  it('refuses a callback carrying another flow’s cookie', async () => {
    const a = 'cookie-owner';
    const b = 'cookie-thief';
    const aJar: CookieJar = new Map();
    const bJar: CookieJar = new Map();
    const aAuth = await followSignInLink(await askForLink(a), { jar: aJar, stopAt: `${stack.auth.url}/` });
    await followSignInLink(await askForLink(b), { jar: bJar, stopAt: `${stack.auth.url}/` });
    // b's browser holds a binding cookie, but for b's flow, not a's.
    const crossed = await asColleague(() => followSignInLink(aAuth.url, { jar: bJar }));
    expect(crossed.status).toBe(400);
    expect(crossed.text).toContain('This sign-in was started in another browser');
    expect(await tokensOf(a)).toBeUndefined();
  });
});
