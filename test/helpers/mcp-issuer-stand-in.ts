/**
 * A rogue issuer for the few demo MCP server tests the real auth-mock can't serve: it mints JWT
 * access tokens with any claims (wrong audience, issuer or expiry, which the auth-mock never
 * issues) signed with its own key, and answers the calendar consent status while counting how
 * often it is asked, so a test can watch the polling itself. It serves the parts the MCP server
 * calls: JWKS, authorization-server metadata and `/calendar/status/:id`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export type ConsentStatus = 'pending' | 'approved' | 'denied';

export interface TokenClaims {
  sub: string;
  scope: string;
  /** The resource the token is for: the MCP server's URL. */
  aud: string;
  iss?: string;
  /** Seconds from now; negative for an expired token. Default 300. */
  expiresIn?: number;
}

export interface IssuerStandIn {
  /** The issuer URL (no trailing slash). */
  url: string;
  mintToken(claims: TokenClaims): Promise<string>;
  /** Sets what `/calendar/status/:id` answers for an id (unknown ids answer "pending"). */
  decide(elicitationId: string, status: ConsentStatus): void;
  /** How often each id's status was asked for. */
  statusChecks(elicitationId: string): number;
  close(): Promise<void>;
}

export async function startIssuerStandIn(): Promise<IssuerStandIn> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'stand-in', alg: 'ES256', use: 'sig' };
  const consents = new Map<string, ConsentStatus>();
  const checks = new Map<string, number>();
  let issuer = '';

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === '/jwks') return json(200, { keys: [jwk] });
    if (path === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
      });
    }
    const status = /^\/calendar\/status\/([^/]+)$/.exec(path);
    if (status?.[1]) {
      const id = decodeURIComponent(status[1]);
      checks.set(id, (checks.get(id) ?? 0) + 1);
      return json(200, { status: consents.get(id) ?? 'pending' });
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: issuer,
    async mintToken(claims) {
      return new SignJWT({ scope: claims.scope, client_id: 'parley-test' })
        .setProtectedHeader({ alg: 'ES256', kid: 'stand-in' })
        .setIssuer(claims.iss ?? issuer)
        .setSubject(claims.sub)
        .setAudience(claims.aud)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + (claims.expiresIn ?? 300))
        .sign(privateKey);
    },
    decide(elicitationId, status) {
      consents.set(elicitationId, status);
    },
    statusChecks(elicitationId) {
      return checks.get(elicitationId) ?? 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
