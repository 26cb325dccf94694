/**
 * Configuration, parsed once at start-up. Only entry points call {@link loadConfig}; the core
 * receives the parsed object. Errors name the variable or field that is wrong.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { MIN_SECRET_LENGTH } from './auth/crypto.js';
import { DEFAULT_SECRET_FILE } from './auth/secret.js';
import { ParleyError } from './errors.js';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

export const envSchema = z.object({
  NODE_ENV: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: int(3000),
  PUBLIC_BASE_URL: z.url().optional(),
  REDIS_URL: optionalString,
  REDIS_PREFIX: z.string().default('parley:'),
  PARLEY_CONFIG: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_MODEL: z.string().default('gpt-4o-mini'),
  LLM_MAX_STEPS: int(8, 1),
  LLM_MAX_TOOL_CALLS: int(16, 1),
  SAMPLING_MAX_TOKENS: int(1024, 1),
  PENDING_TTL_SECONDS: int(900, 10),
  SESSION_TTL_SECONDS: int(7 * 24 * 3600, 60),
  HISTORY_MAX_TURNS: int(20, 1),
  HISTORY_TOKEN_BUDGET: int(8000, 100),
  MCP_REQUEST_TIMEOUT_MS: int(600_000, 1000),
  MCP_IDLE_TIMEOUT_MS: int(15 * 60_000, 1000),
  MCP_MAX_CONNECTIONS: int(200, 1),
  /** `1` keeps the console chat even when Slack or Discord credentials are set. */
  PARLEY_CONSOLE: optionalString,
  /** `off` stops `npm start` from running the demo servers with the built-in server list. */
  PARLEY_DEMO_SERVERS: optionalString,
  /** Ports of the demo servers `npm start` runs (their own variables, shared with their scripts). */
  AUTH_PORT: int(9000),
  MCP_PORT: int(3001),
  /** Demo auth server: sign in as this demo user without a page (tests and scripted demos). */
  AUTH_AUTO_APPROVE: optionalString,
  /** Slack: the bot token (xoxb-…) turns the Slack adapter on. */
  SLACK_BOT_TOKEN: optionalString,
  /** Slack Socket Mode: an app-level token (xapp-…) with `connections:write`. */
  SLACK_APP_TOKEN: optionalString,
  /** Slack HTTP mode: requests to /slack/events are verified with this secret. */
  SLACK_SIGNING_SECRET: optionalString,
  /** Any Slack-compatible Web API (the fake Slack, a proxy); must end with "/api/". */
  SLACK_API_URL: z.url().default('https://slack.com/api/'),
  /** The slash command as configured in the Slack app. */
  SLACK_COMMAND: z
    .string()
    .regex(/^\/[a-z0-9_-]{1,31}$/, 'use a slash and up to 31 lowercase letters, digits, "-" or "_"')
    .default('/parley'),
  /** Discord gateway (mentions, DMs, and interactions when no endpoint URL is set): the bot token. */
  DISCORD_TOKEN: optionalString,
  /** Discord: the application id (interaction webhooks, command registration). */
  DISCORD_APPLICATION_ID: optionalString,
  /** Discord HTTP interactions endpoint (/discord/interactions) is verified with this Ed25519 key. */
  DISCORD_PUBLIC_KEY: optionalString,
  /** `npm run discord:register` registers slash commands to this guild only (instant updates). */
  DISCORD_GUILD_ID: optionalString,
  /** Any Discord-compatible REST base (the local fake, a proxy); the API version is appended. */
  DISCORD_API_URL: z.url().default('https://discord.com/api'),
  /** Sign-in: encrypts stored tokens (≥ 16 characters). Unset, one is generated into PARLEY_SECRET_FILE. */
  PARLEY_SECRET: optionalString.refine((v) => v === undefined || v.length >= MIN_SECRET_LENGTH, {
    message: `use at least ${MIN_SECRET_LENGTH} characters`,
  }),
  /** Sign-in: where the generated secret is kept when PARLEY_SECRET is unset (mode 0600). */
  PARLEY_SECRET_FILE: z.string().trim().min(1).default(DEFAULT_SECRET_FILE),
  /** Sign-in: Parley's client ID metadata document, when not served at PUBLIC_BASE_URL (https only). */
  PARLEY_CLIENT_METADATA_URL: z
    .url()
    .refine((v) => v.startsWith('https://'), { message: 'must be an https URL' })
    .optional(),
  /** Console: `1` follows sign-in links headlessly (the demo auth server with AUTH_AUTO_APPROVE). */
  PARLEY_FOLLOW_SIGNIN_LINKS: optionalString.transform((v) => v === '1' || v === 'true'),
});

