/**
 * The calendar consent against the real demo auth server (not the stand-in): the test plays the
 * person's browser by opening the consent page and pressing Allow or Deny.
 */
import type { Client } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { type DemoMcpServer, startMcpServer } from '../../mcp-server/server.js';
import { connectTestClient, ERAS, textOf } from '../helpers/mcp-client.js';

const logger = pino({ level: 'silent' });
let auth: AuthMock;
let mcp: DemoMcpServer;
beforeAll(async () => {
  auth = await startAuthMock({ port: 0, logger });
  mcp = await startMcpServer({ port: 0, authIssuer: auth.url, calendarWaitMs: 5000, logger });
});
afterAll(async () => {
  await mcp.close();
  await auth.close();
});

/** What a browser does: load the page, then submit its form. */
async function pressOnConsentPage(url: string, decision: 'allow' | 'deny'): Promise<void> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('wants to read your calendar');
  const id = new URL(url).searchParams.get('elicitation_id') ?? '';
  const submitted = await fetch(`${auth.url}/calendar/connect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ elicitation_id: id, decision }).toString(),
  });
  expect(submitted.status).toBe(200);
}

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
