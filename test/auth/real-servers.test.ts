/**
 * Sign-in against authorization servers shaped like the ones people run (test/helpers'
 * OAuth stand-in, a real HTTP server): an issuer written with or without a trailing `/`,
 * 2025-03-26 servers (no protected-resource metadata; metadata or default endpoints at the MCP
 * server's origin), shared service identities (client credentials), and what the person reads
 * when the sign-in server is not one Parley may trust or refuses Parley.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent.js';
import { type CookieJar, followSignInLink, mountSignInRoutes, SignInService } from '../../src/auth/index.js';
import { type ServerConfig, serverSchema } from '../../src/config.js';
import { ParleyHttpServer } from '../../src/http.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/index.js';
import { TEST_SECRET } from '../helpers/auth-stack.js';
import { type OAuthStandIn, type OAuthStandInOptions, startOAuthStandIn } from '../helpers/oauth-stand-in.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

/** A Parley process (agent, sign-in service, callback route) with one server, `svc`. */
async function parleyWith(stand: OAuthStandIn, auth: Record<string, unknown>) {
  const logger = silentLogger();
  const store = new MemoryStore();
  const http = new ParleyHttpServer({ store, logger, publicBaseUrl: 'http://127.0.0.1' });
  const port = await http.listen(0, '127.0.0.1');
  const server: ServerConfig = serverSchema.parse({
    name: 'svc',
    title: 'Acme Docs',
    url: stand.url,
    auth,
    confirm: 'never',
  });
  const signIn = new SignInService({
    store,
    secret: TEST_SECRET,
    servers: [server],
    publicBaseUrl: `http://127.0.0.1:${port}`,
    logger,
  });
  const agent = new Agent({ store, servers: [server], logger, signIn });
  const surface = new RecordingSurface();
  agent.attach(surface);
  mountSignInRoutes(http.app, { signIn, agent, logger });
  await agent.start();
  cleanup.push(async () => {
    await agent.stop();
    await http.close();
    await store.close();
  });
  return { agent, surface };
}

async function standIn(options: OAuthStandInOptions): Promise<OAuthStandIn> {
  const stand = await startOAuthStandIn(options);
  cleanup.push(() => stand.close());
  return stand;
}

/** Asks for the tool, follows the sign-in link like a browser, and returns what the person read. */
async function signInAndCall(stand: OAuthStandIn, user: string): Promise<string[]> {
  const { agent, surface } = await parleyWith(stand, { type: 'oauth' });
  await agent.message(conv(user), '/call svc__whoami {}');
  const link = await surface.waitFor(user, 'link');
  const page = await followSignInLink(link.url);
  expect(page.text).toContain('You’re signed in');
  await surface.waitForText(user, /signed-in call ran/);
  return surface.texts(user);
}

describe('the issuer of real authorization servers', () => {
  it('signs in when the protected resource names the issuer without a trailing slash and the metadata has one', async () => {
    const stand = await standIn({
      prm: { authorizationServer: (origin) => origin },
      metadata: { issuer: (origin) => `${origin}/` },
    });
    await signInAndCall(stand, 'no-slash-to-slash');
  });

  it('signs in when the protected resource has the trailing slash and the metadata does not', async () => {
    const stand = await standIn({
      prm: { authorizationServer: (origin) => `${origin}/` },
      metadata: { issuer: (origin) => origin },
    });
    await signInAndCall(stand, 'slash-to-no-slash');
  });

  it('refuses metadata whose issuer is another server, in one sentence, before sending anything', async () => {
    const stand = await standIn({
      prm: { authorizationServer: (origin) => origin },
      metadata: { issuer: (origin) => `${origin}/someone-else` },
    });
    const { agent, surface } = await parleyWith(stand, { type: 'oauth' });
    await agent.message(conv('mixup'), '/call svc__whoami {}');
    const said = await surface.waitForText('mixup', /Acme Docs/);
    expect(said).toBe(
      '⚠️ I stopped signing in to Acme Docs because its sign-in server didn’t identify itself as the one Acme Docs names; ask whoever runs Acme Docs to check its OAuth settings.',
    );
    expect(surface.for('mixup').filter((m) => m.kind === 'link')).toEqual([]);
    expect(stand.hits.filter((h) => /\/(register|authorize|token)$/.test(h))).toEqual([]);
  });
});

describe('2025-03-26 servers (no protected-resource metadata)', () => {
  it('sign in with metadata at the MCP server’s origin whose issuer has a path', async () => {
    const stand = await standIn({
      metadata: { issuer: (origin) => `${origin}/oauth`, endpointsUnder: '/oauth' },
    });
    await signInAndCall(stand, 'era-2025-03-26');
    expect(stand.hits).toContain('GET /oauth/authorize');
    expect(stand.hits).toContain('POST /oauth/token');
  });

  it('sign in with the default /authorize, /token and /register when there is no metadata', async () => {
    const stand = await standIn({});
    await signInAndCall(stand, 'era-defaults');
    expect(stand.hits).toEqual(expect.arrayContaining(['POST /register', 'GET /authorize', 'POST /token']));
  });

  it('refuse origin metadata naming an issuer at another origin', async () => {
    const stand = await standIn({ metadata: { issuer: () => 'http://127.0.0.1:9/elsewhere' } });
    const { agent, surface } = await parleyWith(stand, { type: 'oauth' });
    await agent.message(conv('foreign'), '/call svc__whoami {}');
    await surface.waitForText('foreign', /I stopped signing in to Acme Docs/);
    expect(stand.hits.filter((h) => /\/(register|authorize|token)$/.test(h))).toEqual([]);
  });
});

