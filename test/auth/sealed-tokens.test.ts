/**
 * README (Guarantees): "a sealed value that was changed, or sealed with a secret the process
 * doesn't have, is refused — the person is told in one sentence, the log gets a warning with code
 * `sealed_unreadable` (never the value), and Parley goes on." Tried on sign-in data: a person's
 * stored tokens changed in Redis, then read by a process that hasn't cached them.
 */
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followSignInLink } from '../../src/auth/index.js';
import { identityKey } from '../../src/conversation.js';
import { createLogger } from '../../src/logger.js';
import { type AuthStack, startAuthStack } from '../helpers/auth-stack.js';
import { redisUrl } from '../helpers/redis.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

let stack: AuthStack;
beforeAll(async () => {
  stack = await startAuthStack({ label: 'trial-sealed' });
});
afterAll(async () => {
  await stack?.close();
});

describe('changed sign-in data', () => {
  it('is refused with a coded warning, and the person is asked to sign in again', async () => {
    const first = new RecordingSurface();
    const a = await stack.startProcess({ surface: first });
    const u = 'sealed-tokens';
    await a.agent.message(conv(u), '/call demo__whoami {}');
    expect((await followSignInLink((await first.waitFor(u, 'link')).url)).status).toBe(200);
    await first.waitForText(u, /^alice$/);

    // Someone with access to Redis changes one character of the sealed tokens.
    const key = `${stack.prefix}oauth:${identityKey(conv(u))}:demo:tokens`;
    const redis = new Redis(redisUrl());
    const value = (await redis.get(key)) as string;
    const at = Math.floor(value.length / 2);
    await redis.set(
      key,
      value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1),
      'KEEPTTL',
    );
    redis.disconnect();

    let log = '';
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk, _enc, done) {
          log += String(chunk);
          done();
        },
      }),
    });
    const second = new RecordingSurface();
    const b = await stack.startProcess({ surface: second, logger });
    await b.agent.message(conv(u), '/call demo__whoami {}');
    // Parley goes on: signed out, a new sign-in link (and no tool call with the changed tokens).
    await second.waitFor(u, 'link');
    expect(log).toMatch(/"code":"sealed_unreadable"/);
  });
});
