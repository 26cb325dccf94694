/**
 * Tokens held in process (issue 12 §4): a signed-in person's token is read and decrypted from
 * the store once, not on every MCP request, until shortly before it expires; a refresh or a
 * sign-out in another process (here: another vault on its own Redis connections, same prefix, as
 * a second Parley process has) reaches this one's cache at once through the store's pub/sub.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox, SignInVault } from '../../src/auth/index.js';
import { TOKEN_CHANNEL } from '../../src/auth/token-cache.js';
import type { StoredTokens } from '../../src/auth/vault.js';
import { RedisStore, type Store } from '../../src/store/index.js';
import { TEST_SECRET } from '../helpers/auth-stack.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';

const prefix = testKeyPrefix('token-cache');
const stores: RedisStore[] = [];
let a: SignInVault;
let b: SignInVault;
let readsB = 0;
const heard: string[] = [];
/** Announcements as the second process' connection received them. */
let heardByB = 0;

/** Counts the second process' reads of token records (the store is real; only counted). */
function counting(store: Store): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'get')
        return (key: string) => {
          if (key.endsWith(':tokens')) readsB += 1;
          return target.get(key);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

beforeAll(async () => {
  const one = new RedisStore({ url: redisUrl(), prefix });
  const two = new RedisStore({ url: redisUrl(), prefix });
  stores.push(one, two);
  a = new SignInVault(one, new SecretBox(TEST_SECRET));
  b = new SignInVault(counting(two), new SecretBox(TEST_SECRET));
  await one.subscribe(TOKEN_CHANNEL, (m) => heard.push(m));
  await two.subscribe(TOKEN_CHANNEL, () => {
    heardByB += 1;
  });
  await Promise.all([a.tokenCache.ready, b.tokenCache.ready]);
});
afterAll(async () => {
  for (const s of stores) await s.close();
});

const tokens = (access: string, expiresIn = 3600): StoredTokens => ({
  tokens: { access_token: access, token_type: 'Bearer', expires_in: expiresIn, refresh_token: `r-${access}` },
  savedAt: Date.now(),
});

describe('the token cache', () => {
  it('reads a token once, and drops it everywhere on a refresh or sign-out elsewhere', async () => {
    const who = 'slack:T1:U-cache';
    const seen = heardByB;
    await a.putTokens(who, 'demo', tokens('first-token'));
    // (A read that races an announcement is not kept, by design: let this one arrive first.)
    await expect.poll(() => heardByB).toBe(seen + 1);
    expect((await b.getTokens(who, 'demo'))?.tokens.access_token).toBe('first-token');
    expect((await b.getTokens(who, 'demo'))?.tokens.access_token).toBe('first-token');
    expect(readsB).toBe(1);

    // A refresh in the other process: this one serves the new token right away.
    await a.putTokens(who, 'demo', tokens('second-token'));
    await expect
      .poll(async () => (await b.getTokens(who, 'demo'))?.tokens.access_token, {
        timeout: 2_000,
        interval: 20,
      })
      .toBe('second-token');

    // A sign-out there: signed out here too.
    await a.delete(who, 'demo', 'tokens');
    await expect
      .poll(async () => (await b.getTokens(who, 'demo'))?.tokens.access_token, {
        timeout: 2_000,
        interval: 20,
      })
      .toBeUndefined();

    // What went over the channel names neither the person nor a token.
    expect(heard.length).toBeGreaterThan(0);
    for (const m of heard) expect(m).not.toMatch(/U-cache|token|demo/);
  });

  it('does not hold a token close to its expiry: the refresh always starts from the store', async () => {
    const who = 'slack:T1:U-expiring';
    await a.putTokens(who, 'demo', tokens('short-lived', 30));
    const before = readsB;
    await b.getTokens(who, 'demo');
    await b.getTokens(who, 'demo');
    expect(readsB - before).toBe(2);
  });
});
