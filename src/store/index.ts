import type { Logger } from '../logger.js';
import type { StoreConfig } from './config.js';
import { instrumentStore } from './instrumented.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { Store } from './store.js';

export { describeStore, parseStoreEnv, type StoreConfig } from './config.js';
export { instrumentStore } from './instrumented.js';
export { MemoryStore } from './memory.js';
export { RedisStore } from './redis.js';
export { MINIMUM_REDIS_VERSION } from './redis-client.js';
export { SealedRecords, type Sealer, UNREADABLE_SENTENCE, unreadableRecord } from './sealed.js';
export * from './store.js';

/**
 * Builds the store a {@link StoreConfig} (from `parseStoreEnv`) names: Redis on one node, on a
 * Cluster or behind Sentinel, or the in-memory store. `redisUrl` is the older single-node form.
 */
export function createStore(options: {
  config?: StoreConfig;
  redisUrl?: string | undefined;
  prefix?: string;
  logger?: Logger;
  nodeEnv?: string | undefined;
}): Store {
  const config = options.config;
  const common = {
    ...(options.prefix !== undefined && { prefix: options.prefix }),
    ...(options.logger && { logger: options.logger }),
  };
  // Measured (spans and error counts, see instrumentStore) without changing what it does.
  if (config && config.kind !== 'memory')
    return instrumentStore(new RedisStore({ topology: config, ...common }), 'redis');
  if (!config && options.redisUrl)
    return instrumentStore(new RedisStore({ url: options.redisUrl, ...common }), 'redis');
  const memory = new MemoryStore({
    ...(options.logger && { logger: options.logger }),
    ...(options.nodeEnv !== undefined && { nodeEnv: options.nodeEnv }),
  });
  return instrumentStore(memory, 'memory');
}
