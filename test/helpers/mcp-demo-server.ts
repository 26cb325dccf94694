/**
 * The demo MCP server on an ephemeral port, quiet, for one test file; close it in `afterAll`.
 *
 * Most tools never talk to an authorization server, so by default there is none: the server is
 * pointed at a closed port. Tests that do need one use the real demo auth server
 * ({@link startDemoServerWithAuthMock}); the issuer stand-in is only for what the auth-mock can't
 * show: watching the consent-status polling itself, and tokens it would never issue.
 */
import { pino } from 'pino';
import { expect } from 'vitest';
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { type DemoMcpServer, type McpServerOptions, startMcpServer } from '../../mcp-server/server.js';
import { type IssuerStandIn, startIssuerStandIn } from './mcp-issuer-stand-in.js';

/** Nothing listens here (port 1): a server pointed at it has no authorization server. */
export const NO_ISSUER = 'http://127.0.0.1:1';

const quiet = pino({ level: 'silent' });

export interface DemoServerFixture {
  server: DemoMcpServer;
  close(): Promise<void>;
}

export async function startDemoServerFixture(options: McpServerOptions = {}): Promise<DemoServerFixture> {
  const server = await startMcpServer({ port: 0, authIssuer: NO_ISSUER, logger: quiet, ...options });
  return { server, close: () => server.close() };
}

export interface DemoServerWithAuthMock extends DemoServerFixture {
  auth: AuthMock;
}

/** The demo MCP server with the real demo auth server as its issuer (accepting it as a resource). */
export async function startDemoServerWithAuthMock(
  options: McpServerOptions = {},
): Promise<DemoServerWithAuthMock> {
  const auth = await startAuthMock({ port: 0, resources: [], logger: quiet });
  const server = await startMcpServer({ port: 0, authIssuer: auth.url, logger: quiet, ...options });
  auth.setResources([server.url]);
  return {
    server,
    auth,
    async close() {
      await server.close();
      await auth.close();
    },
  };
}

export interface DemoServerWithStandIn extends DemoServerFixture {
  issuer: IssuerStandIn;
}

/** The demo MCP server trusting the issuer stand-in: forged tokens, or polling observed directly. */
export async function startDemoServerWithStandIn(
  options: McpServerOptions = {},
): Promise<DemoServerWithStandIn> {
  const issuer = await startIssuerStandIn();
  const server = await startMcpServer({ port: 0, authIssuer: issuer.url, logger: quiet, ...options });
  return {
    server,
    issuer,
    async close() {
      await server.close();
      await issuer.close();
    },
  };
}

/**
 * What a person's browser does with a `connect_calendar` consent link on the demo auth server:
 * load the page, then press Allow or Deny.
 */
export async function pressOnConsentPage(consentUrl: string, decision: 'allow' | 'deny'): Promise<void> {
  const url = new URL(consentUrl);
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('wants to read your calendar');
  const submitted = await fetch(`${url.origin}/calendar/connect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ elicitation_id: url.searchParams.get('elicitation_id') ?? '', decision }),
  });
  expect(submitted.status).toBe(200);
}
