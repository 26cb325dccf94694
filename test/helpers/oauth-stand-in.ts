/**
 * A small real OAuth-protected MCP server for sign-in tests, shaped like the servers people run
 * rather than like Parley's demo: one origin serving an MCP endpoint (one `whoami` tool) behind
 * bearer tokens, and, as configured, protected-resource metadata (RFC 9728), authorization server
 * metadata (RFC 8414) with whatever `issuer` string a hosted IdP publishes, and the endpoints
 * (authorize answers at once with a code, as the conformance suite's does). It records which
 * endpoints were hit, so a test can prove nothing was sent to a server Parley must not trust.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { decodeJwt, generateKeyPair, importSPKI, jwtVerify, SignJWT } from 'jose';

export interface OAuthStandInOptions {
  /** Serve protected-resource metadata naming this authorization server (`origin` → own origin). */
  prm?: { authorizationServer: (origin: string) => string };
  /** Serve authorization server metadata at the origin's well-known URL, with this issuer. */
  metadata?: { issuer: (origin: string) => string; endpointsUnder?: string; grants?: string[] };
  /** Accepted service identity (client_credentials, and client auth for the jwt-bearer grant). */
  client?: { id: string; secret?: string; publicKeyPem?: string };
  /**
   * Play a company IdP: the authorization code grant also returns an OpenID Connect `id_token`
   * for `sub` (audience `clientId`), and the token exchange grant (RFC 8693) turns that ID token
   * into an ID-JAG for the audience and resource asked for.
   */
  idp?: { clientId: string; sub: string };
  /** Accept the jwt-bearer grant (RFC 7523) with an ID-JAG whose audience is this server. */
  jwtBearer?: boolean;
}

export interface OAuthStandIn {
  origin: string;
  url: string;
  /** Paths that were requested, in order (`GET /authorize`, `POST /token`…). */
  hits: string[];
  /** Grant types the token endpoint saw, with how the client authenticated. */
  grants: Array<{ grant: string; auth: 'basic' | 'post' | 'jwt' | 'none' }>;
  close(): Promise<void>;
}

