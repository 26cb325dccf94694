/**
 * Keeping a person signed in: expired access tokens are refreshed (rotating the refresh token),
 * once even when two Parley processes need the token at the same moment; a refused refresh leads
 * to a new sign-in rather than an error. Short-lived tokens from the real demo auth server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followSignInLink } from '../../src/auth/index.js';
import { identityKey } from '../../src/conversation.js';
import { type AuthStack, startAuthStack } from '../helpers/auth-stack.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

/** A fetch that records the grant type of every token request. */
function countingFetch() {
  const grants: Array<{ grant: string | null; status: number }> = [];
  const wrapped: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    if (url.endsWith('/token')) {
      const body = typeof init?.body === 'string' ? init.body : String(init?.body ?? '');
      grants.push({ grant: new URLSearchParams(body).get('grant_type'), status: res.status });
    }
    return res;
  };
  return { fetch: wrapped, refreshes: () => grants.filter((g) => g.grant === 'refresh_token') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('refresh after expiry', () => {
  let stack: AuthStack;

  beforeAll(async () => {
    // Eight seconds: `exp` has whole-second precision and the MCP server allows no clock skew, and
    // a token is refreshed ahead once half its lifetime is gone: with shorter tokens a loaded
    // machine's slow steps could find a fresh token "expiring" and refresh once more.
    stack = await startAuthStack({ label: 'refresh', accessTokenTtlSeconds: 8 });
  });
  afterAll(async () => stack?.close());

  it('refreshes once, with rotation, when two processes need the expired token at once', async () => {
    const s1 = new RecordingSurface();
    const s2 = new RecordingSurface();
    const c1 = countingFetch();
    const c2 = countingFetch();
    const p1 = await stack.startProcess({ surface: s1, fetch: c1.fetch });
    const p2 = await stack.startProcess({ surface: s2, fetch: c2.fetch, publicBaseUrl: p1.baseUrl });
    const u = 'refresher';
    await p1.agent.message(conv(u), '/call demo__whoami {}');
    await followSignInLink((await s1.waitFor(u, 'link')).url);
    await s1.waitForText(u, /^alice$/);
    const identity = identityKey(conv(u));
    const first = await p1.signIn.vault.getTokens(identity, 'demo');
    expect(first?.tokens.refresh_token).toEqual(expect.any(String));

    await sleep(8_500);
    // Two conversations of one person (turns in one conversation run one at a time).
    await Promise.all([
      p1.agent.message(conv(u), '/call demo__whoami {}'),
      p2.agent.message(conv(u, 'C-OTHER'), '/call demo__whoami {}'),
    ]);
    expect(s1.texts(u).filter((t) => t === 'alice')).toHaveLength(2);
    expect(s2.texts(u)).toEqual(['alice']);
    // No second sign-in, one refresh between the two processes, and the refresh token rotated.
    expect([...s1.for(u), ...s2.for(u)].filter((m) => m.kind === 'link')).toHaveLength(1);
    expect([...c1.refreshes(), ...c2.refreshes()]).toEqual([{ grant: 'refresh_token', status: 200 }]);
    const second = await p1.signIn.vault.getTokens(identity, 'demo');
    expect(second?.tokens.access_token).not.toBe(first?.tokens.access_token);
    expect(second?.tokens.refresh_token).toEqual(expect.any(String));
    expect(second?.tokens.refresh_token).not.toBe(first?.tokens.refresh_token);
  });
});

describe('refresh failure', () => {
  let stack: AuthStack;

  beforeAll(async () => {
    // The refresh token dies before the access token does: the next refresh must fail.
    stack = await startAuthStack({
      label: 'refresh-fail',
      // Long enough for the first call to finish on a loaded machine (the token is refreshed
      // ahead at half its lifetime, with a refresh token that must still work then), short
      // enough for the test.
      accessTokenTtlSeconds: 8,
      refreshTokenTtlSeconds: 4,
    });
  });
  afterAll(async () => stack?.close());

  it('falls back to a new sign-in, and the request is answered after it', async () => {
    const surface = new RecordingSurface();
    const counter = countingFetch();
    const p = await stack.startProcess({ surface, fetch: counter.fetch });
    const u = 'expired-refresh';
    await p.agent.message(conv(u), '/call demo__whoami {}');
    await followSignInLink((await surface.waitFor(u, 'link', 1)).url);
    await surface.waitForText(u, /^alice$/);

    await sleep(8_500);
    await p.agent.message(conv(u), '/call demo__whoami {}');
    const again = await surface.waitFor(u, 'link', 2);
    expect(again.message).not.toMatch(/same link again/);
    expect(counter.refreshes()).toEqual([{ grant: 'refresh_token', status: 400 }]);
    // The refused tokens are gone: nothing stale is kept.
    expect(await p.signIn.vault.getTokens(identityKey(conv(u)), 'demo')).toBeUndefined();

    await followSignInLink(again.url);
    await expect.poll(() => surface.texts(u).filter((t) => t === 'alice').length).toBe(2);
  });
});
