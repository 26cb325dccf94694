/**
 * Secret rotation: a process started with a new PARLEY_SECRET and the old one as
 * PARLEY_SECRET_PREVIOUS reads every sign-in the old secret sealed, seals each again with the new
 * secret on first use, and so signs nobody out; once re-sealed, the old secret can go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followSignInLink, SecretBox } from '../../src/auth/index.js';
import { identityKey } from '../../src/conversation.js';
import { type AuthStack, startAuthStack, TEST_SECRET } from '../helpers/auth-stack.js';
import { newRedis } from '../helpers/redis.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

const NEW_SECRET = 'the-rotated-secret-0123456789abcdef';

describe('PARLEY_SECRET rotation', () => {
  let stack: AuthStack;
  const redis = newRedis();

  beforeAll(async () => {
    stack = await startAuthStack({ label: 'rotation' });
  });
  afterAll(async () => {
    redis.disconnect();
    await stack?.close();
  });

  it('signs nobody out: the old secret still opens, and each value is re-sealed with the new one', async () => {
    const u = 'rotating';
    const identity = identityKey(conv(u));
    const tokensKey = `${stack.prefix}oauth:${identity}:demo:tokens`;

    // Before: signed in under the old secret.
    const before = new RecordingSurface();
    const old = await stack.startProcess({ surface: before });
    await old.agent.message(conv(u), '/call demo__whoami {}');
    await followSignInLink((await before.waitFor(u, 'link')).url);
    await before.waitForText(u, /^alice$/);
    await old.stop();
    const sealedBefore = (await redis.get(tokensKey)) ?? '';
    expect(new SecretBox(TEST_SECRET).open(sealedBefore, tokensKey.slice(stack.prefix.length))).toBeDefined();

    // Without the previous secret the new one can't read it: that person would be signed out.
    const forgetful = await stack.startProcess({ secret: NEW_SECRET });
    expect(await forgetful.signIn.vault.getTokens(identity, 'demo')).toBeUndefined();
    await forgetful.stop();

    // After the rotation: the same person's next call needs no sign-in.
    const after = new RecordingSurface();
    const rotated = await stack.startProcess({
      surface: after,
      secret: NEW_SECRET,
      previousSecrets: [TEST_SECRET],
    });
    await rotated.agent.message(conv(u), '/call demo__whoami {}');
    await after.waitForText(u, /^alice$/);
    expect(after.for(u).some((m) => m.kind === 'link')).toBe(false);

    // Re-sealed: the new secret alone opens it now, the old one no longer does.
    const sealedAfter = (await redis.get(tokensKey)) ?? '';
    const aad = tokensKey.slice(stack.prefix.length);
    expect(sealedAfter).not.toBe(sealedBefore);
    expect(new SecretBox(NEW_SECRET).open(sealedAfter, aad)).toBeDefined();
    expect(new SecretBox(TEST_SECRET).open(sealedAfter, aad)).toBeUndefined();
    await rotated.stop();

    // So the previous secret can be dropped.
    const final = await stack.startProcess({ secret: NEW_SECRET });
    expect(await final.signIn.vault.getTokens(identity, 'demo')).toBeDefined();
  });
});
