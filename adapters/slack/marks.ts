/**
 * The receive path's store writes that must not lose a delivery: the once-only mark on each
 * message, command and shortcut, and the fallback reply address. Each is acked already (or is
 * acked next), so a store failure here is handled, never thrown past the ack.
 */
import { describeError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { Store } from '../../src/store/index.js';

/**
 * True the first time `key` is marked — or when the store can't say. The mark only guards
 * against Slack delivering one message twice, and every caller has acked already (or acks next):
 * Slack will not redeliver, so failing closed would lose the message without a word. Open, the
 * turn runs, and the core tells the person "storage is unavailable" if the store is still down.
 * The cost: a delivery Slack retries (its ack lost) during the same outage may run twice.
 */
export async function firstSight(store: Store, key: string, ttlMs: number, logger: Logger): Promise<boolean> {
  try {
    return await store.setIfAbsent(key, '1', ttlMs);
  } catch (err) {
    logger.warn({ err: describeError(err) }, 'Slack dedupe mark failed; handling the delivery anyway');
    return true;
  }
}

/** Keeps a fallback reply address; without it the turn still runs (only unpostable channels lose). */
export async function remember(keep: () => Promise<void>, logger: Logger): Promise<void> {
  try {
    await keep();
  } catch (err) {
    logger.warn({ err: describeError(err) }, 'could not keep a Slack response_url; going on without it');
  }
}
