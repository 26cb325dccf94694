/**
 * Tokens at rest: every sign-in value in Redis is sealed with AES-256-GCM under PARLEY_SECRET and
 * bound to its key; without the key (or under another person's key) nothing is readable.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/main/config.js';
import {
  type CookieJar,
  createSignIn,
  followSignInLink,
  loadSignInSecret,
  SecretBox,
  SignInVault,
} from '../../src/auth/index.js';
import { serverSchema } from '../../src/config.js';
import { identityKey } from '../../src/conversation.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { MemoryStore, RedisStore } from '../../src/store/index.js';
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
    // A short PARLEY_SECRET is refused where it is parsed, and by SecretBox itself.
    expect(() => loadConfig({ PARLEY_SECRET: 'too-short' }, { cwd })).toThrow(/16 characters/);
    expect(() => new SecretBox('too-short')).toThrow(/16 characters/);
  });

  it('is only made when a server uses OAuth, from the parsed environment', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'parley-secret-'));
    const env = loadConfig({ PARLEY_SECRET_FILE: 'keys/parley.key' }, { cwd }).env;
    const store = new MemoryStore();
    const base = { env, store, logger: silentLogger(), publicBaseUrl: 'https://parley.example', cwd };
    const open = serverSchema.parse({ name: 'open', url: 'http://127.0.0.1:1/mcp' });
    expect(createSignIn({ ...base, servers: [open] })).toBeUndefined();
    expect(() => statSync(join(cwd, 'keys'))).toThrow();

    const oauth = serverSchema.parse({
      name: 'demo',
      url: 'http://127.0.0.1:1/mcp',
      auth: { type: 'oauth' },
    });
    const signIn = createSignIn({ ...base, servers: [open, oauth] });
    expect(signIn?.servers.map((s) => s.name)).toEqual(['demo']);
    expect(statSync(join(cwd, 'keys', 'parley.key')).mode & 0o777).toBe(0o600);
    // https is required for a client ID metadata document; plain http falls back to registration.
    expect(signIn?.clientMetadataUrl).toBe('https://parley.example/oauth/client-metadata.json');
    expect(signIn?.redirectUrl).toBe('https://parley.example/oauth/callback');
    const local = createSignIn({ ...base, servers: [oauth], publicBaseUrl: 'http://127.0.0.1:3000' });
    expect(local?.clientMetadataUrl).toBeUndefined();
    expect(() => loadConfig({ PARLEY_SECRET: 'short' }, { cwd })).toThrow(/PARLEY_SECRET/);
    expect(loadConfig({ PARLEY_FOLLOW_SIGNIN_LINKS: '1' }, { cwd }).console.PARLEY_FOLLOW_SIGNIN_LINKS).toBe(
      true,
    );
    void store.close();
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
    await p.agent.message(conv(u), '/call demo__whoami {}');
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

  it('never reach the logs, and neither do codes or states', async () => {
    let log = '';
    const logger = createLogger({
      level: 'trace',
      destination: new Writable({
        write(chunk, _enc, done) {
          log += String(chunk);
          done();
        },
      }),
    });
    const s = new RecordingSurface();
    const q = await stack.startProcess({ surface: s, logger });
    const u = 'logged';
    await q.agent.message(conv(u), '/call demo__whoami {}');
    const start = (await s.waitFor(u, 'link')).url;
    const jar: CookieJar = new Map();
    const link = new URL((await followSignInLink(start, { jar, stopAt: `${stack.auth.url}/` })).url);
    const reached = await followSignInLink(link.href, { jar, stopAt: `${q.baseUrl}/oauth/callback` });
    const atCallback = new URL(reached.url);
    const cookie = { headers: { cookie: reached.cookie } };
    expect((await fetch(atCallback, cookie)).status).toBe(200);
    await s.waitForText(u, /^alice$/);
    // A refused replay logs too.
    expect((await fetch(atCallback, cookie)).status).toBe(400);

    const identity = identityKey(conv(u));
    const stored = await q.signIn.vault.getTokens(identity, 'demo');
    const client = await q.signIn.vault.getClient(identity, 'demo');
    const secrets = [
      stored?.tokens.access_token,
      stored?.tokens.refresh_token,
      client?.client_secret,
      atCallback.searchParams.get('code'),
      link.searchParams.get('state'),
      link.searchParams.get('code_challenge'),
      new URL(start).pathname.split('/').pop(),
      reached.cookie.split('=')[1],
    ].filter((v): v is string => typeof v === 'string' && v.length > 0);
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    expect(log).toMatch(/"msg":"signed in"/);
    for (const secret of secrets) expect(log).not.toContain(secret);
  });
});
