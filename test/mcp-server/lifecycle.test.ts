import { describe, expect, it } from 'vitest';
import { connectTestClient } from '../helpers/mcp-client.js';
import { startDemoServerFixture } from '../helpers/mcp-demo-server.js';

describe('close()', () => {
  it('ends open streams, sessions and waiting calls', async () => {
    const fx = await startDemoServerFixture({ calendarWaitMs: 60_000 });
    let asked!: () => void;
    const questionArrived = new Promise<void>((resolve) => {
      asked = resolve;
    });
    // A legacy session with its standalone stream open and a form nobody will ever answer.
    const legacy = await connectTestClient(fx.server.url, {
      era: 'legacy',
      onElicit: () => {
        asked();
        return new Promise(() => {});
      },
    });
    // A modern call waiting for a consent nobody will give.
    const modern = await connectTestClient(fx.server.url, {
      era: 'modern',
      onElicit: () => ({ action: 'accept' }),
    });
    const pendingForm = legacy.callTool({ name: 'survey', arguments: {} }).catch((e: unknown) => e);
    const pendingConsent = modern
      .callTool({ name: 'connect_calendar', arguments: {} })
      .catch((e: unknown) => e);
    await questionArrived;

    // Only hang detection: how fast close() is belongs to no unit test.
    await Promise.race([
      fx.close(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('close() hung')), 10_000)),
    ]);
    // The modern call's stream ended, so it fails at once. The legacy client instead tries to resume
    // its dropped stream (as it should), so its call ends when the client gives up or closes.
    await Promise.allSettled([legacy.close(), modern.close()]);
    const outcomes = await Promise.race([
      Promise.all([pendingForm, pendingConsent]),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('calls still hanging')), 5000)),
    ]);
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(Error);

    // The port is free again: nothing is listening there any more.
    await expect(fetch(fx.server.url, { method: 'POST' })).rejects.toThrow();
  });
});
