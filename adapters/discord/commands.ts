/**
 * Parley's slash commands, built with discord.js builders. Each maps onto one of the agent's text
 * commands (see {@link commandText}); `npm run discord:register` sends these definitions to
 * Discord.
 */
import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  type RESTPostAPIApplicationCommandsJSONBody,
  SlashCommandBuilder,
} from 'discord.js';

/** The message context-menu command (Apps → "Ask Parley about this"). */
export const ASK_ABOUT = 'Ask Parley about this';

/**
 * Installable to a server and to a person (user install: Parley then answers where its bot isn't
 * a member, through the interaction), usable in servers, the bot's DMs and private channels.
 */
function everywhere<B extends SlashCommandBuilder | ContextMenuCommandBuilder>(b: B): B {
  b.setContexts(
    InteractionContextType.Guild,
    InteractionContextType.BotDM,
    InteractionContextType.PrivateChannel,
  );
  b.setIntegrationTypes(ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall);
  return b;
}

export function commandDefinitions(): RESTPostAPIApplicationCommandsJSONBody[] {
  const slash = [
    everywhere(new SlashCommandBuilder())
      .setName('ask')
      .setDescription('Ask Parley; it uses MCP tools when they help.')
      .addStringOption((o) =>
        o.setName('prompt').setDescription('What you want').setRequired(true).setMaxLength(4000),
      ),
    everywhere(new SlashCommandBuilder())
      .setName('tools')
      .setDescription('List the MCP tools Parley can use.'),
    everywhere(new SlashCommandBuilder())
      .setName('call')
      .setDescription('Call an MCP tool directly.')
      .addStringOption((o) =>
        o.setName('tool').setDescription('server__tool').setRequired(true).setAutocomplete(true),
      )
      .addStringOption((o) =>
        o
          .setName('args')
          .setDescription('Arguments as a JSON object, e.g. {"message":"hi"}')
          .setRequired(false),
      ),
    everywhere(new SlashCommandBuilder())
      .setName('login')
      .setDescription('Sign in to an MCP server.')
      .addStringOption((o) =>
        o.setName('server').setDescription('Server name').setRequired(true).setAutocomplete(true),
      ),
    everywhere(new SlashCommandBuilder())
      .setName('logout')
      .setDescription('Sign out of an MCP server.')
      .addStringOption((o) =>
        o.setName('server').setDescription('Server name').setRequired(true).setAutocomplete(true),
      ),
    everywhere(new SlashCommandBuilder()).setName('reset').setDescription('Forget this conversation.'),
  ].map((b) => b.toJSON());
  const menu = everywhere(
    new ContextMenuCommandBuilder().setName(ASK_ABOUT).setType(ApplicationCommandType.Message),
  );
  return [...slash, menu.toJSON()];
}

/** Commands whose answers only the person who ran them should see. */
export const PRIVATE_COMMANDS = new Set(['tools', 'login', 'logout', 'reset']);

/** The agent's text for a slash command and its options; undefined for commands we don't know. */
export function commandText(name: string, options: Record<string, string>): string | undefined {
  switch (name) {
    case 'ask':
      return options.prompt ?? '';
    case 'tools':
      return '/tools';
    case 'reset':
      return '/reset';
    case 'call':
      return `/call ${options.tool ?? ''} ${options.args ?? ''}`.trim();
    case 'login':
      return `/login ${options.server ?? ''}`.trim();
    case 'logout':
      return `/logout ${options.server ?? ''}`.trim();
    default:
      return undefined;
  }
}
