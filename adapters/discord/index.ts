/**
 * The Discord adapter's public face: `createDiscordAdapter(config)` builds a {@link DiscordAdapter},
 * attaches its surface (a `ChatSurface`) to the agent and, with a public key, mounts
 * `/discord/interactions` on Parley's HTTP server (answering 503 until started); `start()` begins
 * handling events and logs in to the gateway when a bot token is given; `stop()` lets in-flight
 * events finish and disconnects.
 */
import type { Env } from '../../src/config.js';
import { ParleyError } from '../../src/errors.js';
import { DiscordAdapter, type DiscordAdapterConfig } from './adapter.js';

export { DiscordAdapter, type DiscordAdapterConfig } from './adapter.js';
export { commandDefinitions } from './commands.js';
export { DISCORD_CAPABILITIES } from './forms.js';
export { type RegisterOptions, registerCommands } from './register.js';

export function createDiscordAdapter(config: DiscordAdapterConfig): DiscordAdapter {
  const adapter = new DiscordAdapter(config);
  config.agent.attach(adapter.surface);
  return adapter;
}

/**
 * The adapter's settings from the environment, or undefined when Discord is not configured (no
 * application id, or neither a bot token nor a public key).
 */
export function discordSettingsFromEnv(
  env: Env,
): Pick<DiscordAdapterConfig, 'applicationId' | 'token' | 'publicKey' | 'apiUrl'> | undefined {
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
  };
}
