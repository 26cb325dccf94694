/**
 * The demo server as an OAuth resource server. Most of the endpoint is open; only some tools need a
 * token, so the check runs per request on the parsed JSON-RPC body instead of guarding the whole
 * route: a `tools/call` for a protected tool without a good enough token is answered with the MCP
 * authorization challenge (401, or 403 `insufficient_scope` for step-up). A token sent with any other
 * request is still verified and, when valid, becomes the caller's identity.
 *
 * Tokens are JWTs from the auth-mock, verified locally against its JWKS with `jose`.
 */
import {
  type AuthInfo,
  bearerAuthChallengeResponse,
  buildOAuthProtectedResourceMetadata,
  OAuthError,
  OAuthErrorCode,
  type OAuthProtectedResourceMetadata,
  type OAuthTokenVerifier,
  verifyBearerToken,
} from '@modelcontextprotocol/server';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';

export const SCOPE_TICKETS_READ = 'tickets:read';
export const SCOPE_TICKETS_WRITE = 'tickets:write';
export const SCOPE_CALENDAR = 'calendar';
export const SUPPORTED_SCOPES = [SCOPE_TICKETS_READ, SCOPE_TICKETS_WRITE, SCOPE_CALENDAR] as const;

/** The tools that need a token, and the scopes each needs. Every other tool is open. */
export const TOOL_SCOPES: Readonly<Record<string, readonly string[]>> = {
  whoami: [SCOPE_TICKETS_READ],
  list_my_tickets: [SCOPE_TICKETS_READ],
  add_my_ticket: [SCOPE_TICKETS_WRITE],
};

export interface JwtTokenVerifierOptions {
  /** The authorization server's issuer URL; tokens must carry it as `iss`. */
  issuer: string;
  /** This server's resource URL; tokens must carry it in `aud`. */
  resource: string;
  /** Where the signing keys are. Default `${issuer}/jwks`, where the auth-mock serves them. */
  jwksUrl?: string;
}

/**
 * Verifies JWT access tokens. Token problems (bad signature, expired, wrong issuer or audience)
 * become `invalid_token`; being unable to fetch the keys at all becomes `server_error`, because
 * the token may well be fine.
 */
export function createJwtTokenVerifier(options: JwtTokenVerifierOptions): OAuthTokenVerifier {
  const issuer = options.issuer.replace(/\/+$/, '');
  // jose fetches the keys on first use, caches them, shares one fetch between concurrent
  // requests and refetches when a token names a key it has not seen.
  const getKey = createRemoteJWKSet(new URL(options.jwksUrl ?? `${issuer}/jwks`));

  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
      try {
        ({ payload } = await jwtVerify(token, getKey, { issuer, audience: options.resource }));
      } catch (err) {
        throw toOAuthError(err);
      }
      const sub = typeof payload.sub === 'string' ? payload.sub : '';
      if (!sub) throw new OAuthError(OAuthErrorCode.InvalidToken, 'The access token names no subject.');
      const clientId =
        typeof payload.client_id === 'string'
          ? payload.client_id
          : typeof payload.azp === 'string'
            ? payload.azp
            : sub;
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      return {
        token,
        clientId,
        scopes,
        expiresAt: payload.exp,
        // jose has already checked `aud` against our resource, so the token is for this resource.
        resource: new URL(options.resource),
        extra: { sub },
      };
    },
  };
}

function toOAuthError(err: unknown): OAuthError {
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const why =
      err.claim === 'aud'
        ? 'it was issued for another resource'
        : err.claim === 'iss'
          ? 'it was issued by another authorization server'
          : `its "${err.claim}" claim is not acceptable`;
    return new OAuthError(OAuthErrorCode.InvalidToken, `The access token was rejected: ${why}.`);
  }
  if (err instanceof joseErrors.JWTExpired) {
    return new OAuthError(OAuthErrorCode.InvalidToken, 'The access token has expired.');
  }
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) {
    return new OAuthError(OAuthErrorCode.ServerError, "Could not load the authorization server's keys.");
  }
  if (err instanceof joseErrors.JOSEError) {
    return new OAuthError(OAuthErrorCode.InvalidToken, 'The access token is not valid.');
  }
  // Not a token problem: most likely the JWKS fetch failed on the network.
  return new OAuthError(OAuthErrorCode.ServerError, "Could not load the authorization server's keys.");
}

