/**
 * The console adapter's part of the environment. The composition root parses it once beside the
 * core's; the console itself takes plain options.
 */
import { z } from 'zod';
import { envVar, parseEnvWith, type RawEnv } from '../../src/config.js';

export const consoleEnvSchema = z.object({
  /** `1` keeps the console chat even when Slack or Discord credentials are set. */
  PARLEY_CONSOLE: envVar.flag,
  /** `1` follows sign-in links headlessly (the demo auth server with AUTH_AUTO_APPROVE). */
  PARLEY_FOLLOW_SIGNIN_LINKS: envVar.flag,
});

export type ConsoleEnv = z.infer<typeof consoleEnvSchema>;

/** The console variables, parsed (a wrong value throws `config_invalid` naming it). */
export function consoleSettingsFromEnv(raw: RawEnv): ConsoleEnv {
  return parseEnvWith(consoleEnvSchema, raw);
}
