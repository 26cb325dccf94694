/**
 * Many users, several processes, and everything going wrong: two agents on one Redis, 50 people
 * in the wizard at once, tampered/replayed/foreign/expired answers, schemas Parley can't show,
 * LLM errors, an MCP server that is down, and Redis going away and coming back.
 */
import { inputRequired } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent.js';
import { type ServerConfig, serverSchema } from '../../src/config.js';
import { keyFor } from '../../src/interactions/pending.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { startRedisProcess } from '../helpers/redis-process.js';
import { startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

let mcp: DemoMcp;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  mcp = await startDemoMcp({ logger: silentLogger() });
  cleanups.push(() => mcp.close());
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

type AgentExtras = Partial<ConstructorParameters<typeof Agent>[0]>;

/** A Parley process: its own agent, pool and surface, on a Redis prefix it may share. */
async function agentOn(prefix: string, servers: ServerConfig[], extra: AgentExtras = {}, redis = redisUrl()) {
  const store = new RedisStore({ url: redis, prefix, maxReconnectDelayMs: 100 });
  const surface = new RecordingSurface();
  const agent = new Agent({ store, servers, logger: silentLogger(), ...extra });
  agent.attach(surface);
  await agent.start();
  cleanups.push(async () => {
    await agent.stop();
    await store.close();
  });
  return { agent, surface, store };
}

const processOn = (prefix: string, era: 'auto' | 'legacy', extra: AgentExtras = {}) =>
  agentOn(prefix, [demoServerConfig(mcp.url, { era })], extra);

describe('several Parley processes on one Redis', () => {
  it('an MRTR form shown by one process is answered through the other', async () => {
    const prefix = testKeyPrefix('two-mrtr');
    const a = await processOn(prefix, 'auto');
    const b = await processOn(prefix, 'auto');
    await a.agent.message(
      conv('pat'),
      '/call demo__create_ticket_v2 {"initial_description":"Cross-process"}',
    );
    const form = await a.surface.waitFor('pat', 'form');
    expect(
      await b.agent.answer(form.id, conv('pat'), {
        action: 'submit',
        values: { reporter: 'Pat', priority: 'high' },
      }),
    ).toEqual({
      ok: true,
    });
    // The paused turn lives in Redis: process B resumes it and posts the result.
    const text = await b.surface.waitForText('pat', /T-\d+/);
    expect(text).toMatch(/Cross-process/);
    expect(a.surface.texts('pat').some((t) => /T-\d+/.test(t))).toBe(false);
  });

  it('a legacy elicitation answered at the non-owner is delivered to the owner', async () => {
    const prefix = testKeyPrefix('two-legacy');
    const a = await processOn(prefix, 'legacy');
    const b = await processOn(prefix, 'legacy');
    const turn = a.agent.message(
      conv('lee'),
      '/call demo__create_ticket_v2 {"initial_description":"Held by A"}',
    );
    const form = await a.surface.waitFor('lee', 'form');
    expect(
      await b.agent.answer(form.id, conv('lee'), {
        action: 'submit',
        values: { reporter: 'Lee', priority: 'low' },
      }),
    ).toEqual({
      ok: true,
    });
    await turn;
    // The tool call was waiting in process A; A finishes it.
    expect(await a.surface.waitForText('lee', /T-\d+/)).toMatch(/Held by A/);
  });

  it('with the owner stopped, the person is told the form expired', async () => {
    const prefix = testKeyPrefix('owner-gone');
    const a = await processOn(prefix, 'legacy');
    const b = await processOn(prefix, 'legacy');
    const turn = a.agent.message(
      conv('max'),
      '/call demo__create_ticket_v2 {"initial_description":"Orphan"}',
    );
    const form = await a.surface.waitFor('max', 'form');
    await a.agent.stop();
    await turn;
    const reply = await b.agent.answer(form.id, conv('max'), {
      action: 'submit',
      values: { reporter: 'Max', priority: 'low' },
    });
    expect(reply).toMatchObject({ ok: false, code: 'expired', message: expect.stringMatching(/expired/) });
    expect(b.surface.for('max')).toContainEqual({ kind: 'closed', id: form.id, outcome: 'expired' });
  });
});

describe('50 people in the wizard at once', () => {
  it.each(['auto', 'legacy'] as const)(
    'each gets exactly their own answers (%s era)',
    async (era) => {
      const { agent, surface } = await processOn(testKeyPrefix(`crowd-${era}`), era);
      const people = Array.from({ length: 50 }, (_, i) => `p${i}-${era}`);
      const name = (u: string) => `Name ${u}`;
      const runs = people.map(async (u, i) => {
        const turn = agent.message(conv(u), '/call demo__book_appointment_v2 {}');
        const f1 = await surface.waitFor(u, 'form', 1, 30_000);
        expect(await agent.answer(f1.id, conv(u), { action: 'submit', values: { name: name(u) } })).toEqual({
          ok: true,
        });
        const f2 = await surface.waitFor(u, 'form', 2, 30_000);
        expect(f2.form.message).toContain(name(u));
        const slots = f2.form.fields.find((f) => f.name === 'slot')?.options ?? [];
        const slot = slots[i % slots.length]?.value as string;
        const date = `2026-12-${String((i % 28) + 1).padStart(2, '0')}`;
        expect(await agent.answer(f2.id, conv(u), { action: 'submit', values: { date, slot } })).toEqual({
          ok: true,
        });
        const f3 = await surface.waitFor(u, 'form', 3, 30_000);
        expect(await agent.answer(f3.id, conv(u), { action: 'submit', values: { confirm: true } })).toEqual({
          ok: true,
        });
        const done = await surface.waitForText(u, /Booked:/, 30_000);
        expect(done).toBe(`Booked: ${name(u)} on ${date} at ${slot}.`);
        await turn;
      });
      await Promise.all(runs);
      // Nobody was shown anyone else's form: every step-2 and step-3 form names its own person.
      const named = surface.posts.filter(
        (p) => p.message.kind === 'form' && p.message.view.form.message.includes('Name '),
      );
      expect(named).toHaveLength(100);
      for (const p of named) {
        if (p.message.kind === 'form')
          expect(p.message.view.form.message).toContain(name(p.conversation.user));
      }
    },
    120_000,
  );
});

describe('answers that must be refused', () => {
  it('refuses tampered, foreign, replayed and expired answers, and the tool gets one answer', async () => {
    const { agent, surface } = await processOn(testKeyPrefix('refuse'), 'auto');
    await agent.message(conv('tia'), '/call demo__create_ticket_v2 {"initial_description":"Guarded"}');
    const form = await surface.waitFor('tia', 'form');
    const values = { reporter: 'Tia', priority: 'low' };

    expect(
      await agent.answer('../../etc/passwd', conv('tia'), { action: 'submit', values: values }),
    ).toMatchObject({
      ok: false,
      code: 'expired',
    });
    expect(
      await agent.answer(`${form.id.slice(0, -1)}x`, conv('tia'), { action: 'submit', values: values }),
    ).toMatchObject({
      ok: false,
      code: 'expired',
    });
    expect(await agent.answer(form.id, conv('mallory'), { action: 'submit', values: values })).toEqual({
      ok: false,
      code: 'not_yours',
      message: 'This form isn’t yours.',
    });
    expect(
      await agent.answer(
        form.id,
        { ...conv('tia'), workspace: 'OTHER' },
        { action: 'submit', values: values },
      ),
    ).toMatchObject({
      code: 'not_yours',
    });
    expect(
      await agent.answer(form.id, conv('tia'), {
        action: 'submit',
        values: { reporter: 'Tia', priority: 'nope' },
      }),
    ).toMatchObject({
      ok: false,
      code: 'invalid',
      errors: { priority: expect.any(String) },
    });

    const both = await Promise.all([
      agent.answer(form.id, conv('tia'), { action: 'submit', values: values }),
      agent.answer(form.id, conv('tia'), { action: 'submit', values: values }),
    ]);
    expect(both.filter((r) => r.ok)).toHaveLength(1);
    expect(both.find((r) => !r.ok)).toMatchObject({ code: 'used', message: 'This was already answered.' });
    await surface.waitForText('tia', /T-\d+/);
    expect(surface.texts('tia').filter((t) => /T-\d+/.test(t))).toHaveLength(1);
  });

  it('says "expired", not "already answered", for a form closed because its time ran out', async () => {
    // The showing process's expiry timer took the record (its tombstone says "expired"); the
    // answer comes in through another process, which never knew the record.
    const prefix = testKeyPrefix('lapsed-tomb');
    const a = await processOn(prefix, 'auto');
    const b = await processOn(prefix, 'auto');
    await a.agent.message(conv('lea'), '/call demo__create_ticket_v2 {"initial_description":"Lapsed"}');
    const form = await a.surface.waitFor('lea', 'form');
    const tomb = JSON.stringify({ outcome: 'expired', at: Date.now() });
    expect(
      await a.store.takeTogether([keyFor('pending', form.id)], {
        key: keyFor('done', form.id),
        value: tomb,
        ttlMs: 60_000,
      }),
    ).toBeDefined();
    expect(
      await b.agent.answer(form.id, conv('lea'), {
        action: 'submit',
        values: { reporter: 'Lea', priority: 'low' },
      }),
    ).toMatchObject({ ok: false, code: 'expired', message: /expired/ });
  });

  it('refuses an answer that arrives after the form expired', async () => {
    // A process of its own with a short TTL, so nothing else in the test races the clock.
    const { agent, surface } = await processOn(testKeyPrefix('refuse-late'), 'auto', { pendingTtlMs: 500 });
    await agent.message(conv('tia'), '/call demo__create_ticket_v2 {"initial_description":"Too late"}');
    const late = await surface.waitFor('tia', 'form');
    // The process that showed it closes it when its time is up (a tombstone saying "expired"):
    // a later answer must hear "expired", never "already answered".
    await surface.waitForText('tia', /expired before it was answered/);
    expect(
      await agent.answer(late.id, conv('tia'), {
        action: 'submit',
        values: { reporter: 'Tia', priority: 'low' },
      }),
    ).toMatchObject({
      ok: false,
      code: 'expired',
      message: /expired/,
    });
  });

  it('a legacy form that expires tells the person and cancels the tool', async () => {
    const { agent, surface } = await processOn(testKeyPrefix('expire-live'), 'legacy', { pendingTtlMs: 800 });
    const turn = agent.message(conv('eve'), '/call demo__create_ticket_v2 {"initial_description":"Slow"}');
    const form = await surface.waitFor('eve', 'form');
    await surface.waitForText('eve', /expired/);
    await turn;
    expect(surface.for('eve')).toContainEqual({ kind: 'closed', id: form.id, outcome: 'expired' });
    await surface.waitForText('eve', /cancelled/i);
  });
});

/** A small real MCP server whose tools ask for forms Parley must refuse. */
async function startOddServer(): Promise<{ url: string; close: () => Promise<void> }> {
  return startMiniMcp('odd', (server) => {
    server.registerTool('nested_form', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.q as { action?: string } | undefined;
      if (answer) return { content: [{ type: 'text', text: `server got: ${answer.action}` }] };
      return inputRequired({
        inputRequests: {
          q: {
            method: 'elicitation/create',
            params: {
              mode: 'form',
              message: 'Address?',
              requestedSchema: {
                type: 'object',
                properties: { address: { type: 'object', properties: {} } },
              },
            },
          } as never,
        },
      });
    });
    server.registerTool('broken_v1', { inputSchema: z.object({}) }, async () => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({
            type: 'elicitation',
            elicitation_type: 'form',
            fields: [{ name: 'x', type: 'hologram' }],
          }),
        },
      ],
    }));
    server.registerTool('bad_link', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.l as { action?: string } | undefined;
      if (answer) return { content: [{ type: 'text', text: `server got: ${answer.action}` }] };
      return inputRequired({
        inputRequests: {
          l: {
            method: 'elicitation/create',
            params: { mode: 'url', message: 'Go', url: 'javascript:alert(1)', elicitationId: 'e1' },
          } as never,
        },
      });
    });
  });
}

