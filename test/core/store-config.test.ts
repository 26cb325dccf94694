/** The store variables: one topology at a time, each with TLS and credentials, errors naming the variable. */
import { describe, expect, it } from 'vitest';
import { describeStore, parseStoreEnv } from '../../src/store/index.js';

describe('parseStoreEnv', () => {
  it('picks the in-memory store without Redis variables, and one node for REDIS_URL', () => {
    expect(parseStoreEnv({})).toEqual({ kind: 'memory' });
    expect(parseStoreEnv({ REDIS_URL: '  ' })).toEqual({ kind: 'memory' });
    expect(parseStoreEnv({ REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual({
      kind: 'single',
      url: 'redis://127.0.0.1:6379',
      prefix: 'parley:',
      tls: false,
    });
    expect(
      parseStoreEnv({ REDIS_URL: 'rediss://cache.example:6380', REDIS_PREFIX: 'team-a:' }),
    ).toMatchObject({
      kind: 'single',
      tls: true,
      prefix: 'team-a:',
    });
  });

  it('reads cluster seeds with TLS and credentials', () => {
    expect(
      parseStoreEnv({
        REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002',
        REDIS_TLS: '1',
        REDIS_USERNAME: 'parley',
        REDIS_PASSWORD: 's3cret',
      }),
    ).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      prefix: 'parley:',
      tls: true,
      username: 'parley',
      password: 's3cret',
    });
    // rediss:// seeds turn TLS on; REDIS_TLS=0 wins over them.
    expect(parseStoreEnv({ REDIS_CLUSTER_NODES: 'rediss://a.example:6379' })).toMatchObject({ tls: true });
    expect(
      parseStoreEnv({ REDIS_CLUSTER_NODES: 'rediss://a.example:6379', REDIS_TLS: 'false' }),
    ).toMatchObject({
      tls: false,
    });
  });

  it('reads sentinels, the group name and the sentinels’ own credentials', () => {
    expect(
      parseStoreEnv({
        REDIS_SENTINELS: 's1.example:26379,s2.example:26379',
        REDIS_SENTINEL_NAME: 'parley',
        REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
        REDIS_PASSWORD: 'data-pw',
      }),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1.example', port: 26379 },
        { host: 's2.example', port: 26379 },
      ],
      name: 'parley',
      sentinelPassword: 'sentinel-pw',
      password: 'data-pw',
      prefix: 'parley:',
      tls: false,
    });
  });

  it('refuses contradictions and malformed values, naming the variable', () => {
    const error = (env: Record<string, string>) => {
      try {
        parseStoreEnv(env);
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(error({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'b:2' })).toMatch(
      /REDIS_CLUSTER_NODES: set only one of REDIS_URL, REDIS_CLUSTER_NODES/,
    );
    expect(error({ REDIS_SENTINELS: 'a:26379' })).toMatch(
      /REDIS_SENTINEL_NAME: required with REDIS_SENTINELS/,
    );
    expect(error({ REDIS_SENTINEL_NAME: 'x' })).toMatch(/REDIS_SENTINELS: required/);
    expect(error({ REDIS_CLUSTER_NODES: 'a.example' })).toMatch(
      /REDIS_CLUSTER_NODES: "a.example" is not host:port/,
    );
    expect(error({ REDIS_CLUSTER_NODES: 'a:70000' })).toMatch(/is not host:port/);
    expect(error({ REDIS_CLUSTER_NODES: ' , ' })).toMatch(/REDIS_CLUSTER_NODES: list at least one/);
    expect(error({ REDIS_URL: 'redis://a:1', REDIS_TLS: 'maybe' })).toMatch(
      /REDIS_TLS: use 1\/true or 0\/false/,
    );
    expect(error({ REDIS_CLUSTER_NODES: 'a:1', REDIS_PREFIX: '{parley}:' })).toMatch(
      /REDIS_PREFIX: must not contain/,
    );
  });

  it('describes the store without credentials', () => {
    const text = describeStore(parseStoreEnv({ REDIS_URL: 'redis://parley:s3cret@cache.example:6379/2' }));
    expect(text).toBe('Redis at redis://cache.example:6379/2');
    expect(describeStore(parseStoreEnv({ REDIS_CLUSTER_NODES: 'a:1,b:2', REDIS_PASSWORD: 's3cret' }))).toBe(
      'Redis Cluster via a:1, b:2',
    );
  });
});
