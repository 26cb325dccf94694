/**
 * The store on the distributed engines beyond the contract: keys really spread over the
 * cluster's masters, and a Sentinel failover mid-use leaves a working store (commands and
 * subscriptions) on the promoted replica.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isParleyError } from '../../src/errors.js';
import { createStore, parseStoreEnv, RedisStore, type Store } from '../../src/store/index.js';
import {
  type RedisCluster,
  type SentinelGroup,
  startRedisCluster,
  startSentinelGroup,
  topologySkipReason,
} from '../helpers/redis-topologies.js';

const skip = topologySkipReason();
const stores: Store[] = [];
const engines: Array<{ stop(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(engines.map((e) => e.stop()));
});

const works = (store: Store) =>
  store.set('probe', 'ok', 10_000).then(
    () => true,
    () => false,
  );

describe.skipIf(skip !== undefined)(`Redis Cluster${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cluster: RedisCluster;
  let store: Store;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    engines.push(cluster);
    store = createStore({
      config: parseStoreEnv({
        REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
      }),
    });
    stores.push(store);
  }, 30_000);

  it('spreads Parley’s keys over every master (the prefix is no hash tag)', async () => {
    for (let i = 0; i < 60; i++) await store.set(`spread:${i}`, 'x', 60_000);
    for (const node of cluster.nodes) {
      const client = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 1 });
      try {
        expect(await client.dbsize()).toBeGreaterThan(0);
      } finally {
        client.disconnect();
      }
    }
  });

  it('checks the version of every master, against 7.0 at least (sharded pub/sub)', async () => {
    const nodes = cluster.nodes;
    const judged = new RedisStore({
      topology: { kind: 'cluster', nodes, prefix: 'version-check:', tls: false },
      minimumVersion: '99.0.0',
    });
    stores.push(judged);
    const err = await judged.ping().catch((e: unknown) => e);
    expect(isParleyError(err) && err.userMessage).toMatch(
      /^Parley needs Redis Cluster 99\.0\.0 or newer, but the server runs /,
    );
    await store.ping();
  });

  it('fails fast with a coded error while every node is down, and recovers when they return', async () => {
    await store.ping();
    await cluster.kill();
    // Twice: once as the connections drop, once while the client is reconnecting.
    for (let i = 0; i < 2; i++) {
      const err = await store.get('k').catch((e: unknown) => e);
      expect(isParleyError(err) && err.code).toBe('store_unavailable');
    }
    // Many commands at once share one wait for the reconnect: no listener per waiting command.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const errs = await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.get(`k${i}`).catch((e: unknown) => e)),
      );
      for (const err of errs) expect(isParleyError(err) && err.code).toBe('store_unavailable');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    await cluster.restart();
    await expect.poll(() => works(store), { timeout: 15_000, interval: 200 }).toBe(true);
    expect(await store.get('probe')).toBe('ok');
  }, 45_000);
});

describe.skipIf(skip !== undefined)(`Sentinel failover${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('keeps working after the master is killed: data, commands and subscriptions follow the promoted replica', async () => {
    const group: SentinelGroup = await startSentinelGroup();
    engines.push(group);
    const env = {
      REDIS_SENTINELS: group.sentinels.map((n) => `${n.host}:${n.port}`).join(','),
      REDIS_SENTINEL_NAME: group.name,
      REDIS_PREFIX: `failover-${randomBytes(3).toString('hex')}:`,
    };
    const store = createStore({ config: parseStoreEnv(env) });
    const listener = createStore({ config: parseStoreEnv(env) });
    stores.push(store, listener);

    const got: string[] = [];
    await listener.subscribe('owner', (m) => got.push(m));
    await store.publish('owner', 'before');
    await expect.poll(() => got, { timeout: 5_000 }).toEqual(['before']);
    await store.set('kept', 'yes', 60_000);
    await store.append('history', ['q', 'a'], 10, 60_000);
    // Replication is asynchronous: wait until the replica has what the test expects to survive.
    const first = await group.master();
    const replica = new Redis({
      sentinels: group.sentinels,
      name: group.name,
      role: 'slave',
      maxRetriesPerRequest: 1,
    });
    try {
      await expect.poll(() => replica.get(`${env.REDIS_PREFIX}kept`), { timeout: 5_000 }).toBe('yes');
    } finally {
      replica.disconnect();
    }

    // Mid-use: a stream of writes runs while the master dies.
    let stop = false;
    let written = 0;
    const traffic = (async () => {
      while (!stop) {
        if (await works(store)) written++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const promoted = await group.killMaster();
    expect(promoted.port).not.toBe(first.port);

    await expect.poll(() => works(store), { timeout: 15_000, interval: 100 }).toBe(true);
    const afterFailover = written;
    await expect.poll(() => written, { timeout: 5_000 }).toBeGreaterThan(afterFailover + 3);
    stop = true;
    await traffic;

    expect(await store.get('kept')).toBe('yes');
    expect(await store.range('history')).toEqual(['q', 'a']);
    expect(await store.deleteIfEquals('kept', 'yes')).toBe(true);
    expect(await store.setIfAbsent('lease', 'mine', 10_000)).toBe(true);

    // The existing subscription moved to the new master with the client.
    await expect
      .poll(
        async () => {
          await store.publish('owner', 'after');
          return got.includes('after');
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe(true);
  }, 45_000);
});