describe('an answer given the moment a form is shown', () => {
  // An adapter may answer from inside post() — Discord declines forms it can't render there. The
  // answer must reach the waiting side in both eras, never be refused as expired.
  it.each(['auto', 'legacy'] as const)('reaches the waiting call (%s era)', async (era) => {
    const prefix = testKeyPrefix(`instant-${era}`);
    const { agent, surface } = await processOn(prefix, era);
    const replies: unknown[] = [];
    const post = surface.post.bind(surface);
    surface.post = async (c, m) => {
      await post(c, m);
      if (m.kind === 'form') replies.push(await agent.answer(m.view.id, c, { action: 'decline' }));
    };
    await agent.message(conv('ivy'), '/call demo__create_ticket_v2 {"initial_description":"Instant"}');
    await surface.waitForText('ivy', /not created/i);
    expect(replies).toEqual([{ ok: true }]);
  });
});

describe('confirmation policy per server', () => {
  it.each([
    ['never', 'delete_ticket', false],
    ['always', 'echo', true],
    ['destructive', 'echo', false],
  ] as const)('confirm: %s — %s asks first: %s', async (confirm, tool, asks) => {
    const { agent, surface } = await agentOn(testKeyPrefix(`confirm-${confirm}`), [
      demoServerConfig(mcp.url, { confirm }),
    ]);
    const args = tool === 'echo' ? '{"message":"policy"}' : '{"id":"T-9999"}';
    await agent.message(conv('pol'), `/call demo__${tool} ${args}`);
    expect(surface.for('pol').some((m) => m.kind === 'confirm')).toBe(asks);
    if (!asks) expect(surface.texts('pol').at(-1)).toMatch(tool === 'echo' ? /policy/ : /T-9999/);
  });
});