/** The scopes a JSON-RPC body needs: the union over its `tools/call` requests for protected tools. */
export function requiredScopesFor(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const needed = new Set<string>();
  for (const message of messages) {
    const parsed = toolsCallSchema.safeParse(message);
    if (!parsed.success) continue;
    for (const scope of TOOL_SCOPES[parsed.data.params.name] ?? []) needed.add(scope);
  }
  return [...needed];
}

const toolsCallSchema = z.object({
  method: z.literal('tools/call'),
  params: z.object({ name: z.string() }),
});

export type AuthDecision = { ok: true; authInfo?: AuthInfo } | { ok: false; response: Response };

export interface McpAuthGateOptions {
  verifier: OAuthTokenVerifier;
  /** This server's resource URL (the `aud` its tokens must carry). */
  resource: string;
  /** The protected resource metadata URL advertised in every challenge. */
  resourceMetadataUrl: string;
}

/**
 * Decides one HTTP request: verify the token when there is one, then demand the scopes the body
 * needs. `body` is the parsed JSON (undefined for GET/DELETE).
 */
export async function authorizeMcpRequest(
  authorization: string | undefined,
  body: unknown,
  options: McpAuthGateOptions,
): Promise<AuthDecision> {
  const required = requiredScopesFor(body);
  const { resourceMetadataUrl } = options;
  if (!authorization) {
    if (required.length === 0) return { ok: true };
    return { ok: false, response: signInChallenge(required, resourceMetadataUrl) };
  }
  let authInfo: AuthInfo;
  try {
    authInfo = await verifyBearerToken(authorization, {
      verifier: options.verifier,
      expectedResource: new URL(options.resource),
      resourceMetadataUrl,
    });
  } catch (err) {
    return {
      ok: false,
      response: bearerAuthChallengeResponse(err, { requiredScopes: required, resourceMetadataUrl }),
    };
  }
  const missing = required.filter((scope) => !authInfo.scopes.includes(scope));
  if (missing.length > 0) {
    // Ask for everything the call needs plus what the token already had, so re-authorizing for this
    // tool does not cost the client the scopes it was granted before (MCP step-up guidance).
    const held = authInfo.scopes.filter((s) => (SUPPORTED_SCOPES as readonly string[]).includes(s));
    const challengeScopes = [...new Set([...held, ...required])];
    const error = new OAuthError(
      OAuthErrorCode.InsufficientScope,
      `This tool needs the ${missing.join(' and ')} scope.`,
    );
    return {
      ok: false,
      response: bearerAuthChallengeResponse(error, { requiredScopes: challengeScopes, resourceMetadataUrl }),
    };
  }
  return { ok: true, authInfo };
}

/**
 * The 401 for a request with no credentials at all. RFC 6750 §3.1 says such a challenge carries no
 * error code, so this is built here rather than with the SDK helper (which always adds one).
 */
function signInChallenge(scopes: string[], resourceMetadataUrl: string): Response {
  const header = `Bearer resource_metadata="${quoted(resourceMetadataUrl)}", scope="${quoted(scopes.join(' '))}"`;
  return Response.json(
    { error_description: `Sign in first: this tool needs the ${scopes.join(' and ')} scope.` },
    { status: 401, headers: { 'WWW-Authenticate': header } },
  );
}

function quoted(value: string): string {
  return value.replace(/[\\"]/g, (c) => `\\${c}`);
}

/** RFC 9728 protected resource metadata for this server. */
export function protectedResourceMetadata(resource: string, issuer: string): OAuthProtectedResourceMetadata {
  const base = buildOAuthProtectedResourceMetadata({
    // Only `issuer` is read from this: the authorization server itself is the auth-mock, a separate
    // process whose metadata this server never needs to serve.
    oauthMetadata: {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      response_types_supported: ['code'],
    },
    resourceServerUrl: new URL(resource),
    scopesSupported: [...SUPPORTED_SCOPES],
    resourceName: 'Parley demo MCP server',
    // A local demo: the auth-mock runs over plain HTTP, also when reached by a non-loopback name.
    dangerouslyAllowInsecureIssuerUrl: true,
  });
  return { ...base, bearer_methods_supported: ['header'] };
}
