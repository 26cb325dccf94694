/**
 * Every interaction pattern, end to end: the real agent, the real demo MCP server and auth server,
 * real Redis, and a scripted OpenAI-compatible LLM. Each pattern runs in both protocol eras.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthMock } from '../../auth-mock/server.js';
import { Agent } from '../../src/agent.js';
import { FIELD_KINDS } from '../../src/interactions/form.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

let auth: Awaited<ReturnType<typeof startAuthMock>>;
let llm: ScriptedLlm;

beforeAll(async () => {
  auth = await startAuthMock({ port: 0, autoApprove: 'alice', logger: silentLogger() });
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await auth?.close();
  await llm?.close();
});

const eras = [
  ['modern (2026-07-28, MRTR)', 'auto'],
  ['legacy (2025-11-25, server-initiated)', 'legacy'],
] as const;

describe.each(eras)('patterns, %s', (_label, era) => {
  const surface = new RecordingSurface();
  let agent: Agent;
  let store: RedisStore;
  let mcp: DemoMcp;

  beforeAll(async () => {
    // One demo server per era: modern calls carry no session, so the server's "anonymous" caller
    // (and its calendar connection) would otherwise be shared between the two blocks.
    mcp = await startDemoMcp({ authIssuer: auth.url, logger: silentLogger() });
    auth.setResources([mcp.url]);
    store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix(`patterns-${era}`) });
    agent = new Agent({
      store,
      servers: [demoServerConfig(mcp.url, { era })],
      logger: silentLogger(),
      llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
    });
    agent.attach(surface);
    await agent.start();
  });
  // In the legacy era a turn's promise only settles once the person has answered, so tests keep
  // them here and check they all settled cleanly at the end.
  const turns: Promise<void>[] = [];
  afterAll(async () => {
    await Promise.all(turns);
    await agent.stop();
    await store.close();
    await mcp.close();
  });

  /** Creates a ticket through the agent, so the server files it under this person's connection. */
  async function fileTicket(u: string, description: string): Promise<string> {
    await agent.message(
      conv(u),
      `/call demo__create_ticket ${JSON.stringify({ initial_description: description, reporter_name: 'x', priority: 'low' })}`,
    );
    const text = await surface.waitForText(u, new RegExp(`T-\\d+.*|${description}`));
    return (/T-\d+/.exec(text) as RegExpExecArray)[0];
  }

  it('negotiates the expected era', async () => {
    const conn = await agent.pool.get('test:W1:era-probe', 'demo');
    expect(conn.era).toBe(era === 'auto' ? 'modern' : 'legacy');
  });

  it('echo: the LLM calls a tool and answers with its result', async () => {
    const u = `echo-${era}`;
    llm.push({ toolCalls: [{ name: 'demo__echo', arguments: { message: 'ping' } }] }, (req) => ({
      content: `The server said: ${req.messages.at(-1)?.content}`,
    }));
    turns.push(agent.message(conv(u), 'please echo ping'));
    await surface.waitForText(u, /The server said: .*ping/);
  });

  it('V1 legacy payload: shows the form and calls the tool again with the answers', async () => {
    const u = `v1-${era}`;
    llm.push(
      { toolCalls: [{ name: 'demo__create_ticket', arguments: { initial_description: 'Printer on fire' } }] },
      (req) => ({
        content: `Done: ${req.messages.at(-1)?.content}`,
      }),
    );
    turns.push(agent.message(conv(u), 'file a ticket: printer on fire'));
    const form = await surface.waitFor(u, 'form');
    expect(form.form.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['reporter_name', 'priority']),
    );
    const bad = await agent.answer(form.id, conv(u), {
      action: 'submit',
      values: { reporter_name: '', priority: 'galactic' },
    });
    expect(bad).toMatchObject({
      ok: false,
      code: 'invalid',
      errors: { reporter_name: expect.any(String), priority: expect.any(String) },
    });
    expect(
      await agent.answer(form.id, conv(u), {
        action: 'submit',
        values: { reporter_name: 'Ann', priority: 'high', category: 'bug' },
      }),
    ).toEqual({ ok: true });
    const final = await surface.waitForText(u, /^Done:/);
    expect(final).toMatch(/T-\d+/);
  });

  it('V2 form: create_ticket_v2 asks once and creates the ticket', async () => {
    const u = `v2-${era}`;
    turns.push(agent.message(conv(u), '/call demo__create_ticket_v2 {"initial_description":"VPN down"}'));
    const form = await surface.waitFor(u, 'form');
    const names = form.form.fields.map((f) => f.name);
    expect(names).toEqual(['reporter', 'priority', 'category', 'due_date']);
    expect(form.form.fields[1]?.options?.[0]).toEqual({ value: 'low', label: 'Low' });
    expect(
      await agent.answer(form.id, conv(u), {
        action: 'submit',
        values: {
          reporter: 'Bo',
          priority: 'urgent',
          due_date: '2026-12-24',
        },
      }),
    ).toEqual({ ok: true });
    const text = await surface.waitForText(u, /T-\d+/);
    expect(text).toMatch(/urgent/i);
  });

  it('declining a form ends the tool cleanly and tells the server', async () => {
    const u = `decline-${era}`;
    turns.push(agent.message(conv(u), '/call demo__create_ticket_v2 {"initial_description":"x"}'));
    const form = await surface.waitFor(u, 'form');
    expect(await agent.answer(form.id, conv(u), { action: 'decline' })).toEqual({ ok: true });
    await surface.waitForText(u, /not created|declined/i);
    expect(surface.for(u)).toContainEqual({ kind: 'closed', id: form.id, outcome: 'declined' });
  });

  it('multi-step wizard: three forms in turn, each built from the last answer', async () => {
    const u = `wizard-${era}`;
    turns.push(agent.message(conv(u), '/call demo__book_appointment_v2 {}'));
    const f1 = await surface.waitFor(u, 'form', 1);
    expect(f1.form.fields.map((f) => f.name)).toEqual(['name']);
    await agent.answer(f1.id, conv(u), { action: 'submit', values: { name: 'Dana' } });
    const f2 = await surface.waitFor(u, 'form', 2);
    expect(f2.form.message).toMatch(/Dana/);
    const slot = f2.form.fields.find((f) => f.name === 'slot')?.options?.[0]?.value as string;
    await agent.answer(f2.id, conv(u), { action: 'submit', values: { date: '2026-12-01', slot } });
    const f3 = await surface.waitFor(u, 'form', 3);
    expect(f3.form.fields[0]).toMatchObject({ name: 'confirm', kind: 'boolean' });
    await agent.answer(f3.id, conv(u), { action: 'submit', values: { confirm: true } });
    const done = await surface.waitForText(u, /Dana/);
    expect(done).toMatch(new RegExp(slot));
  });

  it('survey: every field kind arrives with its default, and defaults can be accepted', async () => {
    const u = `survey-${era}`;
    turns.push(agent.message(conv(u), '/call demo__survey {}'));
    const form = await surface.waitFor(u, 'form');
    const kinds = new Set(form.form.fields.map((f) => f.kind));
    for (const k of FIELD_KINDS) {
      expect(kinds, k).toContain(k);
    }
    const defaults = Object.fromEntries(
      form.form.fields.filter((f) => f.default !== undefined).map((f) => [f.name, f.default]),
    );
    expect(Object.keys(defaults).length).toBe(form.form.fields.length);
    expect(await agent.answer(form.id, conv(u), { action: 'submit', values: defaults })).toEqual({
      ok: true,
    });
    const echoed = await surface.waitForText(u, /"subscribe":true/);
    expect(JSON.parse(echoed)).toMatchObject({
      name: 'Ada Lovelace',
      languages: ['typescript'],
      team_size: 5,
    });
  });

  it('URL mode via -32042 (or its MRTR form): shows the link, continues when the person is done', async () => {
    // A server of its own: modern calls carry no identity, so a calendar connected by the consent
    // test below would make this one skip the link step.
    const own = await startDemoMcp({ authIssuer: auth.url, logger: silentLogger() });
    const ownSurface = new RecordingSurface();
    const ownAgent = new Agent({
      store,
      servers: [demoServerConfig(own.url, { era })],
      logger: silentLogger(),
    });
    ownAgent.attach(ownSurface);
    await ownAgent.start();
    try {
      const u = `urlerr-${era}`;
      const turn = ownAgent.message(conv(u), '/call demo__calendar_events {}');
      const link = await ownSurface.waitFor(u, 'link');
      expect((await fetch(link.url)).status).toBe(200);
      // A legacy server fails with -32042 (retry once done); a modern one asks in an input round.
      if (era === 'legacy') {
        expect(link.purpose).toBe('retry');
        expect(await ownAgent.answer(link.id, conv(u), { action: 'done' })).toEqual({ ok: true });
      } else {
        expect(link.purpose).toBe('consent');
        expect(await ownAgent.answer(link.id, conv(u), { action: 'open' })).toMatchObject({ ok: true });
      }
      await ownSurface.waitForText(u, /Stand-up/);
      await turn;
    } finally {
      await ownAgent.stop();
      await own.close();
    }
  });

  it('URL mode: consent by opening the link, then the tool continues', async () => {
    const u = `url-${era}`;
    turns.push(agent.message(conv(u), '/call demo__connect_calendar {}'));
    const link = await surface.waitFor(u, 'link');
    expect(link.purpose).toBe('consent');
    expect(link.host).toBe(new URL(auth.url).host);
    const opened = await agent.answer(link.id, conv(u), { action: 'open' });
    expect(opened).toMatchObject({ ok: true, url: link.url });
    // The person's browser visits the page; auto-approve mode grants it.
    expect((await fetch(link.url)).status).toBe(200);
    await surface.waitForText(u, /calendar connected/i);
  });

  it('destructive tools are confirmed first; declining does not run them', async () => {
    const u = `confirm-${era}`;
    const id = await fileTicket(u, 'old printer');
    turns.push(agent.message(conv(u), `/call demo__delete_ticket {"id":"${id}"}`));
    const c1 = await surface.waitFor(u, 'confirm', 1);
    expect(c1.message).toMatch(/delete_ticket/);
    await agent.answer(c1.id, conv(u), { action: 'decline' });
    await surface.waitForText(u, /didn’t run delete_ticket/);

    turns.push(agent.message(conv(u), `/call demo__delete_ticket {"id":"${id}"}`));
    const c2 = await surface.waitFor(u, 'confirm', 2);
    await agent.answer(c2.id, conv(u), { action: 'approve' });
    await surface.waitForText(u, new RegExp(`${id}.*deleted|deleted.*${id}`, 'i'));
  });

  it('sampling: the server uses the configured LLM and the person is told', async () => {
    const u = `sampling-${era}`;
    await fileTicket(u, 'coffee machine');
    llm.push({ content: 'A calm week: one ticket.' });
    turns.push(agent.message(conv(u), '/call demo__summarize_tickets {}'));
    await surface.waitForText(u, /used the language model/);
    await surface.waitForText(u, /A calm week/);
    const samplingRequest = llm.requests.at(-1);
    expect(samplingRequest?.max_tokens).toBeLessThanOrEqual(1024);
  });
});