export async function startOAuthStandIn(options: OAuthStandInOptions): Promise<OAuthStandIn> {
  const signing = await generateKeyPair('ES256');
  const hits: string[] = [];
  const grants: OAuthStandIn['grants'] = [];
  const tokens = new Map<string, string>();
  let origin = '';
  const mcp = toNodeHandler(
    createMcpHandler(
      () => {
        const server = new McpServer({ name: 'stand-in', version: '1.0.0' });
        server.registerTool('whoami', { description: 'Answers once the bearer token is good' }, async () => ({
          content: [{ type: 'text', text: 'signed-in call ran' }],
        }));
        return server;
      },
      { legacy: 'stateless' },
    ),
  );

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  const readForm = async (req: IncomingMessage): Promise<URLSearchParams> => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    return new URLSearchParams(raw);
  };
  const under = options.metadata?.endpointsUnder ?? '';

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const grant = form.get('grant_type') ?? '';
    const basic = req.headers.authorization?.startsWith('Basic ')
      ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString().split(':')
      : undefined;
    const assertion = form.get('client_assertion');
    const how = basic ? 'basic' : assertion ? 'jwt' : form.get('client_secret') ? 'post' : 'none';
    grants.push({ grant, auth: how });
    let subject = 'person';
    const idp = options.idp;
    if (grant === 'urn:ietf:params:oauth:grant-type:token-exchange' && idp) {
      try {
        const { payload } = await jwtVerify(form.get('subject_token') ?? '', signing.publicKey, {
          issuer: origin,
          audience: idp.clientId,
        });
        if (form.get('requested_token_type') !== 'urn:ietf:params:oauth:token-type:id-jag')
          throw new Error('type');
        if (form.get('client_id') !== idp.clientId) throw new Error('client');
        const jag = await new SignJWT({
          sub: payload.sub,
          resource: form.get('resource'),
          client_id: idp.clientId,
        })
          .setProtectedHeader({ alg: 'ES256', typ: 'oauth-id-jag+jwt' })
          .setIssuer(origin)
          .setAudience(form.get('audience') ?? '')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(signing.privateKey);
        return json(res, 200, {
          access_token: jag,
          issued_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
          token_type: 'N_A',
        });
      } catch {
        return json(res, 400, { error: 'invalid_grant', error_description: 'bad subject token (stand-in)' });
      }
    }
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer' && options.jwtBearer) {
      const aud = decodeJwt(form.get('assertion') ?? '').aud;
      const client = options.client;
      const okClient = client && basic?.[0] === client.id && basic?.[1] === client.secret;
      if (!okClient || ![origin, `${origin}/`].includes(String(aud)))
        return json(res, 400, { error: 'invalid_grant', error_description: 'bad ID-JAG (stand-in)' });
      const access = `tok-${Math.random().toString(36).slice(2)}`;
      tokens.set(access, String(decodeJwt(form.get('assertion') ?? '').sub));
      return json(res, 200, { access_token: access, token_type: 'Bearer', expires_in: 3600 });
    }
    if (grant === 'client_credentials') {
      const client = options.client;
      const id = basic?.[0] ?? form.get('client_id');
      const secret = basic?.[1] ?? form.get('client_secret');
      let ok = Boolean(client);
      if (client && how === 'jwt' && client.publicKeyPem && assertion) {
        try {
          const key = await importSPKI(client.publicKeyPem, 'ES256');
          const { payload } = await jwtVerify(assertion, key, {
            audience: [origin, `${origin}/`, `${origin}${under}/token`],
          });
          ok = payload.iss === client.id && payload.sub === client.id;
        } catch {
          ok = false;
        }
      } else if (client) ok = id === client.id && client.secret !== undefined && secret === client.secret;
      if (!ok)
        return json(res, 401, {
          error: 'invalid_client',
          error_description: 'bad client credentials (stand-in)',
        });
      subject = client?.id ?? subject;
    } else if (grant !== 'authorization_code' || form.get('code') !== 'stand-in-code') {
      return json(res, 400, { error: 'invalid_grant', error_description: 'unknown code (stand-in)' });
    }
    const access = `tok-${Math.random().toString(36).slice(2)}`;
    tokens.set(access, subject);
    const idToken =
      idp && grant === 'authorization_code'
        ? await new SignJWT({ email: `${idp.sub}@example.com` })
            .setProtectedHeader({ alg: 'ES256' })
            .setIssuer(origin)
            .setSubject(idp.sub)
            .setAudience(idp.clientId)
            .setIssuedAt()
            .setExpirationTime('1h')
            .sign(signing.privateKey)
        : undefined;
    json(res, 200, {
      access_token: access,
      token_type: 'Bearer',
      expires_in: 3600,
      ...(idToken && { id_token: idToken }),
    });
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    hits.push(`${req.method} ${url.pathname}`);
    void (async () => {
      if (url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
        if (!options.prm) return json(res, 404, { error: 'not_found' });
        return json(res, 200, {
          resource: `${origin}/mcp`,
          authorization_servers: [options.prm.authorizationServer(origin)],
        });
      }
      if (url.pathname === '/.well-known/oauth-authorization-server') {
        if (!options.metadata) return json(res, 404, { error: 'not_found' });
        return json(res, 200, {
          issuer: options.metadata.issuer(origin),
          authorization_endpoint: `${origin}${under}/authorize`,
          token_endpoint: `${origin}${under}/token`,
          registration_endpoint: `${origin}${under}/register`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
          grant_types_supported: options.metadata.grants ?? ['authorization_code', 'client_credentials'],
          token_endpoint_auth_methods_supported: [
            'client_secret_basic',
            'client_secret_post',
            'private_key_jwt',
            'none',
          ],
        });
      }
      if (url.pathname === `${under}/authorize`) {
        const back = new URL(url.searchParams.get('redirect_uri') ?? '');
        back.searchParams.set('code', 'stand-in-code');
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(302, { location: back.href }).end();
        return;
      }
      if (url.pathname === `${under}/token` && req.method === 'POST') return token(req, res);
      if (url.pathname === `${under}/register` && req.method === 'POST') {
        let raw = '';
        for await (const chunk of req) raw += chunk;
        return json(res, 201, { ...(JSON.parse(raw || '{}') as object), client_id: 'registered-client' });
      }
      if (url.pathname === '/mcp') {
        const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
        const who = tokens.get(bearer);
        if (!who) {
          const challenge = options.prm
            ? `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`
            : 'Bearer';
          return json(res, 401, { error: 'invalid_token' }, { 'www-authenticate': challenge });
        }
        return mcp(req, res);
      }
      json(res, 404, { error: 'not_found' });
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: `${origin}/mcp`,
    hits,
    grants,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
