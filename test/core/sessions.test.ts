import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/sessions.js';
import { MemoryStore, RedisStore, type Store } from '../../src/store/index.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { conv } from '../helpers/surface.js';

describe('session history', () => {
  it('keeps the last N turns within the token budget, per session', async () => {
    const sessions = new SessionStore(new MemoryStore(), { maxTurns: 3, tokenBudget: 50, ttlMs: 60_000 });
    const a = conv('ann');
    const b = { ...conv('ann'), thread: 'T1' };
    for (let i = 1; i <= 5; i++) {
      await sessions.append(a, [
        { role: 'user', content: `question ${i}` },
        { role: 'assistant', content: `answer ${i}` },
      ]);
    }
    expect((await sessions.history(a)).map((e) => e.content)).toEqual([
      'question 3',
      'answer 3',
      'question 4',
      'answer 4',
      'question 5',
      'answer 5',
    ]);
    // A thread is a session of its own.
    expect(await sessions.history(b)).toEqual([]);

    await sessions.append(a, [
      { role: 'user', content: 'x'.repeat(120) },
      { role: 'assistant', content: 'y'.repeat(60) },
    ]);
    const bounded = await sessions.history(a);
    expect(bounded.reduce((n, e) => n + Math.ceil(e.content.length / 4), 0)).toBeLessThanOrEqual(50);
    expect(bounded[0]?.role).toBe('user');

    await sessions.reset(a);
    expect(await sessions.history(a)).toEqual([]);
  });
});

describe.each([
  ['memory', () => new MemoryStore()],
  ['redis', () => new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('sessions') })],
] as Array<[string, () => Store]>)('session history on the %s store', (_kind, make) => {
  it('keeps every entry when turns in one conversation finish at once', async () => {
    const store = make();
    try {
      const sessions = new SessionStore(store, { maxTurns: 50, tokenBudget: 100_000, ttlMs: 60_000 });
      const c = conv('busy');
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          sessions.append(c, [
            { role: 'user', content: `question ${i}` },
            { role: 'assistant', content: `answer ${i}` },
          ]),
        ),
      );
      const history = await sessions.history(c);
      expect(history).toHaveLength(24);
      // Each turn's two entries stay together, question first.
      for (let i = 0; i < history.length; i += 2) {
        expect(history[i]?.content.replace('question', 'answer')).toBe(history[i + 1]?.content);
      }
      expect(new Set(history.map((e) => e.content)).size).toBe(24);
    } finally {
      await store.close();
    }
  });
});
