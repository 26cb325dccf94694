import type { Logger } from '../logger.js';
import { instrumentStore } from './instrumented.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { Store } from './store.js';

export { instrumentStore } from './instrumented.js';
export { MemoryStore } from './memory.js';
export { RedisStore } from './redis.js';
export * from './store.js';

/** Redis when a URL is configured, the in-memory store otherwise; measured (see instrumentStore). */
export function createStore(options: {
  redisUrl?: string | undefined;
  prefix?: string;
  logger?: Logger;
  nodeEnv?: string | undefined;
}): Store {
  if (options.redisUrl) {
    const redis = new RedisStore({
      url: options.redisUrl,
      ...(options.prefix !== undefined && { prefix: options.prefix }),
      ...(options.logger && { logger: options.logger }),
    });
    return instrumentStore(redis, 'redis');
  }
  const memory = new MemoryStore({
    ...(options.logger && { logger: options.logger }),
    ...(options.nodeEnv !== undefined && { nodeEnv: options.nodeEnv }),
  });
  return instrumentStore(memory, 'memory');
}
