/**
 * The calendar consent against the real demo auth server, with the demo MCP server as
 * `startDemoMcp` starts it: the test plays the person's browser by opening the consent page and
 * pressing Allow or Deny.
 */
import type { Client } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { type DemoMcp, startDemoMcp } from '../helpers/demo.js';
import { connectTestClient, ERAS, textOf } from '../helpers/mcp-client.js';
import { pressOnConsentPage } from '../helpers/mcp-demo-server.js';

const logger = pino({ level: 'silent' });
let auth: AuthMock;
let mcp: DemoMcp;
beforeAll(async () => {
  auth = await startAuthMock({ port: 0, logger });
  mcp = await startDemoMcp({ authIssuer: auth.url, logger });
});
afterAll(async () => {
  await mcp.close();
  await auth.close();
});

describe.each(ERAS)('connect_calendar with the demo auth server, %s era', (era) => {
  const clients: Client[] = [];
  afterAll(async () => Promise.all(clients.map((c) => c.close())));

  // Deny first: modern callers without a token share one identity, so after an allow the calendar
  // stays connected for the rest of the file.
  it.each(['deny', 'allow'] as const)('follows the person pressing %s', async (decision) => {
    const client = await connectTestClient(mcp.url, {
      era,
      onElicit: (params) => {
        if (params.mode !== 'url') throw new Error('expected URL mode');
        expect(params.url.startsWith(`${auth.url}/calendar/connect?elicitation_id=`)).toBe(true);
        // The person opens the page after the client said yes.
        setTimeout(() => void pressOnConsentPage(params.url, decision), 100);
        return { action: 'accept' };
      },
    });
    clients.push(client);
    const result = await client.callTool({ name: 'connect_calendar', arguments: {} });
    expect(textOf(result)).toBe(
      decision === 'allow'
        ? 'Calendar connected.'
        : 'Calendar not connected: access was denied on the consent page.',
    );
  });
});
