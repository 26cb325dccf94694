/**
 * Sign-in leases (token refresh, flow changes) are let go by compare-and-delete in one step: a
 * holder whose lease expired and passed to someone else never removes the new holder's lease,
 * however the expiry falls around the release.
 */
import { describe, expect, it } from 'vitest';
import { SecretBox, SignInVault } from '../../src/auth/index.js';
import { MemoryStore, RedisStore, type Store } from '../../src/store/index.js';
import { TEST_SECRET } from '../helpers/auth-stack.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';

/**
 * A real store that lets the lease expire and go to another holder at the worst moment of the
 * release: right after any read of the lease key, or right before a compare-and-delete of it.
 */
function racingStore(real: Store, leaseKey: string, otherHolder: string): { store: Store; arm(): void } {
  let armed = false;
  const handOver = async () => {
    armed = false;
    await real.delete(leaseKey);
    expect(await real.setIfAbsent(leaseKey, otherHolder, 60_000)).toBe(true);
  };
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (key: string, ...rest: unknown[]) => {
        if (armed && key === leaseKey && prop === 'deleteIfEquals') await handOver();
        const result = await (value as (...a: unknown[]) => Promise<unknown>).call(target, key, ...rest);
        if (armed && key === leaseKey && prop === 'get') await handOver();
        return result;
      };
    },
  });
  return { store, arm: () => (armed = true) };
}

describe.each([
  ['memory', () => new MemoryStore()],
  ['redis', () => new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('lease') })],
] as Array<[string, () => Store]>)('sign-in lease on the %s store', (_kind, make) => {
  it('a late release never removes the lease someone else holds now', async () => {
    const real = make();
    try {
      const key = 'oauth:slack:T1:U1:demo:lease-refresh';
      const race = racingStore(real, key, 'the-next-holder');
      const vault = new SignInVault(race.store, new SecretBox(TEST_SECRET));
      const release = await vault.lease('slack:T1:U1', 'demo', 'refresh', { waitMs: 0 });
      expect(release).toBeDefined();
      race.arm();
      await release?.();
      expect(await real.get(key)).toBe('the-next-holder');

      // Without a race the holder's release frees the lease for the next one at once.
      await real.delete(key);
      const again = await vault.lease('slack:T1:U1', 'demo', 'refresh', { waitMs: 0 });
      await again?.();
      expect(await vault.lease('slack:T1:U1', 'demo', 'refresh', { waitMs: 0 })).toBeDefined();
    } finally {
      await real.close();
    }
  });
});
