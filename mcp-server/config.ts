/**
 * The demo MCP server's environment, parsed once by the entry point (`main.ts`).
 */
import { z } from 'zod';
import { DEFAULT_AUTH_ISSUER, DEFAULT_CALENDAR_WAIT_MS } from './server.js';

const optional = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

export const mcpServerEnvSchema = z.object({
  MCP_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  MCP_HOST: z.string().trim().min(1).default('127.0.0.1'),
  AUTH_ISSUER: z.url().default(DEFAULT_AUTH_ISSUER),
  MCP_PUBLIC_URL: z.url().optional(),
  MCP_ALLOWED_HOSTS: optional.transform((v) =>
    v
      ? v
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean)
      : [],
  ),
  MCP_STATE_SECRET: optional.refine((v) => v === undefined || Buffer.byteLength(v, 'utf8') >= 32, {
    message: 'use at least 32 characters',
  }),
  CALENDAR_WAIT_MS: z.coerce.number().int().min(1000).default(DEFAULT_CALENDAR_WAIT_MS),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type McpServerEnv = z.infer<typeof mcpServerEnvSchema>;

/** Parses the environment; the error names every variable that is wrong. */
export function loadMcpServerEnv(env: NodeJS.ProcessEnv = process.env): McpServerEnv {
  const parsed = mcpServerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`The demo MCP server's environment is invalid: ${problems}.`);
  }
  return parsed.data;
}
