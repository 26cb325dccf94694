/**
 * Sign-in (OAuth for MCP servers, per chat user): the service the agent, the pool and the HTTP
 * routes share, and the one place that knows the deployment's sign-in settings. It hands the pool
 * one {@link StoreOAuthProvider} per (person, server) (for `enterprise` servers, with the person's
 * ID token from the company IdP), and serves Parley's client ID metadata document. The jobs built
 * on it have their own files, each given the service's {@link SignInParts}: starting a sign-in and
 * the link a person is sent (link.ts), `/login`, `/logout` and `/whoami` (commands.ts), and the
 * browser's return to `/oauth/callback` (callback.ts).
 */
import type { FetchLike, OAuthClientProvider } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config.js';
import type { Conversation } from '../conversation.js';
import { ParleyError } from '../errors.js';
import { type PendingRoute, PendingStore } from '../interactions/pending.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import type { OutboundMessage } from '../surface.js';
import { CALLBACK_PATH, type CallbackResult, completeCallback } from './callback.js';
import {
  describeStatus,
  logout,
  type SignInStatus,
  signInCommand,
  signInStatus,
  signOut,
} from './commands.js';
import { SecretBox } from './crypto.js';
import { requestSignIn, type SignInRequest, startSignIn } from './link.js';
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
import { SignInRequiredError } from './sign-in-errors.js';
import { type PlatformVerifier, START_PATH } from './start.js';
import { SignInVault } from './vault.js';

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

/**
 * What the sign-in jobs (link.ts, commands.ts, callback.ts) share with the {@link SignInService}
 * that owns them: its store, vault and settings, and the steps only it can take. Built once by the
 * service; nothing outside src/auth gets it.
 */
export interface SignInParts {
  store: Store;
  vault: SignInVault;
  /** The pending sign-in links (sealed: each is a usable start link). */
  pending: PendingStore;
  logger: Logger;
  now: () => number;
  /** How long a sign-in link works (ms). */
  flowTtlMs: number;
  /** Sign-ins one tool call may ask for before Parley gives up. */
  maxSignInsPerCall: number;
  fetch: FetchLike | undefined;
  /** {@link SignInService.servers}: the servers a person signs in for. */
  servers(): OAuthServerConfig[];
  /** {@link SignInService.startUrl}. */
  startUrl(startId: string): string;
  /** The provider context for (person, server). */
  context(identity: string, server: OAuthServerConfig): ProviderContext;
  /** {@link SignInService.redirectUrl}, read when needed (the public URL may come late). */
  redirectUrl(): string;
}

export class SignInService {
  readonly vault: SignInVault;
  /** What seals sign-in data and the pending sign-in links (the agent reads them with it too). */
  readonly sealer: SecretBox;
  private readonly options: SignInServiceOptions;
  private readonly pending: PendingStore;
  private readonly now: () => number;
  private readonly flowTtlMs: number;
  private readonly serviceProviders = new Map<string, ClientCredentialsOAuthProvider>();
  /** What link.ts, commands.ts and callback.ts work with. */
  private readonly parts: SignInParts;

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
    this.parts = {
      store: options.store,
      vault: this.vault,
      pending: this.pending,
      logger: options.logger,
      now: this.now,
      flowTtlMs: this.flowTtlMs,
      maxSignInsPerCall: options.maxSignInsPerCall ?? 3,
      fetch: options.fetch,
      servers: () => this.servers,
      startUrl: (startId) => this.startUrl(startId),
      context: (identity, server) => this.context(identity, server),
      redirectUrl: () => this.redirectUrl,
    };
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
   * who waits for it. `callKey` (turn + tool call) bounds how often one call may ask (link.ts).
   */
  requestSignIn(
    conversation: Conversation,
    serverName: string,
    route: PendingRoute,
    callKey?: string,
  ): Promise<SignInRequest> {
    return requestSignIn(this.parts, conversation, serverName, route, callKey);
  }

  /** `/login`, `/logout` and `/whoami`: the messages to post back to the person (commands.ts). */
  command(
    conversation: Conversation,
    command: '/login' | '/logout' | '/whoami',
    arg: string | undefined,
    route: PendingRoute,
  ): Promise<OutboundMessage[]> {
    return signInCommand(this.parts, conversation, command, arg, route);
  }

  /** Forgets the person's tokens and any open sign-in for the server. True when there was one. */
  signOut(identity: string, serverName: string): Promise<boolean> {
    return signOut(this.parts, identity, serverName);
  }

  /**
   * `/logout` for one server: forgets the person's tokens (and any open sign-in) and says so in
   * one sentence. The caller drops connections opened with the old account.
   */
  logout(identity: string, serverName: string): Promise<string> {
    return logout(this.parts, identity, serverName);
  }

  /**
   * The person's sign-in to each server that uses one: `signed_in` (tokens stored; `scope` as
   * granted), `waiting` (a link was sent and is still open) or `signed_out`. Never the tokens.
   */
  status(identity: string): Promise<SignInStatus[]> {
    return signInStatus(this.parts, identity);
  }

  /** Which servers the person is signed in to (never the tokens themselves). */
  describeStatus(identity: string): Promise<string> {
    return describeStatus(this.parts, identity);
  }

  /**
   * Finishes a sign-in from the browser's callback query (callback.ts). Refusals (missing,
   * unknown, reused, replaced `state`) store nothing and touch no one's flow.
   */
  completeCallback(params: URLSearchParams, cookieHeader?: string): Promise<CallbackResult> {
    return completeCallback(this.parts, params, cookieHeader);
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
    const started = await startSignIn(this.parts, identity, idp, false);
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
