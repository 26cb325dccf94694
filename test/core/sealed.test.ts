/**
 * Sealed records (src/store/sealed.ts) and their users, on the real Redis: a value sealed with the
 * previous secret still opens after a rotation (PARLEY_SECRET_PREVIOUS); a value that was changed,
 * sealed with another secret or written in clear is refused — with a logged warning that carries
 * a code and never the value, and, where a person acts on it, a sentence for them — and nothing
 * crashes.
 */
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { DiscordState } from '../../adapters/discord/state.js';
import { Agent } from '../../src/agent.js';
import { SecretBox } from '../../src/auth/crypto.js';
import { SignInService } from '../../src/auth/signin.js';
import type { Conversation } from '../../src/conversation.js';
import { ParleyHttpServer } from '../../src/http.js';
import { type PendingInteraction, PendingStore } from '../../src/interactions/pending.js';
import { createLogger, type Logger, silentLogger } from '../../src/logger.js';
import { RedisStore, SealedRecords, UNREADABLE_SENTENCE } from '../../src/store/index.js';
import { newRedis, redisUrl, testKeyPrefix } from '../helpers/redis.js';

const OLD = 'the-old-secret-0123456789abcdef';
const NEW = 'the-new-secret-fedcba9876543210';
const old = new SecretBox(OLD);
const rotated = new SecretBox(NEW, [OLD]);
const fresh = new SecretBox(NEW);

const prefix = testKeyPrefix('sealed');
const store = new RedisStore({ url: redisUrl(), prefix });
const redis = newRedis();
afterAll(async () => {
  redis.disconnect();
  await store.close();
});

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  return { logger, lines };
}

/** Changes one character in the middle of the stored value (the raw Redis key, prefix included). */
async function tamper(key: string): Promise<void> {
  const value = (await redis.get(`${prefix}${key}`)) ?? '';
  expect(value).toMatch(/^v1\./);
  const at = Math.floor(value.length / 2);
  await redis.set(
    `${prefix}${key}`,
    value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1),
    'KEEPTTL',
  );
}

const conversation: Conversation = { platform: 'test', workspace: 'W', channel: 'C', user: 'U' };

describe('SealedRecords', () => {
  it('opens what the previous secret sealed, and refuses a changed, foreign or clear value with one warning', async () => {
    const secret = 'https://hooks.slack.test/actions/T1/2/abcdefLEAKY';
    await new SealedRecords(store, old, undefined, 'test').set('rec:a', { url: secret }, 60_000);
    expect(await redis.get(`${prefix}rec:a`)).not.toContain('LEAKY');

    expect(await new SealedRecords(store, rotated, undefined, 'test').get('rec:a')).toEqual({ url: secret });

    const { logger, lines } = capture();
    const strict = new SealedRecords(store, fresh, logger, 'test');
    expect(await strict.get('rec:a')).toBeUndefined();
    // Copied under another key, it doesn't open there either (the key is its associated data).
    await redis.set(`${prefix}rec:b`, (await redis.get(`${prefix}rec:a`)) ?? '', 'PX', 60_000);
    expect(await new SealedRecords(store, rotated, undefined, 'test').get('rec:b')).toBeUndefined();
    await store.set('rec:clear', JSON.stringify({ url: secret }), 60_000);
    expect(await strict.get('rec:clear')).toBeUndefined();
    await new SealedRecords(store, fresh, undefined, 'test').set('rec:c', { url: secret }, 60_000);
    await tamper('rec:c');
    expect(await strict.take('rec:c')).toBeUndefined();

    const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warnings.filter((w) => w.level === 40)).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      code: 'sealed_unreadable',
      msg: expect.stringMatching(
        /sealed test record in the store could not be opened .*PARLEY_SECRET_PREVIOUS/,
      ),
    });
    expect(lines.join('')).not.toContain('LEAKY');
    expect(lines.join('')).not.toContain('rec:');
  });
});

