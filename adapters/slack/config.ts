/**
 * The Slack adapter's part of the environment: its variables, their defaults (written here
 * only) and the settings they make. The composition root parses it once beside the core's.
 */
import { z } from 'zod';
import { envVar, parseEnvWith, type RawEnv } from '../../src/config.js';
import { ParleyError } from '../../src/errors.js';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';
export const DEFAULT_SLACK_COMMAND = '/parley';

export const slackEnvSchema = z.object({
  /** The bot token (xoxb-…) turns the Slack adapter on. */
  SLACK_BOT_TOKEN: envVar.optional,
  /** Socket Mode: an app-level token (xapp-…) with `connections:write`. */
  SLACK_APP_TOKEN: envVar.optional,
  /** HTTP mode: requests to /slack/events are verified with this secret. */
  SLACK_SIGNING_SECRET: envVar.optional,
  /** Any Slack-compatible Web API (the fake Slack, a proxy); must end with "/api/". */
  SLACK_API_URL: z.url().default(DEFAULT_SLACK_API_URL),
  /** The slash command as configured in the Slack app. */
  SLACK_COMMAND: z
    .string()
    .regex(/^\/[a-z0-9_-]{1,31}$/, 'use a slash and up to 31 lowercase letters, digits, "-" or "_"')
    .default(DEFAULT_SLACK_COMMAND),
  /**
   * Sign in with Slack (OpenID Connect) for sign-in links: the Slack app's client id and secret.
   * Set both, and the browser opening a person's sign-in link must be signed in to Slack as them.
   */
  SLACK_CLIENT_ID: envVar.optional,
  SLACK_CLIENT_SECRET: envVar.optional,
});

/** What the environment decides (see {@link slackSettingsFromEnv}). */
export interface SlackSettings {
  /** xoxb-… */
  botToken: string;
  /** xapp-…: Socket Mode. Wins over the signing secret when both are set. */
  appToken?: string | undefined;
  /** HTTP mode: verifies requests to `/slack/events`. */
  signingSecret?: string | undefined;
  /** Default {@link DEFAULT_SLACK_API_URL}; any Slack-compatible Web API (the fake Slack) works. */
  apiUrl?: string | undefined;
  /** Default {@link DEFAULT_SLACK_COMMAND}. */
  command?: string | undefined;
  /** Sign in with Slack's client credentials, when the deployment verifies sign-in browsers. */
  signInClient?: { id: string; secret: string } | undefined;
}

/**
 * The Slack settings from the raw environment, or undefined when Slack isn't configured (no bot
 * token). Throws `config_invalid` naming the variable that is wrong or missing.
 */
export function slackSettingsFromEnv(raw: RawEnv): SlackSettings | undefined {
  const env = parseEnvWith(slackEnvSchema, raw);
  if (!env.SLACK_BOT_TOKEN) return undefined;
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET)
    throw new ParleyError(
      'config_invalid',
      'SLACK_BOT_TOKEN is set, but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is.',
    );
  if (Boolean(env.SLACK_CLIENT_ID) !== Boolean(env.SLACK_CLIENT_SECRET))
    throw new ParleyError(
      'config_invalid',
      'Sign in with Slack needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (the Slack app’s client credentials).',
    );
  return {
    ...(env.SLACK_CLIENT_ID &&
      env.SLACK_CLIENT_SECRET && {
        signInClient: { id: env.SLACK_CLIENT_ID, secret: env.SLACK_CLIENT_SECRET },
      }),
    botToken: env.SLACK_BOT_TOKEN,
    appToken: env.SLACK_APP_TOKEN,
    signingSecret: env.SLACK_SIGNING_SECRET,
    apiUrl: env.SLACK_API_URL,
    command: env.SLACK_COMMAND,
  };
}
