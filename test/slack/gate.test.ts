/** The work gate starts queued work a few items per turn of the event loop, first come first served. */
import { describe, expect, it } from 'vitest';
import { WorkGate } from '../../adapters/slack/gate.js';

describe('WorkGate', () => {
  it('lets I/O callbacks run between batches and keeps the order', async () => {
    const gate = new WorkGate(2);
    const order: string[] = [];
    const started = Array.from({ length: 5 }, (_, i) => gate.admit().then(() => order.push(`w${i}`)));
    // An I/O-phase callback queued now runs before the second batch starts.
    const io = new Promise<void>((resolve) =>
      setImmediate(() => {
        order.push('io');
        resolve();
      }),
    );
    expect(gate.queued).toBe(5);
    await Promise.all([...started, io]);
    expect(order.filter((o) => o !== 'io')).toEqual(['w0', 'w1', 'w2', 'w3', 'w4']);
    expect(order.indexOf('io')).toBeLessThan(order.indexOf('w2'));
    expect(gate.queued).toBe(0);
  });
});
