/**
 * Sign-in (OAuth for MCP servers, per chat user): the piece the agent, the pool and the HTTP
 * callback share. It hands the pool one {@link StoreOAuthProvider} per (person, server), turns a
 * recorded sign-in into a private link for the person (re-sending an open one rather than
 * starting a second), answers `/login`, `/logout` and `/whoami`, and finishes the flow when the
 * browser comes back to `/oauth/callback` — in whichever process receives it.
 *
 * `state` is single use, expires with the link, and leads to exactly one (person, server) flow:
 * the token exchange runs with that person's PKCE verifier and client registration, so a code
 * obtained through anyone else's link cannot be redeemed into their account.
 */
import { auth, type FetchLike, type OAuthClientProvider } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config.js';
import { type Actor, type Conversation, identityKey, sessionKey } from '../conversation.js';
import { describeError, isParleyError, ParleyError } from '../errors.js';
import { type PendingRoute, PendingStore } from '../interactions/pending.js';
import type { Logger } from '../logger.js';
import { metrics } from '../observability/metrics.js';
import type { Store } from '../store/index.js';
import type { LinkView, OutboundMessage } from '../surface.js';
import { hostOf } from '../text.js';
import { digest, SecretBox } from './crypto.js';
import { signInFailure } from './failure.js';
import {
  isOAuthServer,
  type OAuthServerConfig,
  type ProviderContext,
  StoreOAuthProvider,
} from './provider.js';
import {
  ClientCredentialsOAuthProvider,
  type ClientCredentialsServer,
  EnterpriseOAuthProvider,
  type EnterpriseServer,
  expiresSoon,
  type IdentityAssertionSource,
  idpSignIn,
  isEnterpriseServer,
} from './service.js';
import {
  noClientRegistrationError,
  SignInBusyError,
  SignInRequiredError,
  signInBusyMessage,
} from './sign-in-errors.js';
import { browserBound, type PlatformVerifier, parseIdentity, START_PATH } from './start.js';
import { type SignInFlow, SignInVault, type SignInWaiter } from './vault.js';

export const CALLBACK_PATH = '/oauth/callback';
export const CLIENT_METADATA_PATH = '/oauth/client-metadata.json';

export interface SignInServiceOptions {
  store: Store;
  /**
   * PARLEY_SECRET (or the generated one): the key for tokens at rest. Or give `box`, built from
   * it once for the whole deployment (the composition root shares it with the adapters).
   */
  secret?: string;
  /** PARLEY_SECRET_PREVIOUS: still opens what it sealed, which is then sealed again with `secret`. */
  previousSecrets?: string[];
  /** The sealing key, instead of `secret` and `previousSecrets`. */
  box?: SecretBox;
  servers: ServerConfig[];
  /** Parley's public URL; a function when it is known only once the HTTP server listens. */
  publicBaseUrl: string | (() => string);
  logger: Logger;
  /** How long a sign-in link works; keep it equal to the pending-interaction TTL. Default 15 min. */
  flowTtlMs?: number;
  /**
   * Where Parley's client ID metadata document is served, when not at
   * `<PUBLIC_BASE_URL>/oauth/client-metadata.json`. Only an https URL is ever used.
   */
  clientMetadataUrl?: string | undefined;
  /** Sign-ins one tool call may ask for (step-up included) before Parley gives up. Default 3. */
  maxSignInsPerCall?: number;
  now?: () => number;
  /** For the token requests Parley makes itself (callback exchange, refresh). */
  fetch?: FetchLike;
  /**
   * `enterprise` servers: the person's ID token from the company IdP (the identity assertion
   * exchanged for an ID-JAG). Without it those servers answer that no company identity is known.
   */
  identityAssertion?: IdentityAssertionSource;
  /**
   * Platforms that can say who a browser's user is (Sign in with Slack, Discord OAuth2): a start
   * link for a person on one of them is claimed only by a browser signed in as that same user.
   */
  verifiers?: PlatformVerifier[];
}

