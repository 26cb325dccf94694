/**
 * The core's configuration: its environment variables and the MCP server list. Parsed once, by
 * the composition root (adapters/main/config.ts), which passes the environment in and adds the
 * adapters' own fragments (adapters/<platform>/config.ts); nothing in src/ reads `process.env`.
 * Each default is written once, in a schema here or in the fragment that owns the variable.
 * Errors name the variable or the file's field that is wrong.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { MIN_SECRET_LENGTH } from './auth/crypto.js';
import { DEFAULT_SECRET_FILE } from './auth/secret.js';
import { parseServersFile, type ServerConfig } from './config-file.js';

export { resolveEnvRefs } from './env-refs.js';

import { ParleyError } from './errors.js';

export {
  configJsonSchema,
  type HttpServerConfig,
  parseServersFile,
  type ServerConfig,
  type StdioServerConfig,
  serverSchema,
} from './config-file.js';

/** The environment as entry points receive it (`process.env`, or a test's object). */
export type RawEnv = Record<string, string | undefined>;

/** Helpers for env fragments, so every fragment reads blanks and numbers the same way. */
export const envVar = {
  /** A whole number ≥ `min`, `def` when unset. */
  int: (def: number, min = 0) => z.coerce.number().int().min(min).default(def),
  /** A string; blank counts as unset. */
  optional: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined)),
  /** `1` or `true` → true; anything else, or unset → false. */
  flag: z
    .string()
    .optional()
    .transform((v) => v === '1' || v === 'true'),
};
const int = envVar.int;
const optionalString = envVar.optional;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The core's variables. Platform and demo variables live in their adapters' fragments. */
export const envSchema = z.object({
  NODE_ENV: optionalString,
  /** Unset: `info`, or `warn` while the console chat runs (the composition root decides). */
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
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
  /** `1`: the model accepts images, so image results reach it as images (else a description). */
  LLM_VISION: optionalString,
  LLM_MAX_TOOL_CALLS: int(16, 1),
  SAMPLING_MAX_TOKENS: int(1024, 1),
  PENDING_TTL_SECONDS: int(900, 10),
  SESSION_TTL_SECONDS: int(7 * 24 * 3600, 60),
  HISTORY_MAX_TURNS: int(20, 1),
  HISTORY_TOKEN_BUDGET: int(8000, 100),
  MCP_REQUEST_TIMEOUT_MS: int(600_000, 1000),
  MCP_IDLE_TIMEOUT_MS: int(15 * 60_000, 1000),
  MCP_MAX_CONNECTIONS: int(200, 1),
  /** Fair use (turns/limits.ts), counted in the store across processes; 0 = off. */
  RATE_LIMIT_PERSON_PER_MINUTE: int(0),
  RATE_LIMIT_WORKSPACE_PER_MINUTE: int(0),
  RATE_LIMIT_TOKENS_PER_PERSON_PER_HOUR: int(0),
  /**
   * Seals everything usable Parley stores — sign-in tokens, pending and short links, Slack response
   * URLs, Discord interaction tokens (≥ 16 characters). Unset, one is generated into
   * PARLEY_SECRET_FILE (a single process only: a shared Redis requires it).
   */
  PARLEY_SECRET: optionalString.refine((v) => v === undefined || v.length >= MIN_SECRET_LENGTH, {
    message: `use at least ${MIN_SECRET_LENGTH} characters`,
  }),
  /** Where the generated secret is kept when PARLEY_SECRET is unset (mode 0600). */
  PARLEY_SECRET_FILE: z.string().trim().min(1).default(DEFAULT_SECRET_FILE),
  /** Sign-in: Parley's client ID metadata document, when not served at PUBLIC_BASE_URL (https only). */
  PARLEY_CLIENT_METADATA_URL: z
    .url()
    .refine((v) => v.startsWith('https://'), { message: 'must be an https URL' })
    .optional(),
  // ── Production (issue 14): rotation, system prompt, metrics, shutdown, tracing ──
  /** Sign-in: the secret before the last rotation; what it sealed is still read, then re-sealed. */
  PARLEY_SECRET_PREVIOUS: optionalString.refine((v) => v === undefined || v.length >= MIN_SECRET_LENGTH, {
    message: `use at least ${MIN_SECRET_LENGTH} characters`,
  }),
  /** The LLM's system prompt (replaces the built-in one). */
  PARLEY_SYSTEM_PROMPT: optionalString,
  /** A file holding the system prompt (read once at start); PARLEY_SYSTEM_PROMPT wins. */
  PARLEY_SYSTEM_PROMPT_FILE: optionalString,
  /** Port of the Prometheus `/metrics` endpoint (its own server); unset: no metrics endpoint. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Interface the metrics server binds to. Default: HOST. */
  METRICS_HOST: optionalString,
  /** When set, a scrape must send `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: optionalString,
  /** On SIGTERM, how long in-flight HTTP requests may take to finish before they are cut. */
  SHUTDOWN_DRAIN_SECONDS: int(10, 0),
  /** OpenTelemetry (read by its SDK too): tracing is on when one of these asks for an exporter. */
  OTEL_SDK_DISABLED: optionalString,
  OTEL_TRACES_EXPORTER: optionalString,
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString,
  OTEL_SERVICE_NAME: optionalString,
});

export type Env = z.infer<typeof envSchema>;

/**
 * Parses `env` with one of the environment schemas (the core's, or an adapter's fragment).
 * Throws a `config_invalid` ParleyError naming each wrong variable and what is wrong with it.
 */
export function parseEnvWith<S extends z.ZodType>(schema: S, env: RawEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const msg = result.error.issues
      .map(
        (i) =>
          `${String(i.path[0] ?? '?')}: ${i.code === 'invalid_value' ? `use one of ${i.values.join(', ')}` : i.message}`,
      )
      .join('; ');
    throw new ParleyError('config_invalid', `Invalid environment: ${msg}`);
  }
  return result.data;
}

/** The core's variables from `env` (see {@link envSchema}). */
export function parseEnv(env: RawEnv): Env {
  return parseEnvWith(envSchema, env);
}

export interface CoreConfig {
  env: Env;
  /** The configured servers, or undefined when there is no config file (the entry point decides). */
  servers: ServerConfig[] | undefined;
  /** The file the servers came from. */
  serversSource: string | undefined;
}

/**
 * The core's configuration from `env`: its variables and, from `parley.config.json` in `cwd` or
 * the file PARLEY_CONFIG names, the servers (`${VAR}` in the file resolved from the same `env`).
 * Throws `config_invalid` naming the variable, or the file and field.
 */
export function loadCoreConfig(env: RawEnv, options: { cwd: string }): CoreConfig {
  const parsed = parseEnv(env);
  const path = resolve(options.cwd, parsed.PARLEY_CONFIG ?? 'parley.config.json');
  if (existsSync(path)) {
    const source = parsed.PARLEY_CONFIG ? `PARLEY_CONFIG (${path})` : path;
    return {
      env: parsed,
      servers: parseServersFile(readFileSync(path, 'utf8'), source, env),
      serversSource: path,
    };
  }
  if (parsed.PARLEY_CONFIG)
    throw new ParleyError('config_invalid', `PARLEY_CONFIG points at ${path}, which does not exist.`);
  return { env: parsed, servers: undefined, serversSource: undefined };
}
