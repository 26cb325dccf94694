/**
 * The Discord adapter's part of the environment: its variables, their defaults (written here
 * only) and the settings they make. The composition root and `npm run discord:register` parse it.
 */
import { z } from 'zod';
import { envVar, parseEnvWith, type RawEnv } from '../../src/config.js';
import { ParleyError } from '../../src/errors.js';

export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';

export const discordEnvSchema = z.object({
  /** Gateway (mentions, DMs, and interactions when no endpoint URL is set): the bot token. */
  DISCORD_TOKEN: envVar.optional,
  /** The application id (interaction webhooks, command registration). */
  DISCORD_APPLICATION_ID: envVar.optional,
  /** The HTTP interactions endpoint (/discord/interactions) is verified with this Ed25519 key. */
  DISCORD_PUBLIC_KEY: envVar.optional,
  /** `npm run discord:register` registers slash commands to this guild only (instant updates). */
  DISCORD_GUILD_ID: envVar.optional,
  /** Any Discord-compatible REST base (the local fake, a proxy); discord.js appends the API version. */
  DISCORD_API_URL: z.url().default(DEFAULT_DISCORD_API_URL),
  /**
   * OAuth2 `identify` for sign-in links: the application's client secret. Set, the browser opening
   * a person's sign-in link must be signed in to Discord as them.
   */
  DISCORD_CLIENT_SECRET: envVar.optional,
});

export type DiscordEnv = z.infer<typeof discordEnvSchema>;

/** The adapter's settings that come from the environment. */
export interface DiscordSettings {
  applicationId: string;
  token: string | undefined;
  publicKey: string | undefined;
  apiUrl: string;
  /** OAuth2 client secret, when sign-in links are checked with Discord's `identify`. */
  clientSecret?: string | undefined;
}

/** The Discord variables, parsed (a wrong value throws `config_invalid` naming it). */
export function parseDiscordEnv(raw: RawEnv): DiscordEnv {
  return parseEnvWith(discordEnvSchema, raw);
}

/**
 * The adapter's settings from the raw environment, or undefined when Discord is not configured
 * (no application id, and neither a bot token nor a public key). Throws `config_invalid` naming
 * what is missing when it is half configured.
 */
export function discordSettingsFromEnv(raw: RawEnv): DiscordSettings | undefined {
  const env = parseDiscordEnv(raw);
  if (!env.DISCORD_APPLICATION_ID) {
    if (env.DISCORD_TOKEN || env.DISCORD_PUBLIC_KEY)
      throw new ParleyError(
        'config_invalid',
        'DISCORD_TOKEN or DISCORD_PUBLIC_KEY is set, but DISCORD_APPLICATION_ID is missing.',
      );
    return undefined;
  }
  if (!env.DISCORD_TOKEN && !env.DISCORD_PUBLIC_KEY)
    throw new ParleyError(
      'config_invalid',
      'DISCORD_APPLICATION_ID is set: also set DISCORD_TOKEN (gateway) and/or DISCORD_PUBLIC_KEY (HTTP interactions).',
    );
  return {
    applicationId: env.DISCORD_APPLICATION_ID,
    token: env.DISCORD_TOKEN,
    publicKey: env.DISCORD_PUBLIC_KEY,
    apiUrl: env.DISCORD_API_URL,
    ...(env.DISCORD_CLIENT_SECRET && { clientSecret: env.DISCORD_CLIENT_SECRET }),
  };
}
