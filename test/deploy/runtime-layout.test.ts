/**
 * The production image's runtime layout, proven without a container engine: `npm run build`, then
 * what the Dockerfile's runtime stage copies (dist/src, dist/adapters, package.json, the lock)
 * into an empty folder, `npm ci --omit=dev` there, and `node dist/adapters/main/start.js` with
 * a production environment: the memory store, no LLM, Slack in Socket Mode against the fake
 * Slack, one MCP server. It must answer /healthz and /readyz, run one turn, expose /metrics,
 * and exit 0 on SIGTERM.
 *
 * Slow by nature (a real install from the registry: 20–60 s), so it has a file of its own, left
 * out of `npm test`: `npm run test:runtime` runs it, and CI runs it on Node 24 (see .ci/run).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FakeSlack } from '../helpers/fake-slack.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `probe` every 100 ms until it returns a value, for at most `ms`. */
async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let app: string;
let slack: FakeSlack;
let mcp: { url: string; close: () => Promise<void> };
let child: ChildProcess | undefined;
let stderr = '';

beforeAll(async () => {
  const work = mkdtempSync(join(tmpdir(), 'parley-runtime-'));
  app = join(work, 'app');
  const built = join(work, 'build');
  // The package's own build script, into a folder of its own (the work tree's dist/ stays as is).
  await run(npm, ['run', 'build', '--', '--outDir', built], { cwd: root });
  for (const part of ['src', 'adapters'])
    cpSync(join(built, part), join(app, 'dist', part), { recursive: true });
  cpSync(join(root, 'package.json'), join(app, 'package.json'));
  cpSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'));
  await run(npm, ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: app,
    env: { ...process.env, NODE_ENV: 'production', npm_config_update_notifier: 'false' },
  });
  slack = await FakeSlack.start();
  mcp = await startMiniMcp('runtime-check', (server) => {
    server.registerTool(
      'echo',
      { description: 'Echoes a message', inputSchema: z.object({ message: z.string() }) },
      async ({ message }) => ({ content: [{ type: 'text', text: `echo: ${message}` }] }),
    );
  });
  writeFileSync(
    join(app, 'parley.config.json'),
    JSON.stringify({ servers: [{ name: 'tools', url: mcp.url }] }),
  );
}, 240_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await slack?.close();
  await mcp?.close();
  if (app) await rm(join(app, '..'), { recursive: true, force: true });
}, 120_000);

describe('the production runtime layout', () => {
  it('has no dev dependency and no demo server installed', async () => {
    const { stdout } = await run(npm, ['ls', '--omit=dev', '--depth=0', '--json'], { cwd: app }).catch(
      (err: { stdout: string }) => ({ stdout: err.stdout }),
    );
    const deps = Object.keys((JSON.parse(stdout) as { dependencies?: object }).dependencies ?? {});
    expect(deps).toContain('@slack/bolt');
    for (const dev of ['tsx', 'typescript', 'vitest', 'oidc-provider', '@modelcontextprotocol/server'])
      expect(deps).not.toContain(dev);
  });

  it('starts with node alone, is healthy and ready, runs a turn, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    child = spawn(process.execPath, ['dist/adapters/main/start.js'], {
      cwd: app,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_APP_TOKEN: slack.appToken,
        SLACK_API_URL: slack.apiUrl,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;

    const health = await until('/healthz', 20_000, async () => {
      if (child?.exitCode !== null) throw new Error(`Parley exited early: ${stderr}`);
      const res = await fetch(`${base}/healthz`);
      return res.ok ? res : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${stderr}`);
    });
    expect(health.status).toBe(200);
    // Ready once Slack's socket is up (the memory store always answers).
    await until('/readyz 200', 20_000, async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined));

    await slack.mention('U1', 'C1', '/call tools__echo {"message":"from the image"}');
    const reply = await until('the reply in Slack', 20_000, async () =>
      slack.messages.find((m) => m.author === slack.botUserId && /echo: from the image/.test(m.text)),
    );
    expect(reply.channel).toBe('C1');
    expect(slack.violations).toEqual([]);

    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(/parley_turns_total\{platform="slack",outcome="answered"\} 1/);
    expect(text).toMatch(/parley_tool_calls_total\{server="tools",tool="echo",outcome="ok"\} 1/);
    expect(text).toMatch(/parley_ack_duration_seconds_count\{platform="slack"\} [1-9]/);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/error|Error/);
  }, 90_000);
});