describe('pending interactions', () => {
  const link = (url: string): Omit<PendingInteraction, 'id' | 'createdAt' | 'expiresAt'> => ({
    conversation,
    kind: 'link',
    origin: 'demo · sign-in',
    route: { type: 'turn', turnId: 't1' },
    link: { url, host: 'parley.test', message: 'Sign in', purpose: 'signin' },
  });

  it('are sealed; a rotation still opens them; another secret or a change is refused with the sentence', async () => {
    const url = 'https://parley.test/oauth/start/START-ID-THAT-MUST-NOT-LEAK';
    const record = await new PendingStore(store, 60_000, old).create(link(url), Date.now());
    expect(await redis.get(`${prefix}pending:{${record.id}}`)).not.toContain('START-ID');

    expect((await new PendingStore(store, 60_000, rotated).get(record.id))?.link?.url).toBe(url);

    const refused = new PendingStore(store, 60_000, fresh, silentLogger()).get(record.id);
    await expect(refused).rejects.toMatchObject({
      code: 'sealed_unreadable',
      userMessage: UNREADABLE_SENTENCE,
    });

    const other = await new PendingStore(store, 60_000, fresh).create(link(url), Date.now());
    await tamper(`pending:{${other.id}}`);
    const strict = new PendingStore(store, 60_000, fresh, silentLogger());
    await expect(strict.get(other.id)).rejects.toMatchObject({ code: 'sealed_unreadable' });
    // Taking it consumes it (a tombstone answers a retry) and is refused the same way.
    await expect(strict.take(other.id, 'submitted', Date.now())).rejects.toMatchObject({
      code: 'sealed_unreadable',
    });
    expect(await strict.tombstone(other.id)).toMatchObject({ outcome: 'submitted' });
  });

  it('are sealed by the agent with the sign-in service’s key, and a different key is refused at once', () => {
    const signIn = new SignInService({
      store,
      box: fresh,
      servers: [],
      publicBaseUrl: 'https://parley.test',
      logger: silentLogger(),
    });
    expect(() => new Agent({ store, servers: [], logger: silentLogger(), signIn, sealer: old })).toThrow(
      /same key/,
    );
    expect(
      () => new Agent({ store, servers: [], logger: silentLogger(), signIn, sealer: fresh }),
    ).not.toThrow();
  });
});

describe('Discord routes', () => {
  it('keep their interaction token sealed; a rotation opens it; a changed route falls back to the channel', async () => {
    const now = () => Date.now();
    const route = {
      type: 'interaction' as const,
      applicationId: 'A1',
      token: 'INTERACTION-TOKEN-THAT-MUST-NOT-LEAK',
      expiresAt: Date.now() + 600_000,
      ephemeral: true,
      original: 'open' as const,
      channelId: 'C',
    };
    await new DiscordState(store, old, now).saveRoute(conversation, route);
    const keys = await redis.keys(`${prefix}discord:route:*`);
    expect(keys).toHaveLength(1);
    expect(await redis.get(keys[0] as string)).not.toContain('INTERACTION-TOKEN');

    expect(await new DiscordState(store, rotated, now).route(conversation)).toEqual(route);

    await tamper((keys[0] as string).slice(prefix.length));
    const { logger, lines } = capture();
    expect(await new DiscordState(store, rotated, now, logger).route(conversation)).toEqual({
      type: 'channel',
      channelId: 'C',
    });
    expect(lines.join('')).toMatch(/"code":"sealed_unreadable".*sealed Discord route record/);
  });
});

describe('short links', () => {
  it('open after a rotation, and a changed one is refused with the sentence', async () => {
    const serve = async (sealer: SecretBox) => {
      const http = new ParleyHttpServer({
        store,
        logger: silentLogger(),
        publicBaseUrl: 'http://placeholder',
        sealer,
      });
      const port = await http.listen(0, '127.0.0.1');
      return { http, base: `http://127.0.0.1:${port}` };
    };
    const before = await serve(old);
    const after = await serve(rotated);
    try {
      const target = `https://example.com/consent?${'x'.repeat(600)}`;
      const path = new URL(await before.http.shortLink(target, 60_000)).pathname;
      const res = await fetch(`${after.base}${path}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(target);

      // A secret that never sealed it refuses it; so does every process once it was changed.
      const other = await serve(fresh);
      try {
        const refused = await fetch(`${other.base}${path}`, { redirect: 'manual' });
        expect(refused.status).toBe(400);
        expect(await refused.text()).toBe(UNREADABLE_SENTENCE);
      } finally {
        await other.http.close();
      }
    } finally {
      await before.http.close();
      await after.http.close();
    }
  });
});
