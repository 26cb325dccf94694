/**
 * What a person types about their own sign-ins — `/login`, `/logout`, `/whoami` (routed here by
 * src/commands.ts) — and the per-server sign-in status that `/whoami` and the home show. Signing
 * out forgets the person's tokens and any open sign-in; it never shows a token.
 */
import { type Conversation, identityKey } from '../conversation.js';
import type { PendingRoute } from '../interactions/pending.js';
import type { OutboundMessage } from '../surface.js';
import { requestSignIn, startSignIn } from './link.js';
import type { SignInParts } from './signin.js';

/** A person's sign-in to one server, as the sign-in service's `status` reports it. */
export interface SignInStatus {
  server: string;
  title: string;
  state: 'signed_in' | 'waiting' | 'signed_out';
  /** The scope granted, when signed in and the server said. */
  scope?: string;
}

/** `/login`, `/logout` and `/whoami`: the messages to post back to the person. */
export async function signInCommand(
  parts: SignInParts,
  conversation: Conversation,
  command: '/login' | '/logout' | '/whoami',
  arg: string | undefined,
  route: PendingRoute,
): Promise<OutboundMessage[]> {
  const text = (t: string): OutboundMessage[] => [{ kind: 'text', text: t }];
  const servers = parts.servers();
  if (servers.length === 0) return text('None of my MCP servers uses sign-in.');
  const identity = identityKey(conversation);
  if (command === '/whoami') return text(await describeStatus(parts, identity));

  const name = arg ?? (servers.length === 1 ? servers[0]?.name : undefined);
  const server = servers.find((s) => s.name === name);
  if (!server) {
    const list = servers.map((s) => `\`${s.name}\``).join(', ');
    return text(
      name
        ? `\`${name}\` isn’t a server I sign in to. Servers with sign-in: ${list}.`
        : `Usage: \`${command} <server>\` — servers with sign-in: ${list}.`,
    );
  }
  const title = server.title ?? server.name;
  if (command === '/logout') return text(await logout(parts, identity, server.name));
  if (await parts.vault.getTokens(identity, server.name))
    return text(
      `You’re already signed in to **${title}**. To sign in as someone else, use \`/logout ${server.name}\` first.`,
    );
  const started = await startSignIn(parts, identity, server, false);
  if (started === 'authorized') return text(`✅ You’re signed in to **${title}**.`);
  if (started !== 'redirect') return text(`⚠️ ${started.message}`);
  const asked = await requestSignIn(parts, conversation, server.name, route);
  return asked.ok ? [{ kind: 'link', view: asked.view }] : text(`⚠️ ${asked.message}`);
}

/** Forgets the person's tokens and any open sign-in for the server. True when there was one. */
export async function signOut(parts: SignInParts, identity: string, serverName: string): Promise<boolean> {
  const tokens = await parts.vault.getTokens(identity, serverName);
  const flow = await parts.vault.getFlow(identity, serverName, parts.now());
  await parts.vault.delete(identity, serverName, 'tokens');
  if (flow) await parts.vault.dropFlow(identity, serverName, flow);
  return Boolean(tokens || flow);
}

/**
 * `/logout` for one server: forgets the person's tokens (and any open sign-in) and says so in
 * one sentence. The caller drops connections opened with the old account.
 */
export async function logout(parts: SignInParts, identity: string, serverName: string): Promise<string> {
  const server = parts.servers().find((s) => s.name === serverName);
  if (!server) return `\`${serverName}\` isn’t a server I sign in to.`;
  const title = server.title ?? server.name;
  return (await signOut(parts, identity, server.name))
    ? `Signed out of **${title}**: I’ve forgotten your tokens for it.`
    : `You weren’t signed in to **${title}**.`;
}

/**
 * The person's sign-in to each server that uses one: `signed_in` (tokens stored; `scope` as
 * granted), `waiting` (a link was sent and is still open) or `signed_out`. Never the tokens.
 */
export async function signInStatus(parts: SignInParts, identity: string): Promise<SignInStatus[]> {
  return Promise.all(
    parts.servers().map(async (server): Promise<SignInStatus> => {
      const base = { server: server.name, title: server.title ?? server.name };
      const stored = await parts.vault.getTokens(identity, server.name);
      if (stored)
        return { ...base, state: 'signed_in', ...(stored.tokens.scope && { scope: stored.tokens.scope }) };
      // A flow nobody was sent a link for (a listing met the server's 401) is not waiting on them.
      const flow = await parts.vault.getFlow(identity, server.name, parts.now());
      return { ...base, state: flow?.sent ? 'waiting' : 'signed_out' };
    }),
  );
}

/** Which servers the person is signed in to (never the tokens themselves). */
export async function describeStatus(parts: SignInParts, identity: string): Promise<string> {
  const lines = (await signInStatus(parts, identity)).map((s) => {
    const title = `**${s.title}** (\`${s.server}\`)`;
    if (s.state === 'signed_in') return `• ${title}: signed in${s.scope ? ` — access: ${s.scope}` : ''}`;
    if (s.state === 'waiting') return `• ${title}: a sign-in link is waiting for you`;
    return `• ${title}: not signed in — \`/login ${s.server}\``;
  });
  return ['Your sign-ins:', ...lines].join('\n');
}
