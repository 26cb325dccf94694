/**
 * `/logout` while a sign-in link is still open (the person asked `/login`, or a tool asked them
 * to sign in, and they haven't finished). The reply says "Signed out … I’ve forgotten your tokens"
 * — but does the open link still sign them in afterwards?
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followSignInLink } from '../../src/auth/index.js';
import { type AuthStack, startAuthStack } from '../helpers/auth-stack.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

let stack: AuthStack;
beforeAll(async () => {
  stack = await startAuthStack({ label: 'trial-logout' });
});
afterAll(async () => {
  await stack?.close();
});

describe('/logout with a sign-in link still open', () => {
  it('the open link no longer signs the person in', async () => {
    const s = new RecordingSurface();
    const p = await stack.startProcess({ surface: s });
    const u = 'logout-open-link';
    await p.agent.message(conv(u), '/login demo');
    const link = (await s.waitFor(u, 'link')).url;
    await p.agent.message(conv(u), '/logout demo');
    const said = await s.waitForText(u, /Signed out|weren’t signed in|signed in/i);
    const page = await followSignInLink(link);
    await p.agent.message(conv(u), '/whoami');
    const whoami = await s.waitForText(u, /Your sign-ins/);
    expect({ said, page: page.text.slice(0, 120), whoami }).toEqual(
      expect.objectContaining({ whoami: expect.stringMatching(/not signed in/) }),
    );
  });
});
