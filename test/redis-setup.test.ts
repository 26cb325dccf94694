import { describe, expect, it } from 'vitest';
import { newRedis, testKeyPrefix } from './helpers/redis.js';

describe('test setup', () => {
  it('gives every test a real Redis under the run prefix', async () => {
    const redis = newRedis();
    const key = `${testKeyPrefix('setup')}probe`;
    await redis.set(key, 'ok', 'EX', 60);
    expect(await redis.get(key)).toBe('ok');
    expect(key.startsWith('parley-test:')).toBe(true);
    redis.disconnect();
  });
});
