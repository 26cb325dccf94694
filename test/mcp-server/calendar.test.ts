/**
 * connect_calendar and calendar_events against the real demo auth server's consent pages: the test
 * plays the person's browser. Only the polling itself is watched through the issuer stand-in.
 */
import { type Client, type ElicitRequest, UrlElicitationRequiredError } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { CalendarService } from '../../mcp-server/calendar.js';
import { type DemoMcpServer, startMcpServer } from '../../mcp-server/server.js';
import {
  callToolManually,
  connectTestClient,
  ERAS,
  isInputRequiredResult,
  textOf,
} from '../helpers/mcp-client.js';
import { pressOnConsentPage, startDemoServerWithStandIn } from '../helpers/mcp-demo-server.js';

type UrlParams = Extract<ElicitRequest['params'], { mode: 'url' }>;

const quiet = pino({ level: 'silent' });

/** The consent id, read the way a person's browser would: from the URL's query. */
function consentId(url: string, issuer: string): string {
  const parsed = new URL(url);
  expect(`${parsed.origin}${parsed.pathname}`).toBe(`${issuer}/calendar/connect`);
  const id = parsed.searchParams.get('elicitation_id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return id ?? '';
}

// One demo auth server for the file (consents are per random id), and a fresh MCP server per test:
// modern callers without a token all share the identity "anonymous", so one test's connected
// calendar would leak into the next. The wait is generous; only the timeout test waits it out.
let auth: AuthMock;
let mcp: DemoMcpServer;
const clients: Client[] = [];
const startMcp = (calendarWaitMs = 10_000) =>
  startMcpServer({ port: 0, authIssuer: auth.url, calendarWaitMs, logger: quiet });
beforeAll(async () => {
  auth = await startAuthMock({ port: 0, logger: quiet });
});
afterAll(async () => auth?.close());
beforeEach(async () => {
  mcp = await startMcp();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await mcp.close();
});

describe.each(ERAS)('connect_calendar (URL mode), %s era', (era) => {
  async function connectWith(
    decision: 'allow' | 'deny' | 'accept-only' | 'decline' | 'cancel',
    server: DemoMcpServer = mcp,
  ) {
    const shown: UrlParams[] = [];
    const completed: string[] = [];
    const client = await connectTestClient(server.url, {
      era,
      onElicitationComplete: (id) => completed.push(id),
      onElicit: (params) => {
        if (params.mode !== 'url') throw new Error('expected URL mode');
        shown.push(params);
        if (decision === 'decline' || decision === 'cancel') return { action: decision };
        consentId(params.url, auth.url);
        // The person opens the page and decides a little later; the server must be polling.
        if (decision !== 'accept-only') setTimeout(() => void pressOnConsentPage(params.url, decision), 400);
        return { action: 'accept' };
      },
    });
    clients.push(client);
    const result = await client.callTool({ name: 'connect_calendar', arguments: {} });
    return { client, result, shown, completed };
  }

  it('connects once the consent page is approved', async () => {
    const { client, result, shown, completed } = await connectWith('allow');
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('Calendar connected.');
    expect(shown).toHaveLength(1);
    const id = consentId(shown[0]?.url ?? '', auth.url);
    if (era === 'legacy') {
      expect(shown[0]?.elicitationId).toBe(id);
      expect(completed).toEqual([id]);
    } else {
      // The 2026-07-28 revision has no completion notification: the result is the completion.
      expect(completed).toEqual([]);
    }

    const events = await client.callTool({ name: 'calendar_events', arguments: {} });
    expect(events.isError).toBeFalsy();
    expect(textOf(events)).toContain('Parley demo review');
  });

  it('reports a denial, a decline and a cancel clearly', async () => {
    const denied = await connectWith('deny');
    expect(textOf(denied.result)).toBe('Calendar not connected: access was denied on the consent page.');

    const declined = await connectWith('decline');
    expect(textOf(declined.result)).toBe('Calendar not connected: you declined.');
    const cancelled = await connectWith('cancel');
    expect(textOf(cancelled.result)).toBe('Calendar not connected: you cancelled.');
  });

  it('gives up when nobody decides in time', async () => {
    const impatient = await startMcp(1_000);
    try {
      const timedOut = await connectWith('accept-only', impatient);
      expect(timedOut.result.isError).toBe(true);
      expect(textOf(timedOut.result)).toContain('in time');
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await impatient.close();
    }
  });

  it('reports progress while the person decides, when the client asks for it', async () => {
    const progress: number[] = [];
    let consentUrl = '';
    let pressed = false;
    const client = await connectTestClient(mcp.url, {
      era,
      onElicit: (params) => {
        if (params.mode !== 'url') throw new Error('expected URL mode');
        consentUrl = params.url;
        return { action: 'accept' };
      },
    });
    clients.push(client);
    const result = await client.callTool(
      { name: 'connect_calendar', arguments: {} },
      {
        // The person decides once the client has heard that the server is waiting (a modern
        // client also reports its own progress, fulfilling the round, before the page is shown).
        onprogress: (p) => {
          progress.push(p.progress);
          if (consentUrl && !pressed) {
            pressed = true;
            void pressOnConsentPage(consentUrl, 'allow');
          }
        },
        resetTimeoutOnProgress: true,
      },
    );
    expect(textOf(result)).toBe('Calendar connected.');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toBeGreaterThanOrEqual(1);
  });

  it('refuses a client that cannot open URLs', async () => {
    const client = await connectTestClient(mcp.url, { era, elicitation: 'form' });
    clients.push(client);
    const result = await client.callTool({ name: 'connect_calendar', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('URL elicitation');
  });
});

describe.each(ERAS)('the consent status, %s era', (era) => {
  it('is polled while the person decides, and the decision ends the wait', async () => {
    // The stand-in counts status checks, which the real auth server doesn't expose.
    const fx = await startDemoServerWithStandIn({ calendarWaitMs: 10_000 });
    let id = '';
    const client = await connectTestClient(fx.server.url, {
      era,
      onElicit: (params) => {
        if (params.mode !== 'url') throw new Error('expected URL mode');
        id = consentId(params.url, fx.issuer.url);
        return { action: 'accept' };
      },
    });
    try {
      const call = client.callTool({ name: 'connect_calendar', arguments: {} });
      await expect.poll(() => fx.issuer.statusChecks(id), { timeout: 5_000 }).toBeGreaterThan(1);
      fx.issuer.decide(id, 'approved');
      expect(textOf(await call)).toBe('Calendar connected.');
      const checks = fx.issuer.statusChecks(id);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(fx.issuer.statusChecks(id)).toBe(checks);
    } finally {
      await client.close();
      await fx.close();
    }
  });
});

describe('calendar_events, legacy era: -32042 until connected', () => {
  it('fails with URL elicitation required, then succeeds on retry after consent', async () => {
    const completed: string[] = [];
    const client = await connectTestClient(mcp.url, {
      era: 'legacy',
      onElicitationComplete: (id) => completed.push(id),
    });
    clients.push(client);

    const first = await client.callTool({ name: 'calendar_events', arguments: {} }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(first).toBeInstanceOf(UrlElicitationRequiredError);
    const error = first as UrlElicitationRequiredError;
    expect(error.code).toBe(-32042);
    expect(error.elicitations).toHaveLength(1);
    const [elicitation] = error.elicitations;
    const id = consentId(elicitation?.url ?? '', auth.url);
    expect(elicitation).toMatchObject({ mode: 'url', elicitationId: id });

    // Retrying before anyone approved still points at the same page.
    const again = await client.callTool({ name: 'calendar_events', arguments: {} }).catch((e: unknown) => e);
    expect((again as UrlElicitationRequiredError).elicitations[0]?.elicitationId).toBe(id);

    await pressOnConsentPage(elicitation?.url ?? '', 'allow');
    const retried = await client.callTool({ name: 'calendar_events', arguments: {} });
    expect(retried.isError).toBeFalsy();
    expect(textOf(retried)).toContain('Stand-up with you');
    expect(retried.structuredContent).toMatchObject({ events: expect.arrayContaining([expect.any(Object)]) });
    expect(completed).toEqual([id]);
  });
});

describe('calendar_events, modern era: URL elicitation rides an input_required round', () => {
  it('asks for consent and lists events once approved (auto rounds)', async () => {
    const client = await connectTestClient(mcp.url, {
      era: 'modern',
      onElicit: async (params) => {
        if (params.mode !== 'url') throw new Error('expected URL mode');
        await pressOnConsentPage(params.url, 'allow');
        return { action: 'accept' };
      },
    });
    clients.push(client);
    const result = await client.callTool({ name: 'calendar_events', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('Ticket triage');
  });

  it('works through manual rounds: input_required, consent in the browser, resume', async () => {
    const client = await connectTestClient(mcp.url, { era: 'modern', autoFulfill: false });
    clients.push(client);
    const first = await callToolManually(client, 'calendar_events', {});
    if (!isInputRequiredResult(first)) throw new Error('expected input_required');
    const request = first.inputRequests?.consent;
    expect(request?.method).toBe('elicitation/create');
    const params = request?.params as UrlParams;
    expect(params.mode).toBe('url');
    consentId(params.url, auth.url);
    expect(first.requestState).toEqual(expect.any(String));

    await pressOnConsentPage(params.url, 'allow');
    const done = await callToolManually(
      client,
      'calendar_events',
      {},
      {
        inputResponses: { consent: { action: 'accept' } },
        requestState: first.requestState,
      },
    );
    expect(isInputRequiredResult(done)).toBe(false);
    expect(textOf(done)).toContain('Parley demo review');
  });
});

describe('CalendarService memory', () => {
  it('forgets connections after their TTL and beyond the caller cap, oldest first', () => {
    let now = 0;
    const calendar = new CalendarService({
      issuer: 'http://127.0.0.1:1',
      waitMs: 1000,
      connectionTtlMs: 1000,
      maxCallers: 2,
      now: () => now,
      logger: quiet,
    });
    calendar.markConnected('a');
    calendar.markConnected('b');
    calendar.markConnected('c');
    expect(['a', 'b', 'c'].map((c) => calendar.isConnected(c))).toEqual([false, true, true]);
    calendar.rememberPending('d', 'el-d');
    expect(calendar.pendingFor('d')).toBe('el-d');
    now = 1000;
    expect(calendar.isConnected('c')).toBe(false);
    calendar.close();
  });
});