/** A person's sign-in to one server, as {@link SignInService.status} reports it. */
export interface SignInStatus {
  server: string;
  title: string;
  state: 'signed_in' | 'waiting' | 'signed_out';
  /** The scope granted, when signed in and the server said. */
  scope?: string;
}

/** The end of a sign-in, for the agent to tell people and resume what waited for it. */
export interface SignInOutcome {
  ok: boolean;
  /** Whose sign-in it was (their home changed). */
  actor: Actor;
  server: string;
  title: string;
  /** For the chat, when `ok` is false. */
  message?: string;
  waiters: SignInWaiter[];
  /** The distinct conversations to tell (one message each). */
  notify: Conversation[];
}

export type CallbackResult =
  | { ok: true; outcome: SignInOutcome; heading: string; message: string }
  | {
      ok: false;
      reason: 'missing' | 'unknown' | 'used' | 'superseded' | 'unbound' | 'denied' | 'failed';
      heading: string;
      message: string;
      /** Present when someone waited for this sign-in and must be told it ended. */
      outcome?: SignInOutcome;
    };

export type SignInRequest = { ok: true; view: LinkView; resent: boolean } | { ok: false; message: string };

export class SignInService {
  readonly vault: SignInVault;
  /** What seals sign-in data and the pending sign-in links (the agent reads them with it too). */
  readonly sealer: SecretBox;
  private readonly options: SignInServiceOptions;
  private readonly pending: PendingStore;
  private readonly now: () => number;
  private readonly flowTtlMs: number;
  private readonly serviceProviders = new Map<string, ClientCredentialsOAuthProvider>();

  constructor(options: SignInServiceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.flowTtlMs = options.flowTtlMs ?? 15 * 60_000;
    if (!options.box && options.secret === undefined)
      throw new ParleyError(
        'config_invalid',
        'Sign-in needs a secret to seal what it stores (PARLEY_SECRET).',
      );
    this.sealer = options.box ?? new SecretBox(options.secret as string, options.previousSecrets);
    this.vault = new SignInVault(options.store, this.sealer, options.logger, this.now);
    // Sign-in links are pending interactions like any other, kept sealed: each is a usable start link.
    this.pending = new PendingStore(options.store, this.flowTtlMs, this.sealer, options.logger);
  }

  get publicBaseUrl(): string {
    const base = this.options.publicBaseUrl;
    return (typeof base === 'function' ? base() : base).replace(/\/+$/, '');
  }

  /** The link a person gets for a sign-in: Parley's start page (start.ts), one browser, once. */
  startUrl(startId: string): string {
    return `${this.publicBaseUrl}${START_PATH}/${startId}`;
  }

  /** The verifier for `platform`, when this deployment configured one. */
  verifierFor(platform: string): PlatformVerifier | undefined {
    return this.options.verifiers?.find((v) => v.platform === platform);
  }

  get redirectUrl(): string {
    return `${this.publicBaseUrl}${CALLBACK_PATH}`;
  }

  /** The CIMD URL, when Parley can offer one (the spec requires https). */
  get clientMetadataUrl(): string | undefined {
    const url = this.clientMetadataDocumentUrl;
    return url.startsWith('https://') ? url : undefined;
  }

  /** Where the client ID metadata document is, https or not: its own `client_id`. */
  private get clientMetadataDocumentUrl(): string {
    return this.options.clientMetadataUrl ?? `${this.publicBaseUrl}${CLIENT_METADATA_PATH}`;
  }

  /**
   * Servers a person signs in for: `oauth` servers, and `enterprise` servers as their company IdP
   * (an OpenID Connect sign-in whose ID token Parley keeps for the cross-app exchange), unless the
   * embedding code supplies ID tokens itself (`identityAssertion`).
   */
  get servers(): OAuthServerConfig[] {
    return this.options.servers.flatMap((s) => {
      if (isOAuthServer(s)) return [s];
      if (isEnterpriseServer(s) && !this.options.identityAssertion) return [idpSignIn(s)];
      return [];
    });
  }

