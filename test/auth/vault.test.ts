/**
 * Tokens at rest: every sign-in value in Redis is sealed with AES-256-GCM under PARLEY_SECRET and
 * bound to its key; without the key (or under another person's key) nothing is readable.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followSignInLink, loadSignInSecret, SecretBox, SignInVault } from '../../src/auth/index.js';
import { identityKey } from '../../src/conversation.js';
import { createLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type AuthStack, type ParleyProcess, startAuthStack, TEST_SECRET } from '../helpers/auth-stack.js';
import { newRedis, redisUrl } from '../helpers/redis.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

describe('SecretBox', () => {
  it('opens only with the same key and the same associated key name', () => {
    const box = new SecretBox(TEST_SECRET);
    const sealed = box.seal('{"access_token":"abc"}', 'oauth:alice:demo:tokens');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('abc');
    expect(box.open(sealed, 'oauth:alice:demo:tokens')).toBe('{"access_token":"abc"}');
    expect(box.open(sealed, 'oauth:bob:demo:tokens')).toBeUndefined();
    expect(new SecretBox('another-secret-entirely!').open(sealed, 'oauth:alice:demo:tokens')).toBeUndefined();
    const [v, iv, body, tag] = sealed.split('.');
    const flipped = `${v}.${iv}.${body?.startsWith('A') ? `B${body.slice(1)}` : `A${body?.slice(1)}`}.${tag}`;
    expect(box.open(flipped, 'oauth:alice:demo:tokens')).toBeUndefined();
    expect(() => new SecretBox('short')).toThrow(/16 characters/);
  });
});

describe('the sign-in secret', () => {
  it('is generated into .parley/secret with mode 0600, logged by path only, and kept', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'parley-secret-'));
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
    const first = loadSignInSecret({ cwd, logger });
    const path = join(cwd, '.parley', 'secret');
    expect(first).toMatchObject({ source: 'generated', path });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.secret);
    expect(log).toContain(path);
    expect(log).not.toContain(first.secret);

    expect(loadSignInSecret({ cwd })).toMatchObject({ source: 'file', secret: first.secret });
    expect(loadSignInSecret({ cwd, secret: TEST_SECRET })).toEqual({
      secret: TEST_SECRET,
      source: 'PARLEY_SECRET',
    });
    expect(() => loadSignInSecret({ cwd, secret: 'too-short' })).toThrow(/16 characters/);
  });
});

describe('tokens in the store', () => {
  let stack: AuthStack;
  let p: ParleyProcess;
  const surface = new RecordingSurface();
  const redis = newRedis();

  beforeAll(async () => {
    stack = await startAuthStack({ label: 'vault' });
    p = await stack.startProcess({ surface });
  });
  afterAll(async () => {
    redis.disconnect();
    await stack?.close();
  });

  it('are unreadable without PARLEY_SECRET, and only under their own key with it', async () => {
    const u = 'sealed';
    await p.agent.handleMessage(conv(u), '/call demo__whoami {}');
    await followSignInLink((await surface.waitFor(u, 'link')).url);
    await surface.waitForText(u, /^alice$/);

    const identity = identityKey(conv(u));
    const stored = await p.signIn.vault.getTokens(identity, 'demo');
    const client = await p.signIn.vault.getClient(identity, 'demo');
    const secrets = [stored?.tokens.access_token, stored?.tokens.refresh_token, client?.client_secret].filter(
      (s): s is string => typeof s === 'string' && s.length > 0,
    );
    expect(secrets.length).toBeGreaterThanOrEqual(2);

    // Everything Parley keeps for this sign-in, as Redis holds it.
    const keys = await redis.keys(`${stack.prefix}oauth:*`);
    const sealedKeys = keys.filter((k) => /:(tokens|client|discovery)$/.test(k));
    expect(sealedKeys.map((k) => k.split(':').at(-1)).sort()).toEqual(['client', 'discovery', 'tokens']);
    for (const key of keys) {
      const raw = (await redis.get(key)) ?? '';
      for (const secret of secrets) {
        expect(raw).not.toContain(secret);
        expect(raw).not.toContain(Buffer.from(secret).toString('base64'));
      }
      if (sealedKeys.includes(key)) expect(raw).toMatch(/^v1\./);
    }

    // Another key reads nothing; the right key reads everything back.
    const store = new RedisStore({ url: redisUrl(), prefix: stack.prefix });
    try {
      const wrong = new SignInVault(store, new SecretBox('not-the-parley-secret-at-all'));
      expect(await wrong.getTokens(identity, 'demo')).toBeUndefined();
      expect(await wrong.getClient(identity, 'demo')).toBeUndefined();
      const right = new SignInVault(store, new SecretBox(TEST_SECRET));
      expect((await right.getTokens(identity, 'demo'))?.tokens.access_token).toBe(
        stored?.tokens.access_token,
      );

      // Copying alice's sealed tokens under bob's key does not sign bob in.
      const thief = identityKey(conv('thief'));
      const tokensKey = sealedKeys.find((k) => k.endsWith(':tokens')) as string;
      await redis.set(
        `${stack.prefix}oauth:${thief}:demo:tokens`,
        (await redis.get(tokensKey)) as string,
        'PX',
        60_000,
      );
      expect(await right.getTokens(thief, 'demo')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
