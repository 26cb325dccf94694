/** RoundExpiry: one timer for every stored round a process posted; each lapses once, in order. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Lapse, RoundExpiry } from '../../src/interactions/expiry.js';

const conversation = { platform: 'test', workspace: 'w', channel: 'c', user: 'u' };
const lapse = (id: string): Lapse => ({ id, conversation, server: 'demo', tool: 't' });

describe('RoundExpiry', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('tells each round once when its time comes, in order; a cancelled one never', () => {
    const seen: string[] = [];
    const expiry = new RoundExpiry(
      (l) => seen.push(l.id),
      () => Date.now(),
    );
    const start = Date.now();
    expiry.add(lapse('a'), start + 1_000);
    const cancelB = expiry.add(lapse('b'), start + 2_000);
    expiry.add(lapse('c'), start + 3_000);
    cancelB();
    vi.advanceTimersByTime(1_500);
    expect(seen).toEqual(['a']);
    vi.advanceTimersByTime(5_000);
    expect(seen).toEqual(['a', 'c']);
    vi.advanceTimersByTime(60_000);
    expect(seen).toEqual(['a', 'c']);
  });

  it('an earlier round added later re-arms the timer; stop forgets everything', () => {
    const seen: string[] = [];
    const expiry = new RoundExpiry(
      (l) => seen.push(l.id),
      () => Date.now(),
    );
    const start = Date.now();
    expiry.add(lapse('late'), start + 10_000);
    expiry.add(lapse('soon'), start + 100);
    vi.advanceTimersByTime(200);
    expect(seen).toContain('soon');
    expiry.stop();
    vi.advanceTimersByTime(20_000);
    expect(seen).not.toContain('late');
  });
});
