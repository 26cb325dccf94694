import { afterAll, describe, expect, it } from 'vitest';
import { isParleyError } from '../../src/errors.js';
import { MemoryStore, RedisStore, type Store } from '../../src/store/index.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { startRedisProcess } from '../helpers/redis-process.js';

const stores: Store[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

const kinds: Array<[string, () => Store]> = [
  ['memory', () => new MemoryStore()],
  ['redis', () => new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('store') })],
];

describe.each(kinds)('%s store contract', (_kind, make) => {
  const store = make();
  stores.push(store);

  it('sets, gets and deletes with a TTL', async () => {
    await store.set('a', '1', 10_000);
    expect(await store.get('a')).toBe('1');
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
  });

  it('expires keys after their TTL', async () => {
    await store.set('short', 'x', 30);
    await new Promise((r) => setTimeout(r, 80));
    expect(await store.get('short')).toBeUndefined();
  });

  it('setIfAbsent writes once', async () => {
    expect(await store.setIfAbsent('once', 'first', 10_000)).toBe(true);
    expect(await store.setIfAbsent('once', 'second', 10_000)).toBe(false);
    expect(await store.get('once')).toBe('first');
  });

  it('take hands a value to exactly one of many concurrent callers', async () => {
    await store.set('prize', 'p', 10_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take('prize')));
    expect(results.filter((r) => r === 'p')).toHaveLength(1);
    expect(await store.get('prize')).toBeUndefined();
  });

  it('delivers published messages to subscribers until they unsubscribe', async () => {
    const got: string[] = [];
    const unsubscribe = await store.subscribe('chan', (m) => got.push(m));
    expect(await store.publish('chan', 'hello')).toBe(1);
    await expect.poll(() => got).toEqual(['hello']);
    await unsubscribe();
    // No one listens any more, and the publisher is told so (how a dead owner is detected).
    expect(await store.publish('chan', 'after')).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(['hello']);
  });
});

describe('redis store when Redis goes down', () => {
  it('fails with a clear coded error (no hang) and recovers when Redis returns', async () => {
    const redis = await startRedisProcess();
    const store = new RedisStore({ url: redis.url, prefix: 'down-test:', maxReconnectDelayMs: 100 });
    stores.push(store);
    await store.set('k', 'v', 10_000);
    await redis.stop();

    const err = await store.get('k').catch((e: unknown) => e);
    expect(isParleyError(err) && err.code).toBe('store_unavailable');
    expect(isParleyError(err) && err.userMessage).toMatch(/Storage is unavailable/);

    await redis.start();
    await expect
      .poll(
        () =>
          store.ping().then(
            () => 'up',
            () => 'down',
          ),
        { timeout: 5_000 },
      )
      .toBe('up');
    await store.set('k2', 'v2', 10_000);
    expect(await store.get('k2')).toBe('v2');
    await redis.stop();
  });
});
