/**
 * Readiness and shutdown as an orchestrator sees them: /readyz is 503 while Slack's socket is
 * down, while the store is unreachable and from the moment shutdown starts; shutdown lets HTTP
 * requests under way finish; REDIS_URL without PARLEY_SECRET is refused at start; a chat platform
 * gets a sealing key even when no server signs in.
 */
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startParley, systemPromptFromEnv } from '../../adapters/main/parley.js';
import { ParleyHttpServer } from '../../src/http.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore, RedisStore } from '../../src/store/index.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { redisUrl } from '../helpers/redis.js';

const logger = silentLogger();
const sink = () =>
  new Writable({
    write(_c, _e, done) {
      done();
    },
  });

async function readyz(base: string): Promise<{ status: number; body: { ok: boolean; error?: string } }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; error?: string } };
}

/** A config file listing one MCP server that isn't contacted by these tests. */
function configFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'parley-ready-')), 'parley.config.json');
  writeFileSync(path, JSON.stringify({ servers: [{ name: 'idle', url: 'http://127.0.0.1:1/mcp' }] }));
  return path;
}

describe('/readyz', () => {
  it('is 503 while the store is unreachable', async () => {
    // Nothing listens on port 1: every command fails fast.
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', maxReconnectDelayMs: 200 });
    const http = new ParleyHttpServer({ store, logger, publicBaseUrl: 'http://127.0.0.1' });
    const port = await http.listen(0, '127.0.0.1');
    try {
      const { status, body } = await readyz(`http://127.0.0.1:${port}`);
      expect(status).toBe(503);
      expect(body.error).toBe('store unavailable');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await http.close();
      await store.close();
    }
  });

  it('is 503 from the moment shutdown starts, and requests under way still finish', async () => {
    const store = new MemoryStore();
    const http = new ParleyHttpServer({ store, logger, publicBaseUrl: 'http://127.0.0.1' });
    let release: () => void = () => undefined;
    const slowStarted = new Promise<void>((started) => {
      http.app.get('/slow', (_req, res) => {
        started();
        new Promise<void>((r) => {
          release = r;
        }).then(() => res.json({ finished: true }));
      });
    });
    const port = await http.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    expect((await readyz(base)).status).toBe(200);

    http.beginShutdown();
    expect(await readyz(base)).toEqual({ status: 503, body: { ok: false, error: 'shutting down' } });

    const slow = fetch(`${base}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await slowStarted;
    let closed = false;
    const closing = http.close(10_000).then(() => {
      closed = true;
    });
    // New connections are refused while the request under way may finish.
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(closed).toBe(false);
    release();
    expect(await slow).toEqual({ status: 200, body: { finished: true } });
    await closing;
    await store.close();
  });

  it('cuts requests still running when the drain time is up', async () => {
    const store = new MemoryStore();
    const http = new ParleyHttpServer({ store, logger, publicBaseUrl: 'http://127.0.0.1' });
    http.app.get('/never', () => undefined);
    const port = await http.listen(0, '127.0.0.1');
    const hung = fetch(`http://127.0.0.1:${port}/never`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 50));
    await http.close(100);
    expect(await hung).toBe('cut');
    await store.close();
  });

  it('follows the Slack socket: ready once it connects, 503 when it is lost; not ready once stopping', async () => {
    const slack = await FakeSlack.start();
    const parley = await startParley({
      env: {
        PARLEY_CONFIG: configFile(),
        LOG_LEVEL: 'silent',
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_APP_TOKEN: slack.appToken,
        SLACK_API_URL: slack.apiUrl,
      },
      input: new PassThrough(),
      output: sink(),
      ephemeralPorts: true,
    });
    const base = `http://127.0.0.1:${parley.http.port}`;
    try {
      await expect.poll(async () => (await readyz(base)).status, { timeout: 10_000 }).toBe(200);
      await slack.close();
      await expect
        .poll(async () => (await readyz(base)).body.error, { timeout: 10_000 })
        .toBe('not connected: slack');
    } finally {
      const stopping = parley.stop();
      // Synchronously, before any of the stopping has happened.
      expect(parley.http.isShuttingDown).toBe(true);
      await stopping;
    }
  });
});

describe('start-up refusals', () => {
  it('refuses REDIS_URL without PARLEY_SECRET, saying why', async () => {
    const start = startParley({
      env: { PARLEY_CONFIG: configFile(), REDIS_URL: redisUrl(), LOG_LEVEL: 'silent' },
      input: new PassThrough(),
      output: sink(),
      ephemeralPorts: true,
    });
    await expect(start).rejects.toMatchObject({
      code: 'config_invalid',
      userMessage: expect.stringMatching(/PARLEY_SECRET.*same value everywhere/s),
    });
  });
});

describe('the sealing key', () => {
  it('is made for Slack even with no server that signs in; the console alone on memory makes none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-sealing-'));
    const file = join(dir, 'secret');
    const consoleOnly = await startParley({
      env: { PARLEY_CONFIG: configFile(), LOG_LEVEL: 'silent', PARLEY_SECRET_FILE: file },
      input: new PassThrough(),
      output: sink(),
      ephemeralPorts: true,
    });
    await consoleOnly.stop();
    expect(existsSync(file)).toBe(false);

    // Slack keeps response URLs in the store: they are sealed, so a key is made (generated here,
    // as one process on the in-memory store may; a shared Redis requires PARLEY_SECRET).
    const slack = await FakeSlack.start();
    const withSlack = await startParley({
      env: {
        PARLEY_CONFIG: configFile(),
        LOG_LEVEL: 'silent',
        PARLEY_SECRET_FILE: file,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_APP_TOKEN: slack.appToken,
        SLACK_API_URL: slack.apiUrl,
      },
      input: new PassThrough(),
      output: sink(),
      ephemeralPorts: true,
    });
    try {
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      await withSlack.stop();
      await slack.close();
    }
  });
});

describe('the system prompt', () => {
  it('comes from PARLEY_SYSTEM_PROMPT, else PARLEY_SYSTEM_PROMPT_FILE, else the built-in one', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'parley-prompt-')), 'prompt.txt');
    writeFileSync(file, '  You are the helpdesk bot of ACME.\n');
    expect(systemPromptFromEnv({ PARLEY_SYSTEM_PROMPT: 'Inline.', PARLEY_SYSTEM_PROMPT_FILE: file })).toBe(
      'Inline.',
    );
    expect(systemPromptFromEnv({ PARLEY_SYSTEM_PROMPT_FILE: file })).toBe(
      'You are the helpdesk bot of ACME.',
    );
    expect(systemPromptFromEnv({})).toBeUndefined();
    expect(() => systemPromptFromEnv({ PARLEY_SYSTEM_PROMPT_FILE: `${file}.missing` })).toThrow(
      /PARLEY_SYSTEM_PROMPT_FILE/,
    );
  });
});
