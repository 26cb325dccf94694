/**
 * The store contract: one test body, run against every store Parley supports — in memory, one
 * Redis node, Redis Cluster (three masters) and Sentinel (master + replica) — each real, built
 * from the same environment variables a deployment uses.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, MemoryStore, parseStoreEnv, type Store } from '../../src/store/index.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { startRedisCluster, startSentinelGroup, topologySkipReason } from '../helpers/redis-topologies.js';

interface Backend {
  /** A store on the backend; two calls with one prefix see the same data (two processes). */
  make(prefix: string): Store;
  /** Whether `publish` counts subscribers exactly (one node: yes; see the Store port). */
  exactReceivers: boolean;
  stop(): Promise<void>;
}

const skip = topologySkipReason();
const kinds: Array<{ name: string; skip?: string | undefined; start(): Promise<Backend> }> = [
  {
    name: 'memory',
    async start() {
      const shared = new MemoryStore();
      return { make: () => shared, exactReceivers: true, stop: () => shared.close() };
    },
  },
  {
    name: 'single node',
    async start() {
      return fromEnv({ REDIS_URL: redisUrl() }, true, async () => undefined);
    },
  },
  {
    name: 'cluster',
    skip,
    async start() {
      const cluster = await startRedisCluster();
      const nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
      return fromEnv({ REDIS_CLUSTER_NODES: nodes }, false, cluster.stop);
    },
  },
  {
    name: 'sentinel',
    skip,
    async start() {
      const group = await startSentinelGroup();
      const sentinels = group.sentinels.map((n) => `${n.host}:${n.port}`).join(',');
      return fromEnv({ REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: group.name }, true, group.stop);
    },
  },
];

