/**
 * The stdio transport (src/mcp/transport.ts) with real child processes, through a plain SDK
 * client: a spawned server sees none of Parley's secrets, only the SDK's safe defaults and the
 * `env` its config names; a server that dies while starting is explained by its last stderr line.
 * (test/console/stdio-servers.test.ts checks the same through a whole Parley process.)
 */
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ServerConfig, serverSchema } from '../../src/config.js';
import { isParleyError } from '../../src/errors.js';
import { createLogger, type Logger, silentLogger } from '../../src/logger.js';
import { createMcpTransport, StderrTail } from '../../src/mcp/transport.js';

const ENV_SERVER = new URL('../helpers/stdio-env-server.mjs', import.meta.url).pathname;

const SECRETS = {
  PARLEY_SECRET: 'parley-secret-that-must-not-leak',
  OPENAI_API_KEY: 'sk-must-not-leak',
  SLACK_BOT_TOKEN: 'xoxb-must-not-leak',
  SLACK_APP_TOKEN: 'xapp-must-not-leak',
  DISCORD_TOKEN: 'discord-must-not-leak',
  REDIS_URL: 'redis://:password@127.0.0.1:6379',
};

/** Connects a plain SDK client through Parley's transport, as McpConnection does. */
async function connect(server: ServerConfig, logger: Logger = silentLogger()): Promise<Client> {
  const client = new Client({ name: 'transport-test', version: '0.0.0' });
  const { transport, startFailure } = createMcpTransport(server, { logger });
  try {
    await client.connect(transport, { timeout: 20_000 });
  } catch (err) {
    const failure = await startFailure(err);
    await client.close().catch(() => undefined);
    throw failure;
  }
  return client;
}

async function envSeenBy(server: ServerConfig): Promise<Record<string, string>> {
  const client = await connect(server);
  try {
    const result = await client.callTool({ name: 'env', arguments: {} });
    const first = (result.content as { type: string; text?: string }[])[0];
    return JSON.parse(first?.text ?? '{}') as Record<string, string>;
  } finally {
    await client.close();
  }
}

describe('a stdio server’s environment', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const [k, v] of Object.entries(SECRETS)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('holds none of Parley’s secrets: only the safe defaults and the env the config names', async () => {
    const env = await envSeenBy(
      serverSchema.parse({
        name: 'envy',
        command: process.execPath,
        args: [ENV_SERVER],
        env: { GREETING: 'hello', PASSED_ON: 'given by the config' },
      }),
    );
    expect(env.GREETING).toBe('hello');
    expect(env.PASSED_ON).toBe('given by the config');
    expect(env.PATH).toBe(process.env.PATH);
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(env[name], name).toBeUndefined();
      expect(Object.values(env), name).not.toContain(value);
    }
    // Nothing beyond the SDK's short list (HOME, LOGNAME, PATH, SHELL, TERM, USER) and the config's.
    const extra = Object.keys(env).filter(
      (k) => !['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'GREETING', 'PASSED_ON'].includes(k),
    );
    // Node itself may add nothing; the platform may set a few of its own (e.g. macOS __CF_*).
    expect(extra.filter((k) => !k.startsWith('__CF'))).toEqual([]);
  }, 30_000);
});

describe('a stdio server that dies while starting', () => {
  it('is explained to the person by its last stderr line, and its stderr is logged', async () => {
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
    const started = connect(
      serverSchema.parse({
        name: 'py',
        title: 'Python tools',
        command: process.execPath,
        // What a Python server with a missing package prints before it exits.
        args: [
          '-e',
          [
            "console.error('Traceback (most recent call last):');",
            'console.error(\'  File "server.py", line 1, in <module>\');',
            'console.error("ModuleNotFoundError: No module named \'fastmcp\'");',
            'process.exit(1);',
          ].join(' '),
        ],
      }),
      logger,
    );
    const err = await started.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isParleyError(err)).toBe(true);
    expect(isParleyError(err) && err.code).toBe('mcp_unreachable');
    expect(isParleyError(err) && err.userMessage).toBe(
      'The MCP server "Python tools" failed to start: ModuleNotFoundError: No module named \'fastmcp\'',
    );
    const log = lines.join('');
    expect(log).toContain('Traceback (most recent call last):');
    expect(log).toContain('MCP server failed to start');
  }, 30_000);
});

describe('StderrTail', () => {
  it('keeps the last lines, joins chunks split mid-line and cuts runaway lines', () => {
    const tail = new StderrTail(3);
    expect(tail.push('one\ntw')).toEqual(['one']);
    expect(tail.push('o\r\n\nthree\nfour\nfi')).toEqual(['two', 'three', 'four']);
    expect(tail.snapshot()).toEqual(['two', 'three', 'four', 'fi']);
    expect(tail.last()).toBe('fi');
    tail.push(`${'x'.repeat(2000)}\n`);
    expect(tail.last()).toHaveLength(500);
    expect(new StderrTail().last()).toBeUndefined();
  });
});
