import { type Client, type ElicitRequest, UrlElicitationRequiredError } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalendarService } from '../../mcp-server/calendar.js';
import {
  callToolManually,
  connectTestClient,
  ERAS,
  isInputRequiredResult,
  textOf,
} from '../helpers/mcp-client.js';
import { type DemoServerFixture, startDemoServerFixture } from '../helpers/mcp-demo-server.js';

type UrlParams = Extract<ElicitRequest['params'], { mode: 'url' }>;

/** The consent id, read the way a person's browser would: from the URL's query. */
function consentId(url: string, issuer: string): string {
  const parsed = new URL(url);
  expect(`${parsed.origin}${parsed.pathname}`).toBe(`${issuer}/calendar/connect`);
  const id = parsed.searchParams.get('elicitation_id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return id ?? '';
}

// Each test gets its own server: modern callers without a token all share the identity
// "anonymous", so one test's connected calendar would leak into the next.
let fx: DemoServerFixture;
const clients: Client[] = [];
beforeEach(async () => {
  fx = await startDemoServerFixture({ calendarWaitMs: 2000 });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await fx.close();
});

describe.each(ERAS)('connect_calendar (URL mode), %s era', (era) => {
  async function connectWith(decision: 'approved' | 'denied' | 'accept-only' | 'decline' | 'cancel') {
    const shown: UrlParams[] = [];
    const completed: string[] = [];
    const client = await connectTestClient(fx.server.url, {
      era,
      onElicitationComplete: (id) => completed.push(id),
      onElicit: (params) => {
        if (params.mode !== 'url') throw new Error('expected URL mode');
        shown.push(params);
        if (decision === 'decline' || decision === 'cancel') return { action: decision };
        const id = consentId(params.url, fx.issuer.url);
        // The person opens the page and decides a little later; the server must be polling.
        if (decision !== 'accept-only') setTimeout(() => fx.issuer.decide(id, decision), 400);
        return { action: 'accept' };
      },
    });
    clients.push(client);
    const result = await client.callTool({ name: 'connect_calendar', arguments: {} });
    return { client, result, shown, completed };
  }

  it('connects once the consent page is approved', async () => {
    const { client, result, shown, completed } = await connectWith('approved');
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('Calendar connected.');
    expect(shown).toHaveLength(1);
    const id = consentId(shown[0]?.url ?? '', fx.issuer.url);
    expect(fx.issuer.statusChecks(id)).toBeGreaterThan(1);
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

  it('reports a denial, a decline, a cancel and a timeout clearly', async () => {
    const denied = await connectWith('denied');
    expect(textOf(denied.result)).toBe('Calendar not connected: access was denied on the consent page.');

    const declined = await connectWith('decline');
    expect(textOf(declined.result)).toBe('Calendar not connected: you declined.');
    const cancelled = await connectWith('cancel');
    expect(textOf(cancelled.result)).toBe('Calendar not connected: you cancelled.');

    const timedOut = await connectWith('accept-only');
    expect(timedOut.result.isError).toBe(true);
    expect(textOf(timedOut.result)).toContain('in time');
  });

  it('reports progress while the person decides, when the client asks for it', async () => {
    const progress: number[] = [];
    const client = await connectTestClient(fx.server.url, {
      era,
      onElicit: (params) => {
        if (params.mode !== 'url') throw new Error('expected URL mode');
        const id = consentId(params.url, fx.issuer.url);
        setTimeout(() => fx.issuer.decide(id, 'approved'), 1400);
        return { action: 'accept' };
      },
    });
    clients.push(client);
    const result = await client.callTool(
      { name: 'connect_calendar', arguments: {} },
      { onprogress: (p) => progress.push(p.progress), resetTimeoutOnProgress: true },
    );
    expect(textOf(result)).toBe('Calendar connected.');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toBeGreaterThanOrEqual(1);
  });

  it('refuses a client that cannot open URLs', async () => {
    const client = await connectTestClient(fx.server.url, { era, elicitation: 'form' });
    clients.push(client);
    const result = await client.callTool({ name: 'connect_calendar', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('URL elicitation');
  });
});

describe('calendar_events, legacy era: -32042 until connected', () => {
  it('fails with URL elicitation required, then succeeds on retry after consent', async () => {
    const completed: string[] = [];
    const client = await connectTestClient(fx.server.url, {
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
    const id = consentId(elicitation?.url ?? '', fx.issuer.url);
    expect(elicitation).toMatchObject({ mode: 'url', elicitationId: id });

    // Retrying before anyone approved still points at the same page.
    const again = await client.callTool({ name: 'calendar_events', arguments: {} }).catch((e: unknown) => e);
    expect((again as UrlElicitationRequiredError).elicitations[0]?.elicitationId).toBe(id);

    fx.issuer.decide(id, 'approved');
    const retried = await client.callTool({ name: 'calendar_events', arguments: {} });
    expect(retried.isError).toBeFalsy();
    expect(textOf(retried)).toContain('Stand-up with you');
    expect(retried.structuredContent).toMatchObject({ events: expect.arrayContaining([expect.any(Object)]) });
    expect(completed).toEqual([id]);
  });
});

describe('calendar_events, modern era: URL elicitation rides an input_required round', () => {
  it('asks for consent and lists events once approved (auto rounds)', async () => {
    const client = await connectTestClient(fx.server.url, {
      era: 'modern',
      onElicit: (params) => {
        if (params.mode !== 'url') throw new Error('expected URL mode');
        fx.issuer.decide(consentId(params.url, fx.issuer.url), 'approved');
        return { action: 'accept' };
      },
    });
    clients.push(client);
    const result = await client.callTool({ name: 'calendar_events', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('Ticket triage');
  });

  it('works through manual rounds: input_required, consent in the browser, resume', async () => {
    const client = await connectTestClient(fx.server.url, { era: 'modern', autoFulfill: false });
    clients.push(client);
    const first = await callToolManually(client, 'calendar_events', {});
    if (!isInputRequiredResult(first)) throw new Error('expected input_required');
    const request = first.inputRequests?.consent;
    expect(request?.method).toBe('elicitation/create');
    const params = request?.params as UrlParams;
    expect(params.mode).toBe('url');
    const id = consentId(params.url, fx.issuer.url);
    expect(first.requestState).toEqual(expect.any(String));

    fx.issuer.decide(id, 'approved');
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
      logger: pino({ level: 'silent' }),
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