/** Stores built the way `npm start` builds them: parseStoreEnv → createStore. */
function fromEnv(
  env: Record<string, string>,
  exactReceivers: boolean,
  stopEngine: () => Promise<void>,
): Backend {
  const made: Store[] = [];
  return {
    make(prefix) {
      const store = createStore({ config: parseStoreEnv({ ...env, REDIS_PREFIX: prefix }) });
      made.push(store);
      return store;
    },
    exactReceivers,
    async stop() {
      await Promise.all(made.map((s) => s.close()));
      await stopEngine();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of kinds) {
  describe.skipIf(kind.skip !== undefined)(
    `${kind.name} store contract${kind.skip ? ` (skipped: ${kind.skip})` : ''}`,
    () => {
      let backend: Backend;
      let store: Store;
      let prefix: string;
      beforeAll(async () => {
        backend = await kind.start();
        prefix = testKeyPrefix(`store-${kind.name.replace(/\s/g, '-')}`);
        store = backend.make(prefix);
      }, 60_000);
      afterAll(async () => {
        await backend?.stop();
      });

      it('answers ping (reachable, and a supported version)', async () => {
        await store.ping();
      });

      it('sets, gets and deletes with a TTL', async () => {
        await store.set('a', '1', 10_000);
        expect(await store.get('a')).toBe('1');
        await store.delete('a');
        expect(await store.get('a')).toBeUndefined();
      });

      it('expires keys after their TTL', async () => {
        await store.set('short', 'x', 30);
        await store.append('short-list', ['x'], 10, 30);
        await sleep(80);
        expect(await store.get('short')).toBeUndefined();
        expect(await store.range('short-list')).toEqual([]);
      });

      it('setIfAbsent writes once, and again once the key expired', async () => {
        expect(await store.setIfAbsent('once', 'first', 10_000)).toBe(true);
        expect(await store.setIfAbsent('once', 'second', 10_000)).toBe(false);
        expect(await store.get('once')).toBe('first');
        expect(await store.setIfAbsent('brief', 'first', 30)).toBe(true);
        await sleep(80);
        expect(await store.setIfAbsent('brief', 'second', 10_000)).toBe(true);
      });

      it('take hands a value to exactly one of many concurrent callers', async () => {
        await store.set('prize', 'p', 10_000);
        const results = await Promise.all(Array.from({ length: 20 }, () => store.take('prize')));
        expect(results.filter((r) => r === 'p')).toHaveLength(1);
        expect(await store.get('prize')).toBeUndefined();
      });

      it('deleteIfEquals deletes only the holder’s value, once', async () => {
        await store.set('lease', 'mine', 10_000);
        expect(await store.deleteIfEquals('lease', 'theirs')).toBe(false);
        expect(await store.get('lease')).toBe('mine');
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store.deleteIfEquals('lease', 'mine')),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.get('lease')).toBeUndefined();
        expect(await store.deleteIfEquals('never-set', 'mine')).toBe(false);
      });

      it('takeTogether takes hash-tagged keys and writes the mark in one step, or changes nothing', async () => {
        await store.set('p:{t1}', 'record', 10_000);
        await store.set('w:{t1}', 'turn', 10_000);
        const mark = { key: 'd:{t1}', value: 'done', ttlMs: 10_000 };
        expect(await store.takeTogether(['p:{t1}', 'w:{t1}', 'x:{t1}'], mark)).toEqual([
          'record',
          'turn',
          undefined,
        ]);
        expect([await store.get('p:{t1}'), await store.get('w:{t1}'), await store.get('d:{t1}')]).toEqual([
          undefined,
          undefined,
          'done',
        ]);
        // The first key gone: nothing changes, not even the mark.
        await store.set('w:{t2}', 'turn', 10_000);
        expect(await store.takeTogether(['p:{t2}', 'w:{t2}'], { ...mark, key: 'd:{t2}' })).toBeUndefined();
        expect([await store.get('w:{t2}'), await store.get('d:{t2}')]).toEqual(['turn', undefined]);
        // Of many concurrent callers, one takes it.
        await store.set('p:{t3}', 'record', 10_000);
        const all = await Promise.all(Array.from({ length: 10 }, () => store.takeTogether(['p:{t3}'])));
        expect(all.filter((r) => r !== undefined)).toEqual([['record']]);
      });

      it('takeTogether with keep: a repeat of the same call gets the taken values, no other does', async () => {
        await store.set('p:{k1}', 'record', 10_000);
        await store.set('w:{k1}', 'turn', 10_000);
        await store.set('k:{k1}:2', 'stale', 10_000);
        const keep = { keys: ['k:{k1}:0', 'k:{k1}:1', 'k:{k1}:2'], ttlMs: 10_000 };
        const mark = { key: 'd:{k1}', value: 'done#attempt-a', ttlMs: 10_000, keep };
        const taken = ['record', 'turn', undefined];
        expect(await store.takeTogether(['p:{k1}', 'w:{k1}', 'x:{k1}'], mark)).toEqual(taken);
        expect(await store.get('p:{k1}')).toBeUndefined();
        // Its reply lost, the caller repeats the call: same values, and it takes nothing again.
        expect(await store.takeTogether(['p:{k1}', 'w:{k1}', 'x:{k1}'], mark)).toEqual(taken);
        expect(await store.get('d:{k1}')).toBe('done#attempt-a');
        // Anyone else (another token) finds it gone.
        const other = { ...mark, value: 'done#attempt-b' };
        expect(await store.takeTogether(['p:{k1}', 'w:{k1}', 'x:{k1}'], other)).toBeUndefined();
        expect(await store.takeTogether(['p:{k1}', 'w:{k1}', 'x:{k1}'])).toBeUndefined();
        expect(await store.get('d:{k1}')).toBe('done#attempt-a');
        // Nothing taken, nothing to repeat: a first key that never existed stays undefined.
        expect(
          await store.takeTogether(['p:{k2}'], {
            ...mark,
            key: 'd:{k2}',
            keep: { keys: ['k:{k2}:0'], ttlMs: 10_000 },
          }),
        ).toBeUndefined();
        expect(await store.get('d:{k2}')).toBeUndefined();
      });

      it('append keeps order and the newest maxLen items; range of nothing is empty', async () => {
        expect(await store.range('log')).toEqual([]);
        await store.append('log', ['1', '2'], 3, 10_000);
        await store.append('log', ['3', '4'], 3, 10_000);
        expect(await store.range('log')).toEqual(['2', '3', '4']);
        await store.append('log', [], 3, 10_000);
        expect(await store.range('log')).toEqual(['2', '3', '4']);
        // A list is not a string: reading it as one fails, as in Redis.
        await expect(store.get('log')).rejects.toThrow();
      });

      it('concurrent appends to one list lose nothing and keep each call’s items together', async () => {
        await Promise.all(
          Array.from({ length: 25 }, (_, i) => store.append('busy', [`q${i}`, `a${i}`], 100, 10_000)),
        );
        const items = await store.range('busy');
        expect(items).toHaveLength(50);
        for (let i = 0; i < items.length; i += 2) expect(items[i + 1]).toBe(`a${items[i]?.slice(1)}`);
      });

      it('rate limiters of one name share one budget across store instances, exactly, under concurrency', async () => {
        const options = { name: `rl-${randomBytes(3).toString('hex')}`, points: 5, durationSeconds: 60 };
        const here = store.rateLimiter(options);
        const there = backend.make(prefix).rateLimiter(options);
        const verdicts = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? here : there).consume('person')),
        );
        expect(verdicts.filter((v) => v.ok)).toHaveLength(5);
        const refused = verdicts.find((v) => !v.ok);
        expect(refused && !refused.ok && refused.retryAfterMs).toBeGreaterThan(0);
        expect(await there.check('person')).toMatchObject({ ok: false });
        expect(await here.check('someone else')).toEqual({ ok: true });
        await here.charge('spender', 7);
        expect(await there.check('spender')).toMatchObject({ ok: false });
      });

      it('delivers published messages to subscribers in other store instances until they unsubscribe', async () => {
        const other = backend.make(prefix);
        const channel = `chan-${randomBytes(3).toString('hex')}`;
        const got: string[] = [];
        const unsubscribe = await other.subscribe(channel, (m) => got.push(m));
        const receivers = await store.publish(channel, 'hello');
        if (backend.exactReceivers) expect(receivers).toBe(1);
        await expect.poll(() => got, { timeout: 5_000 }).toEqual(['hello']);
        await unsubscribe();
        const after = await store.publish(channel, 'after');
        if (backend.exactReceivers) expect(after).toBe(0);
        await sleep(100);
        expect(got).toEqual(['hello']);
      });
    },
  );
}
