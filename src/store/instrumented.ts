/**
 * Measures a Store without changing it: each round trip is a `store.<operation>` span (under the
 * turn that made it) and each failure counts in `parley_store_errors_total`. The key is never an
 * attribute: keys carry people's ids.
 */
import { metrics } from '../observability/metrics.js';
import { withSpan } from '../observability/tracing.js';
import type { Store } from './store.js';

type Operation = Exclude<keyof Store, 'subscribe' | 'close' | 'rateLimiter'>;

export function instrumentStore(store: Store, system: 'redis' | 'memory'): Store {
  const run = <T>(operation: Operation, work: () => Promise<T>): Promise<T> =>
    withSpan(`store.${operation}`, { 'db.system': system, 'db.operation': operation }, async () => {
      try {
        return await work();
      } catch (err) {
        metrics.storeError(operation);
        throw err;
      }
    });
  return {
    get: (key) => run('get', () => store.get(key)),
    set: (key, value, ttlMs) => run('set', () => store.set(key, value, ttlMs)),
    setIfAbsent: (key, value, ttlMs) => run('setIfAbsent', () => store.setIfAbsent(key, value, ttlMs)),
    take: (key) => run('take', () => store.take(key)),
    takeTogether: (take, mark) => run('takeTogether', () => store.takeTogether(take, mark)),
    delete: (key) => run('delete', () => store.delete(key)),
    deleteIfEquals: (key, value) => run('deleteIfEquals', () => store.deleteIfEquals(key, value)),
    append: (key, items, maxLen, ttlMs) => run('append', () => store.append(key, items, maxLen, ttlMs)),
    range: (key) => run('range', () => store.range(key)),
    publish: (channel, message) => run('publish', () => store.publish(channel, message)),
    ping: () => run('ping', () => store.ping()),
    rateLimiter: (options) => store.rateLimiter(options),
    subscribe: async (channel, onMessage) => {
      try {
        return await store.subscribe(channel, onMessage);
      } catch (err) {
        metrics.storeError('subscribe');
        throw err;
      }
    },
    close: () => store.close(),
  };
}
