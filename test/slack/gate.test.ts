/**
 * The work gate starts queued work a few items per turn of the event loop, first come first
 * served, urgent before normal — and not while deliveries are being read and acked (acks first),
 * unless the work has waited its longest.
 */
import { describe, expect, it } from 'vitest';
import { WorkGate } from '../../adapters/slack/gate.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

  it('holds work while a delivery is in flight and a quiet spell after it, then starts it', async () => {
    const gate = new WorkGate({ quietMs: 300 });
    let started = false;
    gate.arrived();
    void gate.admit().then(() => {
      started = true;
    });
    for (let i = 0; i < 5; i++) await tick();
    expect(started).toBe(false);
    gate.acked();
    // Acked, but a delivery arrived less than 300 ms ago: more of a burst may be on its way.
    await tick();
    await tick();
    expect(started).toBe(false);
    await sleep(600);
    expect(started).toBe(true);
    expect(gate.deliveriesInFlight).toBe(0);
  });

  it('starts work that has waited its longest even while deliveries keep coming', async () => {
    const gate = new WorkGate({ quietMs: 0, maxWaitMs: { urgent: 200, normal: 3_000 } });
    const order: string[] = [];
    gate.arrived(); // never acked: steady traffic
    const normal = gate.admit('normal').then(() => order.push('normal'));
    const urgent = gate.admit('urgent').then(() => order.push('urgent'));
    // Margins of ~1 s and ~2 s either side: a loaded machine's late timers don't reorder them.
    await sleep(1_000);
    expect(order).toEqual(['urgent']);
    await Promise.all([normal, urgent]);
    expect(order).toEqual(['urgent', 'normal']);
  });

  it('starts urgent work before normal work that waited longer', async () => {
    const gate = new WorkGate({ perTurn: 1, quietMs: 0 });
    const order: string[] = [];
    gate.arrived();
    const all = [
      gate.admit('normal').then(() => order.push('n1')),
      gate.admit('normal').then(() => order.push('n2')),
      gate.admit('urgent').then(() => order.push('u1')),
    ];
    await tick();
    gate.acked();
    await Promise.all(all);
    expect(order).toEqual(['u1', 'n1', 'n2']);
  });
});