describe('what Parley cannot show is declined with a reason', () => {
  it('declines malformed and unsupported forms and unsafe links, and tells the person why', async () => {
    const odd = await startOddServer();
    cleanups.push(odd.close);
    const { agent, surface } = await agentOn(testKeyPrefix('odd'), [
      serverSchema.parse({ name: 'odd', url: odd.url }),
    ]);

    await agent.message(conv('una'), '/call odd__nested_form {}');
    expect(await surface.waitForText('una', /can’t show/)).toMatch(/unsupported type "object"/);
    expect(await surface.waitForText('una', /server got/)).toBe('server got: decline');

    await agent.message(conv('una'), '/call odd__broken_v1 {}');
    expect(await surface.waitForText('una', /can't read/)).toMatch(/fields/);

    await agent.message(conv('una'), '/call odd__bad_link {}');
    expect(await surface.waitForText('una', /won’t show/)).toMatch(/http\(s\)/);
    expect(surface.texts('una').at(-1)).toBe('server got: decline');
    expect(surface.for('una').some((m) => m.kind === 'form' || m.kind === 'link')).toBe(false);
  });
});

describe('failures outside Parley', () => {
  it('an LLM error becomes a clear message, and the next turn works', async () => {
    // Two failures: the client retries a 5xx once before giving up.
    const llm = await startScriptedLlm([
      { status: 500, error: 'model exploded' },
      { status: 500, error: 'model exploded' },
      { content: 'Back again.' },
    ]);
    cleanups.push(() => llm.close());
    const { agent, surface } = await processOn(testKeyPrefix('llm-err'), 'auto', {
      llm: new OpenAiLlm({ apiKey: 'k', baseURL: llm.baseURL, model: 'm' }),
    });
    await agent.message(conv('lou'), 'hello?');
    const msg = await surface.waitForText('lou', /⚠️/);
    expect(msg).toBe('⚠️ The language model is not answering right now. Please try again in a moment.');
    expect(msg).not.toMatch(/exploded|Error:|at /);
    await agent.message(conv('lou'), 'hello again');
    await surface.waitForText('lou', /Back again\./);
  });

  it('an MCP server that is down gives a clear message', async () => {
    const { agent, surface } = await agentOn(testKeyPrefix('down'), [
      serverSchema.parse({ name: 'gone', title: 'Gone server', url: 'http://127.0.0.1:9/mcp' }),
    ]);
    await agent.message(conv('dee'), '/tools');
    expect(surface.texts('dee').at(-1)).toMatch(/couldn’t reach the MCP server "Gone server"/);
    await agent.message(conv('dee'), '/call gone__echo {}');
    expect(surface.texts('dee').at(-1)).toMatch(/^⚠️ I couldn’t reach the MCP server "Gone server"/);
  });

  it('Redis down: a clear message, and recovery when it returns', async () => {
    const redis = await startRedisProcess();
    cleanups.push(() => redis.stop());
    const { agent, surface, store } = await agentOn('rd:', [demoServerConfig(mcp.url)], {}, redis.url);
    await redis.stop();
    await agent.message(conv('ray'), '/call demo__create_ticket_v2 {"initial_description":"No storage"}');
    expect(await surface.waitForText('ray', /Storage is unavailable/)).toMatch(/^⚠️/);
    expect(surface.for('ray').some((m) => m.kind === 'form')).toBe(false);

    await redis.start();
    await expect
      .poll(
        () =>
          store.ping().then(
            () => true,
            () => false,
          ),
        { timeout: 5_000 },
      )
      .toBe(true);
    await agent.message(conv('ray'), '/call demo__create_ticket_v2 {"initial_description":"Storage back"}');
    const form = await surface.waitFor('ray', 'form');
    expect(
      await agent.answer(form.id, conv('ray'), {
        action: 'submit',
        values: { reporter: 'Ray', priority: 'low' },
      }),
    ).toEqual({
      ok: true,
    });
    await surface.waitForText('ray', /Storage back/);
  });
});
