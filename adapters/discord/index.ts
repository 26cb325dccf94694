/**
 * The Discord adapter's public face: `createDiscordAdapter(config)` builds a {@link DiscordAdapter},
 * attaches its surface (a `ChatSurface`) to the agent and, with a public key, mounts
 * `/discord/interactions` on Parley's HTTP server (answering 503 until started); `start()` begins
 * handling events and logs in to the gateway when a bot token is given; `stop()` lets in-flight
 * events finish and disconnects.
 */
import { DiscordAdapter, type DiscordAdapterConfig } from './adapter.js';

export { DiscordAdapter, type DiscordAdapterConfig } from './adapter.js';
export { commandDefinitions } from './commands.js';
export { type DiscordSettings, discordEnvSchema, discordSettingsFromEnv } from './config.js';
export { DISCORD_CAPABILITIES } from './forms.js';
export { type RegisterOptions, registerCommands } from './register.js';

export function createDiscordAdapter(config: DiscordAdapterConfig): DiscordAdapter {
  const adapter = new DiscordAdapter(config);
  config.agent.attach(adapter.surface);
  return adapter;
}
