/**
 * A trial of what Parley logs at its most verbose (LOG_LEVEL=trace) while people use it through
 * Slack as deployed (the composition root, a Redis of its own, the demo auth and MCP servers):
 * slash commands, clicks on ephemeral messages, a sign-in followed to the end, tool calls. No
 * secret may reach the log: tokens, response URLs, start links, `state`, the authorization code,
 * the access and refresh tokens, PARLEY_SECRET.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningParley, startParley } from '../../adapters/main/parley.js';
import { ACTION } from '../../adapters/slack/blocks.js';
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { type CookieJar, followSignInLink } from '../../src/auth/index.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { type DemoMcp, startDemoMcp } from '../helpers/demo.js';
import { type FakeMessage, FakeSlack } from '../helpers/fake-slack.js';
import { freePort, type RedisProcess, startRedisProcess } from '../helpers/redis-process.js';

const SECRET = 'trial-secret-for-the-log-test-0123456789';

let redis: RedisProcess;
let slack: FakeSlack;
let auth: AuthMock;
let mcp: DemoMcp;
let parley: RunningParley;
let port: number;
const log: string[] = [];

beforeAll(async () => {
  redis = await startRedisProcess();
  slack = await FakeSlack.start();
  auth = await startAuthMock({ port: 0, autoApprove: 'alice', resources: [], logger: silentLogger() });
  mcp = await startDemoMcp({ authIssuer: auth.url, logger: silentLogger() });
  auth.setResources([mcp.url]);
  port = await freePort();
  const configPath = join(mkdtempSync(join(tmpdir(), 'parley-trial-logs-')), 'parley.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      servers: [{ name: 'demo', title: 'Parley demo', url: mcp.url, auth: { type: 'oauth' } }],
    }),
  );
  parley = await startParley({
    env: {
      PARLEY_CONFIG: configPath,
      REDIS_URL: redis.url,
      PARLEY_SECRET: SECRET,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.apiUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    },
    input: new PassThrough(),
    output: new Writable({ write: (_c, _e, done) => done() }),
    logger: createLogger({
      level: 'trace',
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          log.push(chunk.toString());
          done();
        },
      }),
    }),
  });
  for (let tries = 0; (await fetch(`http://127.0.0.1:${port}/readyz`)).status !== 200; tries++) {
    if (tries > 100) throw new Error('Parley never became ready');
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await parley?.stop();
  await mcp?.close();
  await auth?.close();
  await slack?.close();
  await redis?.stop();
});

function element(m: FakeMessage, actionId: string): Record<string, unknown> | undefined {
  for (const block of m.blocks)
    for (const el of (block.elements as Record<string, unknown>[] | undefined) ?? [])
      if (el.action_id === actionId) return el;
  return undefined;
}

describe('the log at LOG_LEVEL=trace', () => {
  it('holds no token, response URL, start link, state, code or PARLEY_SECRET', async () => {
    const secrets: Record<string, string> = {
      'bot token': slack.botToken,
      'app token': slack.appToken,
      PARLEY_SECRET: SECRET,
    };
    const command = await slack.command('UANN', 'CGENERAL', 'login demo');
    secrets['command response_url'] = command.responseUrl;
    const find = () => slack.visibleTo('UANN', (m) => element(m, ACTION.linkOpen) !== undefined);
    await expect.poll(() => find().length, { timeout: 15_000 }).toBeGreaterThan(0);
    const offer = find()[0] as FakeMessage;
    const start = String(element(offer, ACTION.linkOpen)?.url);
    secrets['start link id'] = start.split('/').pop() as string;
    const click = await slack.click('UANN', offer, ACTION.linkOpen);
    secrets['click response_url'] = click.responseUrl;
    const jar: CookieJar = new Map();
    const atAuth = await followSignInLink(start, { jar, stopAt: `${auth.url}/` });
    const authUrl = new URL(atAuth.url);
    secrets.state = authUrl.searchParams.get('state') as string;
    secrets['PKCE challenge'] = authUrl.searchParams.get('code_challenge') as string;
    const atCallback = await followSignInLink(atAuth.url, {
      jar,
      stopAt: `http://127.0.0.1:${port}/oauth/callback`,
    });
    secrets['authorization code'] = new URL(atCallback.url).searchParams.get('code') as string;
    const done = await followSignInLink(atCallback.url, { jar });
    expect(done.text).toContain('You’re signed in');
    // A replayed callback, and one with a forged code for a fresh flow: refused, and logged.
    await fetch(atCallback.url, { redirect: 'manual' });
    const forged = new URL(atCallback.url);
    forged.searchParams.set('code', 'forged-code-0123456789abcdef');
    secrets['forged code'] = 'forged-code-0123456789abcdef';
    await fetch(forged, { redirect: 'manual' });

    await slack.mention('UANN', 'CGENERAL', '/call demo__whoami {}');
    await slack.mention('UANN', 'CGENERAL', '/call demo__nope {}');
    await expect
      .poll(
        () =>
          slack
            .visibleTo('UANN')
            .flatMap((m) => FakeSlack.said(m))
            .join('\n'),
        { timeout: 15_000 },
      )
      .toMatch(/alice/);

    const text = log.join('');
    expect(text.length).toBeGreaterThan(100);
    const leaked = Object.entries(secrets)
      .filter(([, v]) => v && v.length > 8)
      .filter(([, v]) => text.includes(v) || text.includes(encodeURIComponent(v)))
      .map(([what]) => what);
    expect(leaked).toEqual([]);
    // Access tokens are JWTs (the demo auth server signs them): none in the log either.
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}/);
  });
});
