/**
 * The oidc-provider instance behind the demo auth server, configured as a small OAuth 2.1
 * authorization server for MCP: authorization code + PKCE S256 only, open dynamic client
 * registration, resource indicators (RFC 8707) that turn into the JWT access token's `aud`, and
 * rotating refresh tokens.
 *
 * Routes of the provider (relative to the issuer): `/auth`, `/token`, `/reg`, `/jwks`, `/me`,
 * `/token/revocation`, `/request` (PAR) and both discovery documents under `/.well-known/`.
 * Sign-in pages live in `interactions.ts`; this module only decides policy.
 */
import { randomBytes } from 'node:crypto';
import { type Configuration, errors, type JWK, Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import type { OidcMemoryStore } from './memory-adapter.js';
import { errorPage, PAGE_CSP } from './pages.js';
import { DEMO_SCOPES, findDemoUser } from './users.js';

type DefaultResourceHelper = NonNullable<
  NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>['defaultResource']
>;

/** Scopes oidc-provider handles itself (OpenID Connect); every other scope belongs to a resource. */
export const OIDC_SCOPES: readonly string[] = ['openid', 'offline_access'];

const OPENID_DISCOVERY_PATH = '/.well-known/openid-configuration';
const RFC8414_DISCOVERY_PATH = '/.well-known/oauth-authorization-server';

/** Removes `scope` from a client registration request body (see `features.registration`). */
function dropRequestedScope(body: Record<string, unknown> | undefined): void {
  if (body && Object.hasOwn(body, 'scope')) delete body.scope;
}

/** Path of the interactive sign-in page for one interaction. */
export function interactionPath(uid: string): string {
  return `/interaction/${encodeURIComponent(uid)}`;
}

/** What {@link createDemoProvider} needs. */
export interface DemoProviderOptions {
  issuer: string;
  /** The accepted resource indicators right now (read on every request, so they can change). */
  resources: () => readonly string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Private signing key(s) as JWKs; the public halves are served at `/jwks`. */
  signingKeys: JWK[];
  /** Keys for signing cookies. */
  cookieKeys: string[];
  store: OidcMemoryStore;
  logger: Logger;
}

/** Whether `indicator` names one of the accepted MCP resources (compared as normalised URLs). */
export function isAcceptedResource(indicator: string, accepted: readonly string[]): boolean {
  const href = URL.parse(indicator)?.href;
  return href !== undefined && accepted.some((resource) => URL.parse(resource)?.href === href);
}

function isLoopbackOrigin(origin: string): boolean {
  const url = URL.parse(origin);
  return url !== null && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** Builds the configured provider. It is not listening: mount `provider.callback()` somewhere. */
export function createDemoProvider(options: DemoProviderOptions): Provider {
  const { logger } = options;
  const resourceScope = [...DEMO_SCOPES.keys()].join(' ');

  const provider = new Provider(options.issuer, {
    adapter: options.store.adapterFor,
    jwks: { keys: options.signingKeys },
    cookies: {
      keys: options.cookieKeys,
      // No single sign-on: the session cookie is scoped to a path no browser request uses, so it
      // never comes back and every authorization starts signed out. The page then asks who you
      // are each time, switching between alice and bob is one click, and a leftover session never
      // signs anyone in as the wrong person (oidc-provider would otherwise interpose a logout
      // step when the picked user differs from the session's). Login and consent are settled
      // together on that page (see interactions.ts).
      long: { path: '/parley-demo-no-single-sign-on' },
    },
    async findAccount(_ctx, id) {
      const user = findDemoUser(id);
      if (!user) return undefined;
      return {
        accountId: user.id,
        async claims() {
          return { sub: user.id, name: user.name, email: user.email };
        },
      };
    },
    scopes: [...OIDC_SCOPES],
    // OAuth 2.1: the authorization code flow only, always with PKCE S256 (and no other method),
    // also for confidential clients.
    responseTypes: ['code'],
    pkce: { required: () => true, methods: ['S256'] },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      // Clients that register without grant_types still get refresh tokens.
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    // Refresh tokens for every client allowed the refresh_token grant, whether or not it asked for
    // offline_access; always rotated, so a used one is dead (reuse revokes the whole grant).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // Tokens outlive the browser session: the chat bot holds them, not the browser.
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: options.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: options.accessTokenTtlSeconds,
      RefreshToken: options.refreshTokenTtlSeconds,
      Grant: options.refreshTokenTtlSeconds,
      Interaction: 15 * 60,
      Session: 24 * 60 * 60,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      registration: {
        enabled: true,
        initialAccessToken: false,
        // MCP clients register with the `scope` they are about to ask for, e.g. "tickets:read". To
        // oidc-provider a client's `scope` is an allow-list of its own (OpenID) scopes, so resource
        // scopes there fail registration, and a narrow list would later block step-up. RFC 7591
        // lets a server replace requested metadata: this one registers clients without a scope
        // restriction and decides scopes per authorization. oidc-provider 8 checks `scope` before
        // any configurable client metadata validator runs, and its registration policies need
        // initial access tokens; the one hook that sees the parsed registration body before the
        // client is built is the id factory (lib/actions/registration.js reads the body after it).
        idFactory(ctx) {
          dropRequestedScope(ctx.oidc.body);
          return randomBytes(16).toString('base64url');
        },
      },
      // oidc-provider 8 lets a client revoke only its own tokens (a fixed check in its revocation
      // endpoint; there is no policy hook to configure).
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // A client that names no resource gets the first accepted MCP server (RFC 8707 lets the
        // server pick a default); MCP clients always send one.
        // (With no accepted resource there is no default: `undefined`. oidc-provider 8 handles that,
        // its own default helper returns it, but @types/oidc-provider 8 types the result as required.)
        defaultResource: (async (_ctx, _client, oneOf) =>
          oneOf ?? options.resources()[0]) as DefaultResourceHelper,
        // Token and refresh requests without `resource` reuse the granted one, so the access
        // token is always a JWT for the MCP server, never an opaque userinfo token.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (!isAcceptedResource(indicator, options.resources())) {
            throw new errors.InvalidTarget(
              `${indicator} is not a resource served by this authorization server`,
            );
          }
          return {
            scope: resourceScope,
            audience: indicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: options.accessTokenTtlSeconds,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    interactions: {
      url: async (_ctx, interaction) => interactionPath(interaction.uid),
    },
    // Browser-based MCP clients on this machine (an inspector, say) may call the token endpoint.
    clientBasedCORS: (_ctx, origin) => isLoopbackOrigin(origin),
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.set('Content-Security-Policy', PAGE_CSP);
      ctx.body = errorPage(
        'Sign-in could not continue',
        out.error_description ?? 'The authorization request was not valid. Start again from the chat.',
        out.error,
      );
    },
  });

  // oidc-provider 8 serves only the OpenID discovery document. RFC 8414 clients (the MCP SDK
  // among them) look for `/.well-known/oauth-authorization-server`: route that path to the same
  // document, CORS preflight included.
  provider.use(async (ctx, next) => {
    if (ctx.path !== RFC8414_DISCOVERY_PATH) return next();
    ctx.path = OPENID_DISCOVERY_PATH;
    try {
      await next();
    } finally {
      ctx.path = RFC8414_DISCOVERY_PATH;
    }
  });

  // RFC 8414 asks the metadata to list the scopes clients may request; oidc-provider only lists
  // its own (OpenID) ones, and resource scopes do not belong in its `scopes` option.
  provider.use(async (ctx, next) => {
    await next();
    const isDiscovery = ctx.path === RFC8414_DISCOVERY_PATH || ctx.path === OPENID_DISCOVERY_PATH;
    if (isDiscovery && ctx.status === 200 && typeof ctx.body === 'object' && ctx.body !== null) {
      ctx.body = { ...ctx.body, scopes_supported: [...OIDC_SCOPES, ...DEMO_SCOPES.keys()] };
    }
  });

  provider.on('server_error', (_ctx, err) => logger.error({ err }, 'auth server error'));
  // OIDCProviderError messages carry codes and descriptions, never token values.
  const refused = (event: string) => (_ctx: unknown, err: Error) => {
    const {
      error,
      error_description: description,
      error_detail: detail,
    } = err as Partial<errors.OIDCProviderError>;
    logger.info({ event, error, description: description ?? err.message, detail }, 'request refused');
  };
  provider.on('authorization.error', refused('authorization.error'));
  provider.on('grant.error', refused('grant.error'));
  provider.on('registration_create.error', refused('registration_create.error'));
  provider.on('revocation.error', refused('revocation.error'));
  provider.on('userinfo.error', refused('userinfo.error'));
  provider.on('registration_create.success', (_ctx, client) =>
    logger.info({ clientId: client.clientId, clientName: client.clientName }, 'client registered'),
  );
  provider.on('grant.success', (ctx) =>
    logger.info(
      { clientId: ctx.oidc.client?.clientId, grantType: ctx.oidc.params?.grant_type },
      'tokens issued',
    ),
  );

  return provider;
}
