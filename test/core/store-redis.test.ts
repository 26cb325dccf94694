/**
 * Redis-only behaviour of the store: failing fast and recovering when Redis goes away, refusing
 * servers older than Parley supports, and credentials from the environment.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isParleyError } from '../../src/errors.js';
import {
  createStore,
  MINIMUM_REDIS_VERSION,
  parseStoreEnv,
  RedisStore,
  type Store,
} from '../../src/store/index.js';
import { redisVersionOf, versionAtLeast } from '../../src/store/redis-client.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { freePort, startRedisProcess, waitForRedis } from '../helpers/redis-process.js';

const stores: Store[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

describe('redis store when Redis goes down', () => {
  it('fails with a clear coded error (no hang) and recovers when Redis returns', async () => {
    const redis = await startRedisProcess();
    const store = new RedisStore({ url: redis.url, prefix: 'down-test:', maxReconnectDelayMs: 100 });
    stores.push(store);
    try {
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
    } finally {
      await redis.stop();
    }
  });
});

describe('Redis version', () => {
  it(`accepts ${MINIMUM_REDIS_VERSION} and newer, compares numerically`, () => {
    expect(redisVersionOf('# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n')).toBe('7.0.15');
    expect(redisVersionOf('# Server\r\n')).toBeUndefined();
    expect(versionAtLeast('6.2.0', MINIMUM_REDIS_VERSION)).toBe(true);
    expect(versionAtLeast('6.2', MINIMUM_REDIS_VERSION)).toBe(true);
    expect(versionAtLeast('6.0.16', MINIMUM_REDIS_VERSION)).toBe(false);
    expect(versionAtLeast('5.0.14', MINIMUM_REDIS_VERSION)).toBe(false);
    expect(versionAtLeast('6.10.0', '6.9.0')).toBe(true);
    expect(versionAtLeast('10.0.0', MINIMUM_REDIS_VERSION)).toBe(true);
  });

  it('refuses a server older than the minimum with one clear sentence, on ping and on every operation', async () => {
    // No pre-6.2 server is installed here, so the real one is judged against a bar it can't meet.
    const store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('old'), minimumVersion: '99.0.0' });
    stores.push(store);
    const err = await store.ping().catch((e: unknown) => e);
    expect(isParleyError(err) && err.code).toBe('store_unsupported');
    expect(isParleyError(err) && err.userMessage).toMatch(
      /^Parley needs Redis 99\.0\.0 or newer, but the server runs \d+\.\d+\.\d+\.$/,
    );
    const onUse = await store.set('k', 'v', 1_000).catch((e: unknown) => e);
    expect(isParleyError(onUse) && onUse.code).toBe('store_unsupported');

    const current = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('current') });
    stores.push(current);
    await current.ping();
  });
});

describe('Redis credentials from the environment', () => {
  it('authenticates with REDIS_USERNAME/REDIS_PASSWORD (also a user without INFO), and says storage is unavailable without them', async () => {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--requirepass',
        'default-pw',
        '--user',
        'parley',
        'on',
        '>parley-pw',
        '~*',
        '&*',
        '+@all',
        // A user that may not run INFO: the version check steps aside rather than failing readiness.
        '--user',
        'no-info',
        'on',
        '>no-info-pw',
        '~*',
        '&*',
        '+@all',
        '-info',
      ],
      { stdio: 'ignore' },
    );
    try {
      const url = `redis://127.0.0.1:${port}`;
      await waitForRedis(`redis://:default-pw@127.0.0.1:${port}`, child);
      const signedIn = createStore({
        config: parseStoreEnv({ REDIS_URL: url, REDIS_USERNAME: 'parley', REDIS_PASSWORD: 'parley-pw' }),
      });
      stores.push(signedIn);
      await signedIn.set('k', 'v', 10_000);
      expect(await signedIn.get('k')).toBe('v');

      const limited = createStore({
        config: parseStoreEnv({ REDIS_URL: url, REDIS_USERNAME: 'no-info', REDIS_PASSWORD: 'no-info-pw' }),
      });
      stores.push(limited);
      await limited.ping();
      expect(await limited.get('k')).toBe('v');

      const anonymous = createStore({ config: parseStoreEnv({ REDIS_URL: url }) });
      stores.push(anonymous);
      const err = await anonymous.get('k').catch((e: unknown) => e);
      expect(isParleyError(err) && err.code).toBe('store_unavailable');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('Redis over TLS', () => {
  it('connects with rediss:// and REDIS_TLS_CA_FILE, and refuses a server its CA did not sign', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
    const openssl = (...args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
    };
    openssl(
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Parley test CA'],
      ...['-keyout', 'ca.key', '-out', 'ca.crt'],
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      'redis.key',
      '-out',
      'redis.csr',
    );
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(
      ...['x509', '-req', '-in', 'redis.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-days', '1', '-extfile', 'san.ext', '-out', 'redis.crt'],
    );
    const port = await freePort();
    const child = spawn(
      'redis-server',
      [
        ...[
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        ...['--tls-cert-file', join(dir, 'redis.crt'), '--tls-key-file', join(dir, 'redis.key')],
        ...['--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no'],
      ],
      { stdio: 'ignore' },
    );
    try {
      const url = `rediss://127.0.0.1:${port}`;
      const trusted = createStore({
        config: parseStoreEnv({ REDIS_URL: url, REDIS_TLS_CA_FILE: join(dir, 'ca.crt') }),
      });
      stores.push(trusted);
      await expect
        .poll(
          () =>
            trusted.ping().then(
              () => 'up',
              () => 'down',
            ),
          { timeout: 10_000 },
        )
        .toBe('up');
      await trusted.set('k', 'v', 10_000);
      expect(await trusted.get('k')).toBe('v');

      // Node's own trust store doesn't know the test CA: no silent fallback to an unverified link.
      const untrusted = createStore({ config: parseStoreEnv({ REDIS_URL: url }) });
      stores.push(untrusted);
      const err = await untrusted.get('k').catch((e: unknown) => e);
      expect(isParleyError(err) && err.code).toBe('store_unavailable');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
