import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { digest } from '../../src/auth/crypto.js';
import { ParleyHttpServer } from '../../src/http.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { MemoryStore, RedisStore } from '../../src/store/index.js';
import { startRedisProcess } from '../helpers/redis-process.js';

const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function serve(store: MemoryStore | RedisStore) {
  const http = new ParleyHttpServer({ store, logger: silentLogger(), publicBaseUrl: 'http://parley.test' });
  const port = await http.listen(0, '127.0.0.1');
  closers.push(() => http.close());
  return { http, base: `http://127.0.0.1:${port}` };
}

describe("Parley's HTTP server", () => {
  it('answers health and readiness', async () => {
    const { base } = await serve(new MemoryStore());
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('is not ready while the store is unreachable, and ready again when it returns', async () => {
    const redis = await startRedisProcess();
    const store = new RedisStore({ url: redis.url, maxReconnectDelayMs: 100 });
    closers.push(async () => {
      await store.close();
      await redis.stop();
    });
    const { base } = await serve(store);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await redis.stop();
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ok: false, error: 'store unavailable' });
    await redis.start();
    await expect.poll(async () => (await fetch(`${base}/readyz`)).status, { timeout: 5_000 }).toBe(200);
  });

  it('redirects short links while they live, and explains when one expired', async () => {
    const store = new MemoryStore();
    const { http, base } = await serve(store);
    const long = `https://example.com/consent?${'x'.repeat(600)}`;
    const short = await http.shortLink(long, 60_000);
    expect(short).toMatch(/^http:\/\/parley\.test\/l\/[A-Za-z0-9_-]{22}$/);
    // The store holds neither the URL nor the id that opens it (issue 10 §4).
    const id = new URL(short).pathname.split('/').pop() as string;
    expect(store.size()).toBe(1);
    expect(await store.get(`link:${id}`)).toBeUndefined();
    const sealed = (await store.get(`link:${digest(id)}`)) ?? '';
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('example.com');
    expect(sealed).not.toContain(id);
    const res = await fetch(`${base}${new URL(short).pathname}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(long);
    const gone = await fetch(`${base}/l/AAAAAAAAAAAAAAAAAAAAAA`, { redirect: 'manual' });
    expect(gone.status).toBe(404);
    expect(await gone.text()).toMatch(/expired/);
  });
});

describe('in-memory store', () => {
  it('warns once in production that state is neither kept nor shared', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'warn', destination });
    void new MemoryStore({ nodeEnv: 'production', logger }).close();
    void new MemoryStore({ nodeEnv: 'production', logger }).close();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 40,
      msg: expect.stringMatching(/REDIS_URL/),
    });
  });
});
