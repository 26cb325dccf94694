/**
 * ShowingViews (src/surface.ts): a surface's `closed` waits for the showings of that interaction
 * still under way in this process, so it finds the message they note — for a bounded time, so a
 * showing stuck on a platform call does not hold the close for ever.
 */
import { describe, expect, it, vi } from 'vitest';
import { ShowingViews } from '../../src/surface.js';

/** A showing held until released (a post whose note is slow), or failed. */
function held() {
  let release!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return { done, release, fail };
}

describe('ShowingViews', () => {
  it('settles at once for a view not being shown', async () => {
    await new ShowingViews().settled('nothing');
  });

  it('waits for a showing that fails, and does not reject', async () => {
    const views = new ShowingViews();
    const a = held();
    const shown = views.show('x', a.done).catch((err: Error) => err.message);
    let settled = false;
    const waiting = views.settled('x').then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    a.fail(new Error('post failed'));
    await waiting;
    expect(await shown).toBe('post failed');
  });

  it('waits for every showing of the same id, not only the latest', async () => {
    const views = new ShowingViews();
    const first = held();
    const second = held();
    void views.show('x', first.done);
    void views.show('x', second.done);
    second.release();
    await new Promise((r) => setTimeout(r, 10));
    let settled = false;
    const waiting = views.settled('x').then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    // The first message is not noted yet: a close now would leave its buttons live.
    expect(settled).toBe(false);
    first.release();
    await waiting;
    expect(settled).toBe(true);
  });

  it('lets a close go after its bound when the showing never ends', async () => {
    vi.useFakeTimers();
    try {
      const views = new ShowingViews();
      void views.show('stuck', new Promise(() => undefined));
      let gone = false;
      void views.settled('stuck', 50).then(() => {
        gone = true;
      });
      await vi.advanceTimersByTimeAsync(49);
      expect(gone).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(gone).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
