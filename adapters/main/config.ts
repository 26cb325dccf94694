/**
 * The whole configuration, composed once at start-up from the core's part (src/config.ts), each
 * adapter's fragment (adapters/<platform>/config.ts) and the demo servers' variables that
 * `npm start` uses. This is the one place Parley reads `process.env`; everything below it
 * receives parsed values. Errors name the variable, or the config file and field.
 */
import { z } from 'zod';
import {
  type Env,
  envVar,
  loadCoreConfig,
  parseEnvWith,
  type RawEnv,
  type ServerConfig,
  serverSchema,
} from '../../src/config.js';
import { type ConsoleEnv, consoleSettingsFromEnv } from '../console/config.js';
import { type DiscordSettings, discordSettingsFromEnv } from '../discord/config.js';
import { type SlackSettings, slackSettingsFromEnv } from '../slack/config.js';

/**
 * What `npm start` does with the demo servers. The ports and the user are the demo servers' own
 * variables; they are read here too, without importing the demo servers, which the production
 * image leaves out (test/deploy/runtime-layout.test.ts). A test checks these defaults stay equal
 * to the demo servers' own (test/core/config.test.ts).
 */
export const demoEnvSchema = z.object({
  /** `off` stops `npm start` from running the demo servers with the built-in server list. */
  PARLEY_DEMO_SERVERS: envVar.optional,
  AUTH_PORT: z.preprocess(blank, z.coerce.number().int().min(0).max(65535).default(9000)),
  MCP_PORT: z.preprocess(blank, z.coerce.number().int().min(0).max(65_535).default(3001)),
  /** Demo auth server: sign in as this demo user without a page (tests and scripted demos). */
  AUTH_AUTO_APPROVE: z.preprocess(blank, z.enum(['alice', 'bob', 'carol']).optional()),
});

function blank(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
}

export type DemoEnv = z.infer<typeof demoEnvSchema>;

export interface ParleyConfig {
  /** The core's variables. */
  env: Env;
  servers: ServerConfig[];
  /** Where the server list came from, for the start-up banner. */
  serversSource: string;
  /** True when no config file was found and the demo server is the list. */
  builtInServers: boolean;
  /** Undefined when Slack is not configured. */
  slack: SlackSettings | undefined;
  /** Undefined when Discord is not configured. */
  discord: DiscordSettings | undefined;
  console: ConsoleEnv;
  demo: DemoEnv;
}

/** The built-in server list: the demo MCP server at `url`, as `npm start` runs it. */
export function defaultServers(url: string): ServerConfig[] {
  return [serverSchema.parse({ name: 'demo', title: 'Parley demo', url, auth: { type: 'oauth' } })];
}

/** The demo MCP server's address when it runs on `port` (its own default: MCP_PORT). */
export function demoMcpUrl(port: number): string {
  return `http://127.0.0.1:${port}/mcp`;
}

/**
 * Parses everything once. `env` defaults to the process environment; `cwd` (default the working
 * directory) is where `parley.config.json` and a relative PARLEY_CONFIG are looked up. Throws a
 * `config_invalid` ParleyError naming the variable, or the file and field, that is wrong, or what
 * a half-configured platform is missing.
 */
export function loadConfig(env: RawEnv = process.env, options: { cwd?: string } = {}): ParleyConfig {
  const core = loadCoreConfig(env, { cwd: options.cwd ?? process.cwd() });
  const demo = parseEnvWith(demoEnvSchema, env);
  return {
    env: core.env,
    servers: core.servers ?? defaultServers(demoMcpUrl(demo.MCP_PORT)),
    serversSource: core.serversSource ?? 'built-in default (the demo MCP server)',
    builtInServers: core.servers === undefined,
    slack: slackSettingsFromEnv(env),
    discord: discordSettingsFromEnv(env),
    console: consoleSettingsFromEnv(env),
    demo,
  };
}
