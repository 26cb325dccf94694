/**
 * The SDK's `OAuthClientProvider` for one (person, server), backed by the encrypted store. The SDK
 * drives discovery, registration, PKCE, step-up and refresh; this class decides where things are
 * kept and what "send the person to the authorization page" means in a chat: it records the sign-in
 * (re-using one that is still open) and stops the call with {@link SignInRequiredError}, so the
 * agent can pause the turn and post the link.
 *
 * Refresh happens ahead of expiry under a short store lease, so two processes never spend the same
 * rotating refresh token; a refused refresh drops the tokens and the next call asks for a sign-in.
 */
import {
  discoverAuthorizationServerMetadata,
  type FetchLike,
  type OAuthClientInformationContext,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  OAuthError,
  OAuthErrorCode,
  refreshAuthorization,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import type { HttpServerConfig } from '../config.js';
import { describeError, ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { randomToken } from './crypto.js';
import { checkDiscoveredIssuer, IssuerRefusedError, issuersMatch } from './issuer.js';
import { SignInBusyError, SignInRequiredError } from './sign-in-errors.js';
import type { SignInFlow, SignInVault, StoredTokens } from './vault.js';

export type OAuthServerConfig = HttpServerConfig & { auth: { type: 'oauth' } };

/** Whether the server needs an OAuth provider of any kind (per person or a service identity). */
export function usesSignIn(server: { auth: { type: string } } & object): boolean {
  return ['oauth', 'client_credentials', 'enterprise'].includes(server.auth.type) && 'url' in server;
}

export function isOAuthServer(server: { auth: { type: string } } & object): server is OAuthServerConfig {
  return server.auth.type === 'oauth' && 'url' in server;
}

export interface ProviderContext {
  vault: SignInVault;
  identity: string;
  server: OAuthServerConfig;
  redirectUrl: string;
  /** Parley's client ID metadata document; set only when https (SignInService filters it). */
  clientMetadataUrl?: string | undefined;
  flowTtlMs: number;
  now: () => number;
  logger: Logger;
  fetch?: FetchLike | undefined;
  /**
   * Set when the server is itself an authorization server (a company IdP for `enterprise`
   * servers): its metadata is read at this URL (RFC 8414 / OIDC discovery, path kept) instead of
   * through protected-resource metadata.
   */
  authorizationServer?: string | undefined;
}

/** Refresh this long before expiry (at most half the token's lifetime). */
const REFRESH_MARGIN_MS = 30_000;
/** A sign-in link with less time left than this is replaced rather than re-sent. */
const MIN_FLOW_LEFT_MS = 60_000;

export class StoreOAuthProvider implements OAuthClientProvider {
  readonly clientMetadataUrl?: string;
  private readonly ctx: ProviderContext;
  /** Set only for the callback: the verifier of the flow it consumed. */
  private readonly exchangeVerifier: string | undefined;
  private candidate: { state?: string; verifier?: string } = {};
  private releaseRefresh: (() => Promise<void>) | undefined;

  constructor(ctx: ProviderContext, exchange?: { verifier: string }) {
    this.ctx = ctx;
    this.exchangeVerifier = exchange?.verifier;
    const preregistered = Boolean(ctx.server.auth.clientId);
    if (!preregistered && ctx.clientMetadataUrl) this.clientMetadataUrl = ctx.clientMetadataUrl;
  }

  get redirectUrl(): string {
    return this.ctx.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    const { auth } = this.ctx.server;
    return {
      client_name: 'Parley',
      redirect_uris: [this.ctx.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...(auth.clientId && {
        token_endpoint_auth_method: auth.clientSecret ? 'client_secret_basic' : 'none',
      }),
      ...(auth.scope && { scope: auth.scope }),
    };
  }

  // ── client identity: pre-registered, else what registration (or CIMD) produced ──

  async clientInformation(
    ctx?: OAuthClientInformationContext,
  ): Promise<StoredOAuthClientInformation | undefined> {
    const { auth } = this.ctx.server;
    const stored = await this.ctx.vault.getClient(this.ctx.identity, this.ctx.server.name);
    if (auth.clientId) {
      // The configured credentials, stamped with the authorization server they were first used
      // with (trust on first use), so the SDK never sends them to another one.
      let issuer = stored?.client_id === auth.clientId ? stored.issuer : undefined;
      if (!issuer && ctx?.issuer) {
        issuer = ctx.issuer;
        await this.saveClientInformation({ client_id: auth.clientId, issuer });
      }
      return {
        client_id: auth.clientId,
        ...(auth.clientSecret && { client_secret: auth.clientSecret }),
        redirect_uris: [this.ctx.redirectUrl],
        ...(issuer && { issuer }),
      };
    }
    return stored;
  }

  async saveClientInformation(info: StoredOAuthClientInformation): Promise<void> {
    const { auth } = this.ctx.server;
    if (auth.clientId) {
      // Pre-registered credentials live in the config: keep only the issuer stamp, no secret.
      if (info.client_id === auth.clientId && info.issuer)
        await this.ctx.vault.putClient(this.ctx.identity, this.ctx.server.name, {
          client_id: info.client_id,
          issuer: info.issuer,
        });
      return;
    }
    await this.ctx.vault.putClient(this.ctx.identity, this.ctx.server.name, info);
  }

  // ── tokens ──

  async tokens(ctx?: OAuthClientInformationContext): Promise<StoredOAuthTokens | undefined> {
    const { vault, identity, server } = this.ctx;
    const stored = await vault.getTokens(identity, server.name);
    if (!stored) return undefined;
    if (ctx) {
      // Called from inside the SDK's `auth()`, right before it refreshes (or starts a sign-in):
      // hold the refresh lease until it saves new tokens, so no other process spends this
      // refresh token at the same time, and hand it the newest tokens.
      if (stored.tokens.refresh_token && !this.releaseRefresh) {
        this.releaseRefresh = await vault.lease(identity, server.name, 'refresh');
        return (await vault.getTokens(identity, server.name))?.tokens;
      }
      return stored.tokens;
    }
    if (stored.tokens.refresh_token && this.expiring(stored)) return this.refreshAhead(stored);
    return stored.tokens;
  }

  async saveTokens(tokens: StoredOAuthTokens): Promise<void> {
    await this.ctx.vault.putTokens(this.ctx.identity, this.ctx.server.name, {
      tokens,
      savedAt: this.ctx.now(),
    });
    await this.endRefreshLease();
  }

  // ── the sign-in itself ──

  state(): string {
    this.candidate.state = randomToken(32);
    return this.candidate.state;
  }

  saveCodeVerifier(verifier: string): void {
    this.candidate.verifier = verifier;
  }

  async codeVerifier(): Promise<string> {
    if (this.exchangeVerifier) return this.exchangeVerifier;
    const flow = await this.ctx.vault.getFlow(this.ctx.identity, this.ctx.server.name, this.ctx.now());
    if (!flow)
      throw new ParleyError(
        'auth_required',
        `Your sign-in to ${this.ctx.server.title ?? this.ctx.server.name} has expired; ask again for a new link.`,
      );
    return flow.verifier;
  }

  /**
   * "Redirecting" in a chat: record the sign-in (or keep the one already open, so the person gets
   * the same link again instead of a second one) and stop the call; the agent posts the link.
   */
  async redirectToAuthorization(url: URL): Promise<void> {
    await this.endRefreshLease();
    const { state, verifier } = this.candidate;
    this.candidate = {};
    if (!state || !verifier || url.searchParams.get('state') !== state)
      throw new ParleyError(
        'internal',
        `Signing in to ${this.ctx.server.title ?? this.ctx.server.name} could not start; please try again.`,
        {
          detail: 'authorization started without the state or PKCE verifier Parley issued',
        },
      );
    await this.offerFlow({
      state,
      verifier,
      url: url.href,
      ...(url.searchParams.get('scope') && { scope: url.searchParams.get('scope') as string }),
      ...(url.searchParams.get('client_id') && { clientId: url.searchParams.get('client_id') as string }),
    });
    throw new SignInRequiredError(this.ctx.server.name, this.ctx.server.title ?? this.ctx.server.name);
  }

  /** Checks the discovered issuer first (see issuer.ts): nothing is sent to a server that fails it. */
  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    checkDiscoveredIssuer(this.ctx.server.url, this.ctx.server.title ?? this.ctx.server.name, state);
    await this.ctx.vault.putDiscovery(this.ctx.identity, this.ctx.server.name, state);
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    const saved = await this.ctx.vault.getDiscovery(this.ctx.identity, this.ctx.server.name);
    const url = this.ctx.authorizationServer;
    if (saved || !url) return saved;
    const metadata = await discoverAuthorizationServerMetadata(url, {
      skipIssuerValidation: true,
      ...(this.ctx.fetch && { fetchFn: this.ctx.fetch }),
    });
    if (metadata && !issuersMatch(metadata.issuer, url))
      throw new IssuerRefusedError(
        this.ctx.server.title ?? this.ctx.server.name,
        `issuer ${metadata.issuer} is not the identity provider ${url}`,
      );
    const state: OAuthDiscoveryState = {
      authorizationServerUrl: url,
      ...(metadata && { authorizationServerMetadata: metadata }),
    };
    await this.ctx.vault.putDiscovery(this.ctx.identity, this.ctx.server.name, state);
    return state;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    // A refused callback must cost the person nothing they already had.
    if (this.exchangeVerifier) return;
    const { vault, identity, server } = this.ctx;
    if (scope === 'all' || scope === 'client') await vault.delete(identity, server.name, 'client');
    if (scope === 'all' || scope === 'tokens') {
      await vault.delete(identity, server.name, 'tokens');
      await this.endRefreshLease();
    }
    if (scope === 'all' || scope === 'discovery') await vault.delete(identity, server.name, 'discovery');
  }

  // ── internals ──

  private expiring(stored: StoredTokens): boolean {
    const seconds = stored.tokens.expires_in;
    if (seconds === undefined) return false;
    const lifetime = seconds * 1000;
    return this.ctx.now() >= stored.savedAt + lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 2);
  }

  /** Refreshes before the server has to refuse the token; at most one process at a time. */
  private async refreshAhead(seen: StoredTokens): Promise<StoredOAuthTokens | undefined> {
    const { vault, identity, server, logger } = this.ctx;
    const release = await vault.lease(identity, server.name, 'refresh');
    try {
      const current = await vault.getTokens(identity, server.name);
      if (!current) return undefined;
      // Another process refreshed while this one waited for the lease.
      if (current.tokens.access_token !== seen.tokens.access_token || !this.expiring(current))
        return current.tokens;
      const refreshToken = current.tokens.refresh_token;
      const discovery = await this.discoveryState();
      const client = await this.clientInformation();
      // Without the lease, or without what a refresh needs, the server decides (a 401 takes the
      // SDK's own path).
      if (!release || !refreshToken || !discovery?.authorizationServerUrl || !client) return current.tokens;
      try {
        const fresh = await refreshAuthorization(discovery.authorizationServerUrl, {
          ...(discovery.authorizationServerMetadata && { metadata: discovery.authorizationServerMetadata }),
          clientInformation: client,
          refreshToken,
          ...(discovery.resourceMetadata?.resource && { resource: discovery.resourceMetadata.resource }),
          ...(this.ctx.fetch && { fetchFn: this.ctx.fetch }),
        });
        const tokens: StoredOAuthTokens = {
          ...fresh,
          ...(current.tokens.issuer && { issuer: current.tokens.issuer }),
        };
        await vault.putTokens(identity, server.name, { tokens, savedAt: this.ctx.now() });
        logger.info({ server: server.name }, 'access token refreshed');
        return tokens;
      } catch (err) {
        if (err instanceof OAuthError && err.code !== OAuthErrorCode.ServerError) {
          // Expired, revoked or already used: only a new sign-in helps.
          await vault.delete(identity, server.name, 'tokens');
          logger.info({ server: server.name, code: err.code }, 'refresh refused; a new sign-in is needed');
          return undefined;
        }
        logger.warn({ server: server.name, err: describeError(err) }, 'token refresh failed');
        return current.tokens;
      }
    } finally {
      await release?.();
    }
  }

  /**
   * Lets go of the refresh lease {@link tokens} took for the SDK's `auth()`. Saving tokens,
   * redirecting or dropping them release it already; Parley's own `auth()` calls also call this
   * in a `finally`, so a refresh that threw does not keep it. When the SDK runs `auth()` itself
   * (after a 401 on the transport) there is no such hook, and the lease's TTL ends it.
   */
  async endRefreshLease(): Promise<void> {
    const release = this.releaseRefresh;
    this.releaseRefresh = undefined;
    await release?.();
  }

  /**
   * Keeps the open sign-in when it still has time and asks for at least this scope (a repeated
   * request re-sends its link); otherwise replaces it, carrying over whoever waits for it.
   */
  private async offerFlow(candidate: Pick<SignInFlow, 'state' | 'verifier' | 'url' | 'scope' | 'clientId'>) {
    const { vault, identity, server, now, flowTtlMs } = this.ctx;
    const release = await vault.lease(identity, server.name, 'flow', { ttlMs: 5_000, waitMs: 3_000 });
    // Without the lease another request is changing this flow: writing now could undo its work.
    if (!release) throw new SignInBusyError(server.title ?? server.name);
    try {
      const at = now();
      const open = await vault.getFlow(identity, server.name, at);
      if (
        open &&
        open.expiresAt - at > MIN_FLOW_LEFT_MS &&
        open.clientId === candidate.clientId &&
        scopeCovers(open.scope, candidate.scope)
      )
        return;
      if (open) {
        // Its link stops working; the callback says "replaced" rather than "unknown".
        await vault.markStateUsed(open.state, 'superseded');
        await vault.dropFlow(identity, server.name, open);
      }
      await vault.putFlow(
        identity,
        server.name,
        {
          ...candidate,
          startId: randomToken(24),
          createdAt: at,
          expiresAt: at + flowTtlMs,
          waiters: open?.waiters ?? [],
        },
        at,
      );
    } finally {
      await release();
    }
  }
}

/** Whether a grant for `held` includes everything in `wanted` (space-separated scope lists). */
export function scopeCovers(held: string | undefined, wanted: string | undefined): boolean {
  const want = (wanted ?? '').split(' ').filter(Boolean);
  if (want.length === 0) return true;
  const have = new Set((held ?? '').split(' ').filter(Boolean));
  return want.every((s) => have.has(s));
}
