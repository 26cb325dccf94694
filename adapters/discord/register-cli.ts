/**
 * `npm run discord:register`: registers Parley's slash commands (/ask, /tools, /call, /login,
 * /logout, /reset) with Discord. Needs DISCORD_TOKEN and DISCORD_APPLICATION_ID; with
 * DISCORD_GUILD_ID they go to that guild only (instant updates while developing), otherwise
 * globally. DISCORD_API_URL points it at any Discord-compatible server.
 */

import { ParleyError } from '../../src/errors.js';
import { parseDiscordEnv } from './config.js';
import { registerCommands } from './register.js';

async function main(): Promise<void> {
  const env = parseDiscordEnv(process.env);
  if (!env.DISCORD_TOKEN || !env.DISCORD_APPLICATION_ID)
    throw new ParleyError(
      'config_invalid',
      'Set DISCORD_TOKEN and DISCORD_APPLICATION_ID to register the slash commands.',
    );
  const names = await registerCommands({
    applicationId: env.DISCORD_APPLICATION_ID,
    token: env.DISCORD_TOKEN,
    guildId: env.DISCORD_GUILD_ID,
    apiUrl: env.DISCORD_API_URL,
  });
  const where = env.DISCORD_GUILD_ID
    ? `guild ${env.DISCORD_GUILD_ID}`
    : 'every guild (global; may take up to an hour)';
  process.stdout.write(`Registered ${names.map((n) => `/${n}`).join(', ')} for ${where}.\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`discord:register failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
