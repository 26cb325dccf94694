/**
 * ShowingViews (src/surface.ts): a close waits for its view's showing in this process — until it
 * ends, fails, or (stuck on a platform call) for a bounded time.
 */
import { describe, expect, it } from 'vitest';
import { ShowingViews } from '../../src/surface.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('ShowingViews', () => {
  it('lets a close go at once when nothing is being shown', async () => {
    const views = new ShowingViews();
    let done = false;
    await views.settled('x').then(() => {
      done = true;
    });
    expect(done).toBe(true);
  });

  it('holds a close until the showing ends, failed or not, and passes the showing’s outcome on', async () => {
    const views = new ShowingViews();
    let finish: () => void = () => undefined;
    const shown = views.show('a', new Promise<string>((r) => (finish = () => r('posted'))));
    let closed = false;
    const closing = views.settled('a').then(() => {
      closed = true;
    });
    await tick();
    expect(closed).toBe(false);
    finish();
    await closing;
    expect(closed).toBe(true);
    expect(await shown).toBe('posted');

    const failed = views.show('b', Promise.reject(new Error('refused')));
    await expect(failed).rejects.toThrow('refused');
    await views.settled('b');
  });

  it('lets a close go after its bound when the showing never ends', async () => {
    const views = new ShowingViews();
    void views.show('stuck', new Promise(() => undefined));
    const started = Date.now();
    await views.settled('stuck', 50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});
