/**
 * Direct commands: what a person can type instead of plain words (`/help`, `/tools`, `/call`,
 * `/reset`, `/login`, `/logout`, `/whoami`). They work with or without a language model.
 */
import type { SignInService } from './auth/signin.js';
import { type Actor, type Conversation, identityKey } from './conversation.js';
import type { ServerFeatures } from './features.js';
import type { Presenter } from './interactions/presenter.js';
import type { McpPool } from './mcp/pool.js';
import type { SessionStore } from './sessions.js';
import { repairTypedJson } from './text.js';
import type { ToolCatalog } from './tools/catalog.js';
import type { TurnRunner } from './turns/runner.js';

export const HELP = [
  '**Parley** puts MCP tools in this chat. Ask in plain words, or use:',
  '• `/tools` — list the tools I can use',
  '• `/call <tool> {json}` — call a tool directly, e.g. `/call demo__echo {"message":"hi"}`',
  '• `/prompts` — list the servers’ prompts · `/prompt <server__name>` — run one (I ask its arguments)',
  '• `/resources` — list the servers’ resources (ask me to read one)',
  '• `/login <server>` · `/logout <server>` — sign in to (or out of) a server that needs your account',
  '• `/whoami` — which servers you are signed in to',
  '• `/reset` — forget this conversation',
  '• `/help` — this message',
].join('\n');

export interface ParsedCommand {
  /** Lower-cased, with its slash (`/call`). */
  name: string;
  /** Whitespace-separated words after the name. */
  words: string[];
  /** Everything after the name, trimmed. */
  rest: string;
}

/** Splits `/name args…`; undefined when the text is not a command. */
export function parseCommand(text: string): ParsedCommand | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('/')) return undefined;
  const [name = '', ...words] = trimmed.split(/\s+/);
  return { name: name.toLowerCase(), words, rest: trimmed.slice(name.length).trim() };
}

export interface CommandsOptions {
  presenter: Presenter;
  sessions: SessionStore;
  catalog: ToolCatalog;
  runner: TurnRunner;
  pool: McpPool;
  processId: string;
  signIn?: SignInService | undefined;
  features: ServerFeatures;
  /** A language model is configured (a prompt is run through it; without one it is shown). */
  hasLlm: boolean;
}

export class Commands {
  constructor(private readonly o: CommandsOptions) {}

  async run(conversation: Conversation, command: ParsedCommand, text: string): Promise<void> {
    const say = (t: string) => this.o.presenter.say(conversation, t);
    switch (command.name) {
      case '/help':
        await say(HELP);
        return;
      case '/reset':
        await this.o.sessions.reset(conversation);
        await say('Done — I’ve forgotten this conversation.');
        return;
      case '/tools':
        await say(await this.o.catalog.describe(conversation));
        return;
      case '/call': {
        const name = command.words[0];
        if (!name) {
          await say('Usage: `/call <tool> {json arguments}` — see `/tools` for names.');
          return;
        }
        const args = repairTypedJson(command.rest.slice(name.length).trim() || '{}');
        await this.o.runner.direct(conversation, name, args, text);
        return;
      }
      case '/prompts':
        await say(await this.o.features.describePrompts(conversation));
        return;
      case '/resources':
        await say(await this.o.features.describeResources(conversation, this.o.hasLlm));
        return;
      case '/prompt': {
        const name = command.words[0];
        if (!name) {
          await say('Usage: `/prompt <server__name>` — see `/prompts` for names.');
          return;
        }
        const got = await this.o.features.getPrompt(conversation, name);
        if (!got.ok) {
          if (got.message) await say(got.message);
          return;
        }
        if (this.o.hasLlm) await this.o.runner.prompt(conversation, got.messages, text);
        // Without a model, the person gets the prompt's text to use as they like.
        else
          await say(
            `**${got.title}**\n\n${got.messages.map((m) => `${m.role === 'assistant' ? 'Assistant' : 'User'}: ${String(m.content)}`).join('\n\n')}`,
          );
        return;
      }
      case '/login':
      case '/logout':
      case '/whoami':
        await this.account(conversation, command.name, command.words[0]);
        return;
      default:
        await say(`I don’t know the command \`${command.name}\`.\n\n${HELP}`);
    }
  }

  /**
   * `/login`, `/logout`, `/whoami` — also what a home page's Sign in button runs (`/login` in the
   * person's private conversation with Parley): the link, or why not, is posted there.
   */
  async account(
    conversation: Conversation,
    command: '/login' | '/logout' | '/whoami',
    server: string | undefined,
  ): Promise<void> {
    const { signIn, presenter } = this.o;
    if (!signIn) {
      await presenter.say(conversation, NO_SIGN_IN);
      return;
    }
    const route = { type: 'live', processId: this.o.processId } as const;
    for (const m of await signIn.command(conversation, command, server, route))
      await presenter.post(conversation, m);
    if (command === '/logout') await this.forget(conversation, server);
    // Signed in at once (the server took stored credentials) or signed out: the home changed.
    if (command !== '/whoami') presenter.homeChanged(conversation);
  }

  /** A home page's Sign out: forgets the person's tokens for `server`; the sentence to show. */
  async signOut(actor: Actor, server: string): Promise<string> {
    const { signIn } = this.o;
    if (!signIn) return NO_SIGN_IN;
    const message = await signIn.logout(identityKey(actor), server);
    await this.forget(actor, server);
    this.o.presenter.homeChanged(actor);
    return message;
  }

  /** Signed out: the next call must not reuse a session opened with the old account. */
  private async forget(actor: Actor, server: string | undefined): Promise<void> {
    for (const s of this.o.signIn?.servers ?? [])
      if (!server || s.name === server) await this.o.pool.discard(identityKey(actor), s.name);
  }
}

const NO_SIGN_IN = 'Sign-in isn’t set up here, so there is nothing to sign in to.';
