/**
 * OAuth providers for servers that need no per-person sign-in page:
 * - `client_credentials`: one service identity shared by everyone (OAuth 2.1 §4.2, the MCP
 *   "client credentials" extension, SEP-1046), authenticated with `client_secret_basic`,
 *   `client_secret_post` or `private_key_jwt` (RFC 7523 §2.2, signed by the SDK's helper);
 * - `enterprise`: enterprise-managed authorization (the MCP "cross-app access" extension,
 *   SEP-990) through the SDK's {@link CrossAppAccessProvider}: the person's ID token from the
 *   company IdP is exchanged there for an ID-JAG (RFC 8693), then for an access token at the MCP
 *   server's authorization server (RFC 7523 jwt-bearer grant).
 *
 * Tokens stay in memory: a new one costs a token request, never a person's time. Both check the
 * discovered issuer themselves (see issuer.ts), since Parley's transports skip the SDK's check.
 */
import {
  type AddClientAuthentication,
  type CrossAppAccessContext,
  CrossAppAccessProvider,
  createPrivateKeyJwtAuth,
  discoverAndRequestJwtAuthGrant,
  type FetchLike,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  requestJwtAuthorizationGrant,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import type { HttpServerConfig, ServerConfig } from '../config.js';
import { describeError, isParleyError, ParleyError } from '../errors.js';
import { checkDiscoveredIssuer } from './issuer.js';
import type { OAuthServerConfig } from './provider.js';

export type ClientCredentialsServer = HttpServerConfig & { auth: { type: 'client_credentials' } };
export type EnterpriseServer = HttpServerConfig & { auth: { type: 'enterprise' } };

function titleOf(server: HttpServerConfig): string {
  return server.title ?? server.name;
}

/**
 * `client_credentials` for one server, shared by every person. Shapes: the token request is
 * `grant_type=client_credentials[&scope=…]` with the configured client authentication.
 */
export class ClientCredentialsOAuthProvider implements OAuthClientProvider {
  readonly addClientAuthentication?: AddClientAuthentication;
  private stored: StoredOAuthTokens | undefined;
  private discovery: OAuthDiscoveryState | undefined;
  private readonly method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

  constructor(private readonly server: ClientCredentialsServer) {
    const { auth } = server;
    this.method = auth.method ?? (auth.privateKey ? 'private_key_jwt' : 'client_secret_basic');
    if (this.method === 'private_key_jwt') {
      if (!auth.privateKey)
        throw new ParleyError('config_invalid', `${server.name}: private_key_jwt needs auth.privateKey.`);
      this.addClientAuthentication = createPrivateKeyJwtAuth({
        issuer: auth.clientId,
        subject: auth.clientId,
        privateKey: auth.privateKey,
        alg: auth.algorithm,
      });
    }
  }

  get redirectUrl(): undefined {
    return undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Parley',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: this.method,
      ...(this.server.auth.scope && { scope: this.server.auth.scope }),
    };
  }

  clientInformation(): StoredOAuthClientInformation {
    const { auth } = this.server;
    return {
      client_id: auth.clientId,
      // With private_key_jwt the SDK signs an assertion instead (addClientAuthentication).
      ...(this.method !== 'private_key_jwt' && {
        client_secret: auth.clientSecret,
        // The SDK uses this method when the server supports it (or lists none).
        token_endpoint_auth_method: this.method,
      }),
      ...(auth.issuer && { issuer: auth.issuer }),
    };
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.stored;
  }

  saveTokens(tokens: StoredOAuthTokens): void {
    this.stored = tokens;
  }

  prepareTokenRequest(scope?: string): URLSearchParams {
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    const wanted = scope ?? this.server.auth.scope;
    if (wanted) params.set('scope', wanted);
    return params;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    checkDiscoveredIssuer(this.server.url, titleOf(this.server), state);
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'tokens') this.stored = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }

  redirectToAuthorization(): void {
    throw noPageFlow(this.server);
  }

  saveCodeVerifier(): void {}

  codeVerifier(): string {
    throw noPageFlow(this.server);
  }
}

