/**
 * A person's home: what Parley shows them about itself on a surface with a home page (Slack's App
 * Home) — the MCP servers it is connected to and how each is doing for them, their sign-ins, and
 * the forms, confirmations and links still waiting for them. A read model: the core decides what
 * is in it (and that it is this person's alone); a surface only renders it.
 */

import type { SignInStatus } from './auth/commands.js';
import { isSignInRequired } from './auth/sign-in-errors.js';
import type { SignInService } from './auth/signin.js';
import type { ServerConfig } from './config.js';
import { type Actor, type Conversation, identityKey } from './conversation.js';
import { toParleyError } from './errors.js';
import type { InteractionView } from './inbound.js';
import type { PendingStore } from './interactions/pending.js';
import { viewMessage } from './interactions/presenter.js';
import { unavailable } from './mcp/health.js';
import type { McpPool } from './mcp/pool.js';
import type { ToolCatalog } from './tools/catalog.js';

/**
 * One configured server as the person meets it: `up` (it listed its tools for them; `tools`
 * counts those allowed), `unreachable` (it failed or is skipped for now; `detail` says so in one
 * sentence), or `needs_sign_in` (it wants their account first).
 */
export interface HomeServer {
  name: string;
  title: string;
  status: 'up' | 'unreachable' | 'needs_sign_in';
  tools?: number;
  detail?: string;
}

/** An interaction waiting for the person, and the conversation it was asked in. */
export interface HomeInteraction {
  conversation: Conversation;
  interaction: InteractionView;
}

export interface HomeModel {
  servers: HomeServer[];
  /** One per server that uses per-person sign-in (none without sign-in set up). */
  signIns: SignInStatus[];
  /** Newest first, at most {@link HOME_MAX_OPEN}. Sign-in links are in `signIns` instead. */
  open: HomeInteraction[];
  /** How many open interactions there were beyond {@link HOME_MAX_OPEN}. */
  moreOpen: number;
}

/** Most open interactions a home lists. */
export const HOME_MAX_OPEN = 15;

export interface HomeReaderOptions {
  pool: McpPool;
  catalog: ToolCatalog;
  pending: PendingStore;
  signIn: SignInService | undefined;
  now: () => number;
}

export class HomeReader {
  constructor(private readonly o: HomeReaderOptions) {}

  /**
   * The person's home. Servers are checked in parallel, each within its listing deadline (tool
   * lists are cached, so this is cheap when they were listed lately); a server that wants the
   * person's account and has none for them is `needs_sign_in` without being asked.
   */
  async read(actor: Actor): Promise<HomeModel> {
    const identity = identityKey(actor);
    const [signIns, records] = await Promise.all([
      this.o.signIn?.status(identity) ?? Promise.resolve([]),
      this.o.pending.openFor(actor, this.o.now()),
    ]);
    const signedIn = new Set(signIns.filter((s) => s.state === 'signed_in').map((s) => s.server));
    const personal = new Set(signIns.map((s) => s.server));
    const servers = await Promise.all(
      this.o.pool.servers.map((s) => this.server(identity, s, personal.has(s.name) && !signedIn.has(s.name))),
    );
    const open = records
      .filter((r) => !(r.kind === 'link' && r.link?.purpose === 'signin'))
      .map((r) => ({ conversation: r.conversation, interaction: viewMessage(r) as InteractionView }));
    return {
      servers,
      signIns,
      open: open.slice(0, HOME_MAX_OPEN),
      moreOpen: Math.max(0, open.length - HOME_MAX_OPEN),
    };
  }

  private async server(identity: string, server: ServerConfig, noAccount: boolean): Promise<HomeServer> {
    const base = { name: server.name, title: server.title ?? server.name };
    if (this.o.pool.health.isOpen(server.name))
      return { ...base, status: 'unreachable', detail: unavailable(server).userMessage };
    // Listing now would only start a sign-in nobody asked for.
    if (noAccount) return { ...base, status: 'needs_sign_in' };
    try {
      const tools = await this.o.pool.listTools(identity, server.name);
      return {
        ...base,
        status: 'up',
        tools: tools.filter((t) => this.o.catalog.allowed(server, t.name)).length,
      };
    } catch (err) {
      if (isSignInRequired(err)) return { ...base, status: 'needs_sign_in' };
      return { ...base, status: 'unreachable', detail: toParleyError(err).userMessage };
    }
  }
}
