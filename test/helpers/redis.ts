/** Per-test access to the run's real Redis (see test/global-setup.ts). */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export const redisUrl = (): string => inject('redisUrl');

/** A key prefix unique to one test, inside the run's prefix (which the run cleans up). */
export function testKeyPrefix(label = 't'): string {
  return `${inject('redisPrefix')}${label}:${randomBytes(3).toString('hex')}:`;
}

export function newRedis(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: 2 });
}