  /**
   * The pool hook: a provider for (person, server), or undefined when the server needs none —
   * per person for `oauth` and `enterprise`, one shared service identity per server for
   * `client_credentials`. Every one checks the discovered issuer itself (issuer.ts), so the
   * transport runs with the SDK's own check off (`skipIssuerMetadataValidation`).
   */
  providerFor(identity: string, server: ServerConfig): OAuthClientProvider | undefined {
    if (isOAuthServer(server)) return new StoreOAuthProvider(this.context(identity, server));
    if (!('url' in server)) return undefined;
    if (server.auth.type === 'client_credentials') {
      let shared = this.serviceProviders.get(server.name);
      if (!shared) {
        shared = new ClientCredentialsOAuthProvider(server as ClientCredentialsServer);
        this.serviceProviders.set(server.name, shared);
      }
      return shared;
    }
    if (isEnterpriseServer(server))
      return new EnterpriseOAuthProvider(
        server,
        identity,
        this.options.identityAssertion ?? ((id) => this.idpIdToken(id, server)),
        this.options.fetch,
      );
    return undefined;
  }

  /** The client ID metadata document served at {@link CLIENT_METADATA_PATH}. */
  clientMetadataDocument(): Record<string, unknown> {
    return {
      client_id: this.clientMetadataDocumentUrl,
      client_name: 'Parley',
      client_uri: this.publicBaseUrl,
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  /**
   * Turns the recorded sign-in for (person, server) into a link view for the person, and records
   * who waits for it. `callKey` (turn + tool call) bounds how often one call may ask.
   */
  async requestSignIn(
    conversation: Conversation,
    serverName: string,
    route: PendingRoute,
    callKey?: string,
  ): Promise<SignInRequest> {
    const server = this.servers.find((s) => s.name === serverName);
    if (!server) return { ok: false, message: `${serverName} doesn’t use sign-in.` };
    const title = server.title ?? server.name;
    const identity = identityKey(conversation);
    if (callKey) {
      const max = this.options.maxSignInsPerCall ?? 3;
      const key = `oauth:attempts:${digest(callKey)}`;
      const count = Number((await this.options.store.get(key)) ?? '0') + 1;
      await this.options.store.set(key, String(count), this.flowTtlMs * 2);
      if (count > max)
        return {
          ok: false,
          message: `${title} still refuses access after ${max} sign-ins, so I stopped asking. The account may lack the permission this needs.`,
        };
    }
    if (!(await this.vault.getFlow(identity, server.name, this.now()))) {
      // The server refused us without the SDK starting a sign-in (say, a 401 right after a
      // refresh): start one now.
      const started = await this.startSignIn(identity, server, true);
      if (started === 'authorized')
        return { ok: false, message: `${title} accepted the stored sign-in again; please retry.` };
      if (started !== 'redirect') return { ok: false, message: started.message };
    }
    const release = await this.vault.lease(identity, server.name, 'flow', { ttlMs: 5_000, waitMs: 3_000 });
    // Someone else is changing this flow (a callback finishing it, a step-up replacing it):
    // writing it back now could revive what they just ended.
    if (!release) return { ok: false, message: signInBusyMessage(title) };
    let current: SignInFlow | undefined;
    let view: LinkView | undefined;
    let resent = false;
    try {
      // Re-read under the lease: replaced meanwhile (a larger scope), the new flow carries the
      // waiters over, so join that one; finished meanwhile, there is nothing left to wait for.
      current = await this.vault.getFlow(identity, server.name, this.now());
      if (current) {
        resent = current.sent === true;
        const host = hostOf(current.url);
        // The person gets Parley's start link, never the authorization URL (start.ts).
        const url = this.startUrl(current.startId);
        const message = resent
          ? `You still have a sign-in waiting for **${title}** — here is the same link again. It is only for you: don’t forward it.`
          : `Sign in to **${title}** to continue (at ${host}). The link is only for you (don’t forward it) and works in one browser, once; I’ll carry on by myself afterwards.`;
        const record = await this.pending.create(
          {
            conversation,
            kind: 'link',
            origin: `${server.name} · sign-in`,
            route,
            link: { url, host, message, purpose: 'signin' },
          },
          this.now(),
        );
        current.waiters.push({ conversation, interactionId: record.id });
        current.sent = true;
        await this.vault.updateFlow(identity, server.name, current, this.now());
        view = {
          id: record.id,
          url,
          host,
          message,
          origin: record.origin,
          purpose: 'signin',
          expiresAt: Math.min(record.expiresAt, current.expiresAt),
        };
      }
    } finally {
      await release();
    }
    if (!view) {
      const signedIn = await this.vault.getTokens(identity, server.name);
      return {
        ok: false,
        message: signedIn
          ? `You’ve just signed in to ${title}; please ask again.`
          : `The sign-in for ${title} ended before I could send it; please ask again.`,
      };
    }
    if (!resent) metrics.signIn('started');
    return { ok: true, resent, view };
  }

  /** `/login`, `/logout` and `/whoami`: the messages to post back to the person. */
  async command(
    conversation: Conversation,
    command: '/login' | '/logout' | '/whoami',
    arg: string | undefined,
    route: PendingRoute,
  ): Promise<OutboundMessage[]> {
    const text = (t: string): OutboundMessage[] => [{ kind: 'text', text: t }];
    const servers = this.servers;
    if (servers.length === 0) return text('None of my MCP servers uses sign-in.');
    const identity = identityKey(conversation);
    if (command === '/whoami') return text(await this.describeStatus(identity));

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
    if (command === '/logout') return text(await this.logout(identity, server.name));
    if (await this.vault.getTokens(identity, server.name))
      return text(
        `You’re already signed in to **${title}**. To sign in as someone else, use \`/logout ${server.name}\` first.`,
      );
    const started = await this.startSignIn(identity, server, false);
    if (started === 'authorized') return text(`✅ You’re signed in to **${title}**.`);
    if (started !== 'redirect') return text(`⚠️ ${started.message}`);
    const asked = await this.requestSignIn(conversation, server.name, route);
    return asked.ok ? [{ kind: 'link', view: asked.view }] : text(`⚠️ ${asked.message}`);
  }

  /** Forgets the person's tokens and any open sign-in for the server. True when there was one. */
  async signOut(identity: string, serverName: string): Promise<boolean> {
    const tokens = await this.vault.getTokens(identity, serverName);
    const flow = await this.vault.getFlow(identity, serverName, this.now());
    await this.vault.delete(identity, serverName, 'tokens');
    if (flow) await this.vault.dropFlow(identity, serverName, flow);
    return Boolean(tokens || flow);
  }

  /**
   * `/logout` for one server: forgets the person's tokens (and any open sign-in) and says so in
   * one sentence. The caller drops connections opened with the old account.
   */
  async logout(identity: string, serverName: string): Promise<string> {
    const server = this.servers.find((s) => s.name === serverName);
    if (!server) return `\`${serverName}\` isn’t a server I sign in to.`;
    const title = server.title ?? server.name;
    return (await this.signOut(identity, server.name))
      ? `Signed out of **${title}**: I’ve forgotten your tokens for it.`
      : `You weren’t signed in to **${title}**.`;
  }

  /**
   * The person's sign-in to each server that uses one: `signed_in` (tokens stored; `scope` as
   * granted), `waiting` (a link was sent and is still open) or `signed_out`. Never the tokens.
   */
  async status(identity: string): Promise<SignInStatus[]> {
    return Promise.all(
      this.servers.map(async (server): Promise<SignInStatus> => {
        const base = { server: server.name, title: server.title ?? server.name };
        const stored = await this.vault.getTokens(identity, server.name);
        if (stored)
          return { ...base, state: 'signed_in', ...(stored.tokens.scope && { scope: stored.tokens.scope }) };
        // A flow nobody was sent a link for (a listing met the server's 401) is not waiting on them.
        const flow = await this.vault.getFlow(identity, server.name, this.now());
        return { ...base, state: flow?.sent ? 'waiting' : 'signed_out' };
      }),
    );
  }

  /** Which servers the person is signed in to (never the tokens themselves). */
  async describeStatus(identity: string): Promise<string> {
    const lines = (await this.status(identity)).map((s) => {
      const title = `**${s.title}** (\`${s.server}\`)`;
      if (s.state === 'signed_in') return `• ${title}: signed in${s.scope ? ` — access: ${s.scope}` : ''}`;
      if (s.state === 'waiting') return `• ${title}: a sign-in link is waiting for you`;
      return `• ${title}: not signed in — \`/login ${s.server}\``;
    });
    return ['Your sign-ins:', ...lines].join('\n');
  }

  /**
   * Finishes a sign-in from the browser's callback query. Refusals (missing, unknown, reused,
   * replaced `state`) store nothing and touch no one's flow.
   */
  async completeCallback(params: URLSearchParams, cookieHeader?: string): Promise<CallbackResult> {
    const result = await this.finishCallback(params, cookieHeader);
    // Refused links (missing, unknown, reused state) are no sign-in: only real ends are counted.
    if (result.ok) metrics.signIn('completed');
    else if (result.reason === 'denied' || result.reason === 'failed') metrics.signIn('failed');
    return result;
  }

  private async finishCallback(params: URLSearchParams, cookieHeader?: string): Promise<CallbackResult> {
    const state = params.get('state') ?? '';
    if (!state || state.length > 512)
      return {
        ok: false,
        reason: 'missing',
        heading: 'This sign-in link is incomplete',
        message:
          'The address is missing its sign-in state, so I can’t tell which sign-in it belongs to. Start again from the chat.',
      };
    // Checked before `state` is consumed: a forwarded authorization URL finished in another
    // browser is refused without spending the owner's sign-in.
    const unbound = await this.unboundBrowser(state, cookieHeader);
    if (unbound) return unbound;
    const index = await this.vault.takeState(state);
    if (!index) {
      const used = await this.vault.stateUsed(state);
      if (used === 'superseded')
        return {
          ok: false,
          reason: 'superseded',
          heading: 'This sign-in link was replaced',
          message: 'A newer sign-in link was sent to you in the chat. Please use that one.',
        };
      if (used)
        return {
          ok: false,
          reason: 'used',
          heading: 'This sign-in link was already used',
          message:
            'Each sign-in link works once. If you are not signed in yet, ask again in the chat for a new link.',
        };
      return {
        ok: false,
        reason: 'unknown',
        heading: 'This sign-in link has expired',
        message:
          'It is no longer valid (sign-in links work once, for a limited time). Ask again in the chat for a fresh link.',
      };
    }
    await this.vault.markStateUsed(state, 'used');
    const server = this.servers.find((s) => s.name === index.server);
    // Without the lease (someone held it past the wait) the callback still goes on: `state` was
    // taken atomically above, so this is the only callback for it, and requests that find the
    // lease busy refuse rather than write the flow back.
    const release = await this.vault.lease(index.identity, index.server, 'flow', {
      ttlMs: 5_000,
      waitMs: 3_000,
    });
    let flow: Awaited<ReturnType<SignInVault['getFlow']>>;
    try {
      flow = await this.vault.getFlow(index.identity, index.server, this.now());
      if (flow && digest(flow.state) === digest(state))
        await this.vault.dropFlow(index.identity, index.server, flow);
      else flow = undefined;
    } finally {
      await release?.();
    }
    if (!server || !flow)
      return {
        ok: false,
        reason: 'unknown',
        heading: 'This sign-in link has expired',
        message: 'It is no longer valid. Ask again in the chat for a fresh link.',
      };
    const title = server.title ?? server.name;
    // Only the person the flow belongs to is told or resumed.
    const waiters = flow.waiters.filter((w) => identityKey(w.conversation) === index.identity);
    const who = parseIdentity(index.identity);
    const actor: Actor = who ?? { platform: '', workspace: '', user: '' };
    const outcome = (ok: boolean, message?: string): SignInOutcome => ({
      ok,
      actor,
      server: server.name,
      title,
      ...(message && { message }),
      waiters,
      notify: distinctConversations(waiters),
    });

    const error = params.get('error');
    if (error) {
      // The rest of an error response is not shown: it may come from anyone who can craft a URL.
      const denied = error === 'access_denied';
      const message = denied
        ? `Sign-in to ${title} was cancelled, so I didn’t go on with that request.`
        : `Signing in to ${title} didn’t work (the sign-in server answered “${/^[a-z_]{1,40}$/.test(error) ? error : 'error'}”). Ask again for a new link.`;
      this.options.logger.info(
        { server: server.name, error: error.slice(0, 40) },
        'sign-in refused at the authorization server',
      );
      return {
        ok: false,
        reason: 'denied',
        heading: denied ? 'Sign-in cancelled' : 'Sign-in failed',
        message: denied
          ? `You didn’t allow access to ${title}, so nothing was saved.`
          : `${title}’s sign-in server reported a problem, so nothing was saved. Ask again in the chat.`,
        outcome: outcome(false, message),
      };
    }
    const code = params.get('code');
    try {
      if (!code) throw new Error('the callback carries no authorization code');
      const provider = new StoreOAuthProvider(this.context(index.identity, server), {
        verifier: flow.verifier,
      });
      const iss = params.get('iss');
      const result = await auth(provider, {
        serverUrl: server.url,
        // The provider checks the issuer itself, tolerating a trailing slash (issuer.ts).
        skipIssuerMetadataValidation: true,
        authorizationCode: code,
        ...(iss !== null && { iss }),
        ...(flow.scope && { scope: flow.scope }),
        ...(this.options.fetch && { fetchFn: this.options.fetch }),
      });
      if (result !== 'AUTHORIZED') throw new Error(`the token exchange ended with ${result}`);
    } catch (err) {
      this.options.logger.warn(
        { server: server.name, err: describeError(err) },
        'sign-in token exchange failed',
      );
      return {
        ok: false,
        reason: 'failed',
        heading: 'Sign-in failed',
        message: `${title} didn’t accept this sign-in, so nothing was saved. Ask again in the chat for a new link.`,
        outcome: outcome(
          false,
          `Signing in to ${title} didn’t work because its sign-in server refused it; ask again for a new link.`,
        ),
      };
    }
    this.options.logger.info({ server: server.name }, 'signed in');
    return {
      ok: true,
      outcome: outcome(true),
      heading: 'You’re signed in',
      message: `You’re signed in to ${title}. Parley is carrying on with your request in the chat.`,
    };
  }

  /**
   * A refusal when `state` names a live flow this browser did not claim through the start link
   * (no binding cookie, or another browser's). Unknown or used `state` falls through to the
   * usual answers.
   */
  private async unboundBrowser(
    state: string,
    cookieHeader: string | undefined,
  ): Promise<CallbackResult | undefined> {
    const index = await this.vault.findState(state);
    if (!index) return undefined;
    const flow = await this.vault.getFlow(index.identity, index.server, this.now());
    if (!flow || digest(flow.state) !== digest(state) || browserBound(flow, cookieHeader)) return undefined;
    this.options.logger.warn(
      { server: index.server },
      'sign-in callback from a browser the flow is not bound to',
    );
    return {
      ok: false,
      reason: 'unbound',
      heading: 'This sign-in was started in another browser',
      message:
        'Sign-in links work only in the browser that opened them from the chat, so nothing was saved. If you asked for this sign-in, open the link from the chat in this browser; sign-in links must not be forwarded.',
    };
  }

  /**
   * The person's ID token from the company IdP of an `enterprise` server: the stored one while it
   * has a minute left (refreshed with the refresh token when the IdP gave one), else a new IdP
   * sign-in is recorded and the call stops with {@link SignInRequiredError}, like any sign-in.
   */
  private async idpIdToken(identity: string, server: EnterpriseServer): Promise<string> {
    const idp = idpSignIn(server);
    const title = server.title ?? server.name;
    const current = (await new StoreOAuthProvider(this.context(identity, idp)).tokens())?.id_token;
    if (current && !expiresSoon(current, this.now())) return current;
    const started = await this.startSignIn(identity, idp, false);
    if (started === 'authorized') {
      const fresh = (await this.vault.getTokens(identity, server.name))?.tokens.id_token;
      if (fresh && !expiresSoon(fresh, this.now())) return fresh;
      throw new ParleyError(
        'auth_failed',
        `Your company sign-in for ${title} gave me no identity token; ask your Parley admin to check that its IdP client may use OpenID Connect.`,
      );
    }
    if (started === 'redirect') throw new SignInRequiredError(server.name, title);
    throw new ParleyError('auth_failed', started.message);
  }

  /** Runs the SDK's flow without a server challenge: 'redirect' when a sign-in link is ready. */
  private async startSignIn(
    identity: string,
    server: OAuthServerConfig,
    force: boolean,
  ): Promise<'redirect' | 'authorized' | { message: string }> {
    const provider = new StoreOAuthProvider(this.context(identity, server));
    try {
      const result = await auth(provider, {
        serverUrl: server.url,
        // The provider checks the issuer itself, tolerating a trailing slash (issuer.ts).
        skipIssuerMetadataValidation: true,
        ...(force && { forceReauthorization: true }),
        ...(this.options.fetch && { fetchFn: this.options.fetch }),
      });
      return result === 'AUTHORIZED' ? 'authorized' : 'redirect';
    } catch (err) {
      if (err instanceof SignInRequiredError) return 'redirect';
      if (err instanceof SignInBusyError) return { message: err.userMessage };
      const noRegistration = noClientRegistrationError(err, server, this.redirectUrl);
      if (noRegistration) return { message: noRegistration.userMessage };
      const failure = signInFailure(server, err);
      this.options.logger.warn(
        { server: server.name, err: describeError(err), code: failure?.code },
        'could not start a sign-in',
      );
      return {
        message:
          failure?.userMessage ??
          (isParleyError(err)
            ? err.userMessage
            : `I couldn’t start signing in to ${server.title ?? server.name} because its sign-in server didn’t answer as expected; please try again in a few minutes.`),
      };
    } finally {
      // A refresh attempt that threw inside auth() would otherwise hold the lease until its TTL.
      await provider.endRefreshLease();
    }
  }

  private context(identity: string, server: OAuthServerConfig): ProviderContext {
    const enterprise = this.options.servers.find((s) => s.name === server.name);
    return {
      // A company IdP is its own authorization server (its issuer may have a path).
      ...(enterprise && isEnterpriseServer(enterprise) && { authorizationServer: server.url }),
      vault: this.vault,
      identity,
      server,
      redirectUrl: this.redirectUrl,
      clientMetadataUrl: this.clientMetadataUrl,
      flowTtlMs: this.flowTtlMs,
      now: this.now,
      logger: this.options.logger,
      fetch: this.options.fetch,
    };
  }
}

function distinctConversations(waiters: SignInWaiter[]): Conversation[] {
  const seen = new Map<string, Conversation>();
  for (const w of waiters) seen.set(sessionKey(w.conversation), w.conversation);
  return [...seen.values()];
}