export type Env = z.infer<typeof envSchema>;

const serverName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,23}$/, 'use 1–24 lowercase letters, digits, "-" or "_"');

const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({
    type: z.literal('oauth'),
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    scope: z.string().optional(),
  }),
  z.object({ type: z.literal('headers'), headers: z.record(z.string(), z.string()) }),
]);

const common = {
  name: serverName,
  title: z.string().optional(),
  auth: authSchema.default({ type: 'none' }),
  tools: z
    .object({ allow: z.array(z.string()).optional(), deny: z.array(z.string()).optional() })
    .default({}),
  /**
   * Protocol era: 'auto' negotiates 2026-07-28 when the server offers it; 'legacy' speaks
   * 2025-11-25 only (for servers that mishandle the negotiation probe).
   */
  era: z.enum(['auto', 'legacy']).default('auto'),
  /** When to ask the person before a tool runs. */
  confirm: z.enum(['always', 'never', 'destructive']).default('destructive'),
};

export const serverSchema = z.union([
  z.object({ ...common, url: z.url() }).strict(),
  z
    .object({
      ...common,
      command: z.string().min(1),
      args: z.array(z.string()).default([]),
      env: z.record(z.string(), z.string()).default({}),
      cwd: z.string().optional(),
    })
    .strict(),
]);

export const serversFileSchema = z
  .object({ servers: z.array(serverSchema).min(1) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.servers.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({ code: 'custom', path: ['servers', i, 'name'], message: `duplicate name "${s.name}"` });
      seen.add(s.name);
    });
  });

export type ServerConfig = z.infer<typeof serverSchema>;
export type HttpServerConfig = Extract<ServerConfig, { url: string }>;
export type StdioServerConfig = Extract<ServerConfig, { command: string }>;

export interface ParleyConfig {
  env: Env;
  servers: ServerConfig[];
  /** Where the server list came from, for the start-up banner. */
  serversSource: string;
}

export const DEFAULT_DEMO_MCP_URL = 'http://127.0.0.1:3001/mcp';

/** The built-in server list: the demo MCP server, as `npm start` runs it. */
export function defaultServers(url = DEFAULT_DEMO_MCP_URL): ServerConfig[] {
  return [serverSchema.parse({ name: 'demo', title: 'Parley demo', url, auth: { type: 'oauth' } })];
}

function formatIssues(prefix: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `${prefix}${path.replace(/^\./, prefix ? '.' : '')}: ${issue.message}`;
    })
    .join('; ');
}

export function parseEnv(env: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const msg = result.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`).join('; ');
    throw new ParleyError('config_invalid', `Invalid environment: ${msg}`);
  }
  return result.data;
}

/** Parses a servers file's JSON text; `source` names the file in errors. */
export function parseServersFile(text: string, source: string): ServerConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ParleyError('config_invalid', `${source} is not valid JSON: ${(err as Error).message}`);
  }
  const result = serversFileSchema.safeParse(raw);
  if (!result.success) {
    throw new ParleyError('config_invalid', `${source} is invalid: ${formatIssues('', result.error)}`);
  }
  return result.data.servers;
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  options: { cwd?: string; defaultMcpUrl?: string } = {},
): ParleyConfig {
  const parsed = parseEnv(env);
  const cwd = options.cwd ?? process.cwd();
  let servers: ServerConfig[];
  let serversSource: string;
  const path = parsed.PARLEY_CONFIG ? resolve(cwd, parsed.PARLEY_CONFIG) : resolve(cwd, 'parley.config.json');
  if (existsSync(path)) {
    servers = parseServersFile(
      readFileSync(path, 'utf8'),
      parsed.PARLEY_CONFIG ? `PARLEY_CONFIG (${path})` : path,
    );
    serversSource = path;
  } else if (parsed.PARLEY_CONFIG) {
    throw new ParleyError('config_invalid', `PARLEY_CONFIG points at ${path}, which does not exist.`);
  } else {
    servers = defaultServers(options.defaultMcpUrl);
    serversSource = 'built-in default (the demo MCP server)';
  }
  return {
    env: parsed,
    servers,
    serversSource,
  };
}
