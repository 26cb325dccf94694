/**
 * Registers Parley's slash commands with Discord: globally (they reach every guild within about
 * an hour), or to one guild, where updates are instant — the choice while developing.
 */
import { REST, type RESTOptions, Routes } from 'discord.js';
import { commandDefinitions } from './commands.js';

export interface RegisterOptions {
  applicationId: string;
  token: string;
  /** Register to this guild only. */
  guildId?: string | undefined;
  /** Discord's REST base (DISCORD_API_URL). */
  apiUrl?: string | undefined;
  rest?: Partial<RESTOptions>;
}

/** Replaces the application's commands with Parley's; returns the names registered. */
export async function registerCommands(options: RegisterOptions): Promise<string[]> {
  const rest = new REST({ ...(options.apiUrl && { api: options.apiUrl }), ...options.rest }).setToken(
    options.token,
  );
  const route = options.guildId
    ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
    : Routes.applicationCommands(options.applicationId);
  const registered = (await rest.put(route, { body: commandDefinitions() })) as Array<{ name: string }>;
  return registered.map((c) => c.name);
}
