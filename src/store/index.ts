import type { Logger } from '../logger.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { Store } from './store.js';

export { MemoryStore } from './memory.js';
export { RedisStore } from './redis.js';
export * from './store.js';

/** Redis when a URL is configured, the in-memory store otherwise. */
export function createStore(options: {
  redisUrl?: string | undefined;
  prefix?: string;
  logger?: Logger;
  nodeEnv?: string | undefined;
}): Store {
  if (options.redisUrl) {
    return new RedisStore({
      url: options.redisUrl,
      ...(options.prefix !== undefined && { prefix: options.prefix }),
      ...(options.logger && { logger: options.logger }),
    });
  }
  return new MemoryStore({
    ...(options.logger && { logger: options.logger }),
    ...(options.nodeEnv !== undefined && { nodeEnv: options.nodeEnv }),
  });
}