describe('client_credentials: one service identity, no sign-in page', () => {
  const client = { id: 'parley-svc', secret: 'svc-secret-123' };
  const asServer = (extra: OAuthStandInOptions = {}): OAuthStandInOptions => ({
    prm: { authorizationServer: (origin) => origin },
    metadata: { issuer: (origin) => origin },
    client,
    ...extra,
  });

  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`calls the tool with ${method} and never shows a link`, async () => {
      const stand = await standIn(asServer());
      const { agent, surface } = await parleyWith(stand, {
        type: 'client_credentials',
        clientId: client.id,
        clientSecret: client.secret,
        method,
      });
      await agent.message(conv('a'), '/call svc__whoami {}');
      await agent.message(conv('b'), '/call svc__whoami {}');
      await surface.waitForText('a', /signed-in call ran/);
      await surface.waitForText('b', /signed-in call ran/);
      expect(surface.posts.filter((p) => p.message.kind === 'link')).toEqual([]);
      // One token for everyone: the second person reuses the service identity's token.
      expect(stand.grants).toEqual([
        { grant: 'client_credentials', auth: method === 'client_secret_basic' ? 'basic' : 'post' },
      ]);
    });
  }

  it('calls the tool with private_key_jwt', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const stand = await standIn(
      asServer({
        client: { id: client.id, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      }),
    );
    const { agent, surface } = await parleyWith(stand, {
      type: 'client_credentials',
      clientId: client.id,
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      algorithm: 'ES256',
    });
    await agent.message(conv('jwt'), '/call svc__whoami {}');
    await surface.waitForText('jwt', /signed-in call ran/);
    expect(stand.grants).toEqual([{ grant: 'client_credentials', auth: 'jwt' }]);
  });

  it('says in one sentence that the service credentials were refused, never the library’s words', async () => {
    const stand = await standIn(asServer());
    const { agent, surface } = await parleyWith(stand, {
      type: 'client_credentials',
      clientId: client.id,
      clientSecret: 'wrong',
    });
    await agent.message(conv('bad'), '/call svc__whoami {}');
    const said = await surface.waitForText('bad', /Acme Docs/);
    expect(said).toBe(
      '⚠️ Acme Docs refused Parley’s service credentials; ask your Parley admin to check the client ID and secret or key configured for Acme Docs.',
    );
    expect(surface.texts('bad').join('\n')).not.toMatch(/stand-in|invalid_client|OAuth/);
  });
});

describe('enterprise-managed authorization (cross-app access)', () => {
  it('signs the person in at the company IdP once, then exchanges their ID token for access', async () => {
    const idp = await standIn({
      metadata: { issuer: (origin) => origin },
      idp: { clientId: 'parley-idp', sub: 'alice' },
    });
    const mcp = await standIn({
      prm: { authorizationServer: (origin) => origin },
      metadata: { issuer: (origin) => origin, grants: ['urn:ietf:params:oauth:grant-type:jwt-bearer'] },
      client: { id: 'parley', secret: 'xaa-secret' },
      jwtBearer: true,
    });
    const { agent, surface } = await parleyWith(mcp, {
      type: 'enterprise',
      clientId: 'parley',
      clientSecret: 'xaa-secret',
      idp: { issuer: idp.origin, clientId: 'parley-idp' },
    });
    await agent.message(conv('xaa'), '/call svc__whoami {}');
    const link = await surface.waitFor('xaa', 'link');
    const jar: CookieJar = new Map();
    const authorize = new URL((await followSignInLink(link.url, { jar, stopAt: `${idp.origin}/` })).url);
    expect(authorize.origin).toBe(idp.origin);
    expect(authorize.searchParams.get('scope')).toContain('openid');
    expect((await followSignInLink(authorize.href, { jar })).text).toContain('You’re signed in');
    await surface.waitForText('xaa', /signed-in call ran/);
    expect(idp.grants.map((g) => g.grant)).toEqual([
      'authorization_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    expect(mcp.grants).toEqual([{ grant: 'urn:ietf:params:oauth:grant-type:jwt-bearer', auth: 'basic' }]);
    // No second IdP sign-in for the next request: the ID token is kept (encrypted) for the person.
    await agent.message(conv('xaa'), '/call svc__whoami {}');
    await expect.poll(() => surface.texts('xaa').filter((t) => /signed-in call ran/.test(t)).length).toBe(2);
    expect(surface.for('xaa').filter((m) => m.kind === 'link')).toHaveLength(1);
  });

  it('says in one sentence when the IdP refuses the exchange', async () => {
    const idp = await standIn({
      metadata: { issuer: (origin) => origin },
      idp: { clientId: 'parley-idp', sub: 'bob' },
    });
    const mcp = await standIn({
      prm: { authorizationServer: (origin) => origin },
      metadata: { issuer: (origin) => origin },
      client: { id: 'parley', secret: 'xaa-secret' },
      jwtBearer: true,
    });
    // The IdP issues ID tokens to another client than the one Parley names for the exchange.
    const { agent, surface } = await parleyWith(mcp, {
      type: 'enterprise',
      clientId: 'parley',
      clientSecret: 'xaa-secret',
      idp: { issuer: idp.origin, clientId: 'not-the-idp-client' },
    });
    await agent.message(conv('refused'), '/call svc__whoami {}');
    await followSignInLink((await surface.waitFor('refused', 'link')).url);
    const said = await surface.waitForText('refused', /didn’t grant access/);
    expect(said).toBe(
      '⚠️ Your company sign-in didn’t grant access to Acme Docs; ask your IT team whether Parley may use Acme Docs for you.',
    );
  });
});
