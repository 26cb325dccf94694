/**
 * Stdio MCP servers as a person meets them through `npm start`: a real Parley process with its
 * secrets in its environment, a config file in the `mcpServers` form other tools use, and real
 * server processes — one that prints the environment it got, one that dies while starting.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeSlack } from '../helpers/fake-slack.js';

const root = join(import.meta.dirname, '..', '..');
const ENV_SERVER = join(root, 'test', 'helpers', 'stdio-env-server.mjs');

const SECRETS = {
  PARLEY_SECRET: 'parley-secret-that-must-not-leak',
  OPENAI_API_KEY: 'sk-must-not-leak',
  SLACK_BOT_TOKEN: 'xoxb-must-not-leak',
  SLACK_APP_TOKEN: 'xapp-must-not-leak',
};

/** Runs `npm start`'s entry with `config` as PARLEY_CONFIG; returns its output once it exits. */
async function chat(config: unknown, lines: string[], env: Record<string, string> = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-stdio-'));
  writeFileSync(join(dir, 'servers.json'), JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', 'tsx', 'adapters/main/start.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PARLEY_CONFIG: join(dir, 'servers.json'),
      PORT: '0',
      PARLEY_CONSOLE: '1',
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stdin.end(`${[...lines, '/quit'].join('\n')}\n`);
  // Bounded: a Parley that doesn't stop fails the test with what it printed, not a timeout.
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  await new Promise((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  return out;
}

describe('stdio servers started by Parley', () => {
  it('see none of Parley’s secrets, only what the config passes on by name', async () => {
    // Slack really configured (against the fake), as in the reported leak of the Slack tokens.
    const slack = await FakeSlack.start({
      botToken: SECRETS.SLACK_BOT_TOKEN,
      appToken: SECRETS.SLACK_APP_TOKEN,
    });
    const out = await chat(
      {
        mcpServers: {
          envy: {
            command: process.execPath,
            args: [ENV_SERVER],
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} reference in the config
            env: { API_TOKEN: '${ENVY_TOKEN}' },
          },
        },
      },
      ['/call envy__env {}'],
      { ...SECRETS, SLACK_API_URL: slack.apiUrl, ENVY_TOKEN: 'token-meant-for-envy' },
    ).finally(() => slack.close());
    expect(out).toMatch(/Servers: envy/);
    expect(out).toContain('"API_TOKEN":"token-meant-for-envy"');
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(out, name).not.toContain(value);
      expect(out, name).not.toContain(`"${name}"`);
    }
    // Not even the variable the config read from: only the value, under the name it chose.
    expect(out).not.toContain('"ENVY_TOKEN"');
  }, 60_000);

  it('that die while starting are explained by their last stderr line', async () => {
    const out = await chat(
      {
        mcpServers: {
          python: {
            command: process.execPath,
            args: [
              '-e',
              "console.error('Traceback (most recent call last):'); console.error(\"ModuleNotFoundError: No module named 'fastmcp'\"); process.exit(1)",
            ],
          },
        },
      },
      ['/call python__anything {}'],
    );
    expect(out).toContain("failed to start: ModuleNotFoundError: No module named 'fastmcp'");
    expect(out).not.toMatch(/Connection closed/);
  }, 60_000);
});
