/**
 * Environment configuration of the demo auth server, parsed once at start by `main.ts`.
 * Empty variables count as unset, so a blank line in a `.env` file means "use the default".
 */
import { z } from 'zod';
import { DEFAULT_MCP_RESOURCE_URL } from './server.js';
import { DEMO_USERS } from './users.js';

const blankIsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const httpUrl = z
  .string()
  .trim()
  .refine(
    (value) => ['http:', 'https:'].includes(URL.parse(value)?.protocol ?? ''),
    'must be an http(s) URL',
  );

const seconds = z.coerce.number().int().positive();

/** The demo auth server's variables (also read by the composition root for the ports it starts). */
export const authMockEnvSchema = z.object({
  AUTH_PORT: z.preprocess(blankIsUnset, z.coerce.number().int().min(0).max(65535).default(9000)),
  AUTH_HOST: z.preprocess(blankIsUnset, z.string().trim().default('127.0.0.1')),
  AUTH_ISSUER: z.preprocess(blankIsUnset, httpUrl.optional()),
  AUTH_AUTO_APPROVE: z.preprocess(
    blankIsUnset,
    z.enum(DEMO_USERS.map((user) => user.id) as [string, ...string[]]).optional(),
  ),
  MCP_RESOURCE_URL: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default(DEFAULT_MCP_RESOURCE_URL)
      .transform((value) =>
        value
          .split(',')
          .map((url) => url.trim())
          .filter(Boolean),
      )
      .pipe(z.array(httpUrl).min(1)),
  ),
  AUTH_ACCESS_TOKEN_TTL: z.preprocess(blankIsUnset, seconds.default(3600)),
  AUTH_REFRESH_TOKEN_TTL: z.preprocess(blankIsUnset, seconds.default(14 * 86400)),
});

/** The parsed configuration. */
export interface AuthMockConfig {
  port: number;
  host: string;
  issuer: string | undefined;
  autoApprove: string | undefined;
  resources: string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

/** Thrown for an invalid environment; the message names every offending variable. */
export class AuthMockConfigError extends Error {
  readonly code = 'AUTH_MOCK_CONFIG_INVALID';
}

/**
 * Reads `AUTH_PORT` (9000), `AUTH_HOST` (127.0.0.1), `AUTH_ISSUER` (derived from host and port),
 * `AUTH_AUTO_APPROVE` (off; alice, bob or carol), `MCP_RESOURCE_URL` (http://127.0.0.1:3001/mcp;
 * comma-separated for several), `AUTH_ACCESS_TOKEN_TTL` (3600 s), `AUTH_REFRESH_TOKEN_TTL` (14 days).
 */
export function loadAuthMockConfig(env: NodeJS.ProcessEnv = process.env): AuthMockConfig {
  const parsed = authMockEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new AuthMockConfigError(`Invalid demo auth server configuration:\n  ${problems.join('\n  ')}`);
  }
  const c = parsed.data;
  return {
    port: c.AUTH_PORT,
    host: c.AUTH_HOST,
    issuer: c.AUTH_ISSUER,
    autoApprove: c.AUTH_AUTO_APPROVE,
    resources: c.MCP_RESOURCE_URL,
    accessTokenTtlSeconds: c.AUTH_ACCESS_TOKEN_TTL,
    refreshTokenTtlSeconds: c.AUTH_REFRESH_TOKEN_TTL,
  };
}