/**
 * Where the person's company identity comes from: their ID token from the IdP named in the
 * server's `auth.idp`, or undefined when Parley has none for them.
 */
export type IdentityAssertionSource = (
  identity: string,
  idp: { issuer: string; clientId: string },
) => Promise<string | undefined>;

/**
 * Enterprise-managed authorization for (person, server): the SDK's cross-app access provider
 * with the ID-JAG fetched from the company IdP for this person, and Parley's issuer check.
 */
export class EnterpriseOAuthProvider extends CrossAppAccessProvider {
  private discovery: OAuthDiscoveryState | undefined;

  constructor(
    private readonly server: EnterpriseServer,
    identity: string,
    idToken: IdentityAssertionSource,
    fetchFn?: FetchLike,
  ) {
    const { auth } = server;
    const title = titleOf(server);
    super({
      clientId: auth.clientId,
      clientSecret: auth.clientSecret,
      clientName: 'Parley',
      ...(auth.issuer && { expectedIssuer: auth.issuer }),
      ...(fetchFn && { fetchFn }),
      assertion: async (ctx: CrossAppAccessContext) => {
        const token = await idToken(identity, { issuer: auth.idp.issuer, clientId: auth.idp.clientId });
        if (!token)
          throw new ParleyError(
            'auth_failed',
            `${title} uses your company sign-in, and I have no company identity for you yet; ask your Parley admin how to connect your account.`,
            { detail: `no IdP identity assertion for ${server.name}` },
          );
        try {
          const request = {
            audience: ctx.authorizationServerUrl,
            resource: ctx.resourceUrl,
            idToken: token,
            clientId: auth.idp.clientId,
            ...(auth.idp.clientSecret && { clientSecret: auth.idp.clientSecret }),
            ...((ctx.scope ?? auth.scope) && { scope: ctx.scope ?? auth.scope }),
            fetchFn: ctx.fetchFn,
          };
          // Without a configured token endpoint, the IdP's metadata names it (RFC 8414 / OIDC).
          const grant = auth.idp.tokenEndpoint
            ? await requestJwtAuthorizationGrant({ ...request, tokenEndpoint: auth.idp.tokenEndpoint })
            : await discoverAndRequestJwtAuthGrant({ ...request, idpUrl: auth.idp.issuer });
          return grant.jwtAuthGrant;
        } catch (err) {
          if (isParleyError(err)) throw err;
          throw new ParleyError(
            'auth_failed',
            `Your company sign-in didn’t grant access to ${title}; ask your IT team whether Parley may use ${title} for you.`,
            { cause: err, detail: `ID-JAG token exchange for ${server.name} failed: ${describeError(err)}` },
          );
        }
      },
    });
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    checkDiscoveredIssuer(this.server.url, titleOf(this.server), state);
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }
}

function noPageFlow(server: HttpServerConfig): ParleyError {
  return new ParleyError(
    'auth_failed',
    `${titleOf(server)} asked for a personal sign-in, but it is configured with a shared service identity; ask your Parley admin to check its auth settings.`,
    { detail: `${server.name}: the authorization server wanted an interactive flow` },
  );
}

/** The OpenID Connect sign-in at an `enterprise` server's company IdP, as an `oauth` server entry. */
export function idpSignIn(server: EnterpriseServer): OAuthServerConfig {
  const { idp } = server.auth;
  return {
    ...server,
    url: idp.issuer,
    auth: {
      type: 'oauth',
      clientId: idp.clientId,
      ...(idp.clientSecret && { clientSecret: idp.clientSecret }),
      scope: 'openid',
    },
  };
}

export function isEnterpriseServer(server: ServerConfig): server is EnterpriseServer {
  return server.auth.type === 'enterprise' && 'url' in server;
}

/** Whether a JWT's `exp` is less than a minute away (or unreadable). */
export function expiresSoon(jwt: string, now: number): boolean {
  try {
    const { exp } = decodeJwt(jwt);
    return typeof exp === 'number' && exp * 1000 < now + 60_000;
  } catch {
    return true;
  }
}
