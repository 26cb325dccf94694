/**
 * The adapter contract scenarios. Each adapter's test file calls {@link runAdapterContract} with
 * its harness; the scenarios run against the real demo MCP server and auth server and real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthMock } from '../../auth-mock/server.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoWithAuth } from '../helpers/demo.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import type { AdapterHarness, HarnessCapabilities, HarnessFactory } from './harness.js';

export function runAdapterContract(name: string, factory: HarnessFactory, caps: HarnessCapabilities): void {
  describe(`adapter contract: ${name}`, () => {
    let auth: AuthMock;
    let mcp: DemoMcp;
    let store: RedisStore;
    let h: AdapterHarness;
    let n = 0;
    /** A fresh person per scenario, so scenarios never see each other's messages. */
    const person = (label: string) => `${label}${++n}`;

    beforeAll(async () => {
      ({ auth, mcp } = await startDemoWithAuth());
      store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix(`contract-${name}`) });
      h = await factory({ servers: [demoServerConfig(mcp.url)], store, authUrl: auth.url });
    });
    afterAll(async () => {
      await h?.close();
      await store?.close();
      await mcp?.close();
      await auth?.close();
    });

    it('runs a tool directly and shows its result', async () => {
      const u = person('echo');
      await h.say(u, '/call demo__echo {"message":"contract hello"}');
      expect(await h.waitForText(u, /contract hello/)).toMatch(/contract hello/);
    });

    it('shows a form, reports invalid values per field, then completes the tool', async () => {
      const u = person('form');
      await h.say(u, '/call demo__create_ticket {"initial_description":"Desk wobbles"}');
      const form = await h.waitForForm(u);
      expect(form.fields).toEqual(expect.arrayContaining(['reporter_name', 'priority']));
      const bad = await h.submitForm(u, form, { reporter_name: '', priority: 'high' });
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.errors && Object.keys(bad.errors)).toEqual(['reporter_name']);
      expect(await h.submitForm(u, form, { reporter_name: 'Ann', priority: 'high' })).toEqual({ ok: true });
      await h.waitForText(u, /Created ticket T-\d+: Desk wobbles · priority high · reported by Ann/);
    });

    // Skipped where nothing can be answered twice (see HarnessCapabilities.canReplay).
    it.skipIf(!caps.canReplay)('refuses a replayed answer and runs the tool once', async () => {
      const u = person('replay');
      await h.say(u, '/call demo__create_ticket_v2 {"initial_description":"Once only"}');
      const form = await h.waitForForm(u);
      const values = { reporter: 'Rae', priority: 'low' };
      expect(await h.submitForm(u, form, values)).toEqual({ ok: true });
      const again = await h.submitForm(u, form, values);
      expect(again).toMatchObject({ ok: false, message: expect.stringMatching(/already answered/i) });
      await h.waitForText(u, /Created ticket T-\d+: Once only/);
      // The tool ran once: one ticket, not two (this server files tokenless modern calls as anonymous).
      const filed = (await mcp.tickets.list('anonymous')).filter((t) => t.description === 'Once only');
      expect(filed).toHaveLength(1);
    });

    it('declining a form ends the tool with a clear message', async () => {
      const u = person('decline');
      await h.say(u, '/call demo__create_ticket_v2 {"initial_description":"Never mind"}');
      const form = await h.waitForForm(u);
      expect(await h.declineForm(u, form)).toEqual({ ok: true });
      await h.waitForText(u, /^Ticket not created: you declined\.$/);
    });

    // Skipped where only one person can talk (see HarnessCapabilities.multiUser).
    it.skipIf(!caps.multiUser)(
      "refuses another person's answer and keeps the owner's form working",
      async () => {
        const owner = person('owner');
        const other = person('other');
        await h.say(owner, '/call demo__create_ticket_v2 {"initial_description":"Mine"}');
        const form = await h.waitForForm(owner);
        const stolen = await h.submitForm(other, form, { reporter: 'Mallory', priority: 'urgent' });
        expect(stolen).toMatchObject({ ok: false, message: expect.stringMatching(/isn’t yours|not yours/i) });
        expect(await h.submitForm(owner, form, { reporter: 'Olive', priority: 'low' })).toEqual({ ok: true });
        const created = await h.waitForText(owner, /Created ticket T-\d+: Mine/);
        expect(created).toMatch(/reported by Olive/);
        expect(created).not.toMatch(/Mallory/);
      },
    );

    it('walks a multi-step wizard', async () => {
      const u = person('wizard');
      await h.say(u, '/call demo__book_appointment_v2 {}');
      const f1 = await h.waitForForm(u, 1);
      expect(f1.fields).toEqual(['name']);
      expect(await h.submitForm(u, f1, { name: 'Wes' })).toEqual({ ok: true });
      const f2 = await h.waitForForm(u, 2);
      expect(f2.fields).toEqual(['date', 'slot']);
      const slot = f2.options.slot?.[0] as string;
      expect(slot).toMatch(/^\d\d:\d\d$/);
      expect(await h.submitForm(u, f2, { date: '2026-12-02', slot })).toEqual({ ok: true });
      const f3 = await h.waitForForm(u, 3);
      expect(f3.fields).toEqual(['confirm']);
      expect(await h.submitForm(u, f3, { confirm: 'true' })).toEqual({ ok: true });
      await h.waitForText(u, new RegExp(`^Booked: Wes on 2026-12-02 at ${slot}\\.$`));
    });

    it('asks before a destructive tool, and does not run it when declined', async () => {
      const u = person('confirm');
      await h.say(
        u,
        '/call demo__create_ticket {"initial_description":"Old","reporter_name":"x","priority":"low"}',
      );
      const id = (/T-\d+/.exec(await h.waitForText(u, /T-\d+/)) as RegExpExecArray)[0];
      await h.say(u, `/call demo__delete_ticket {"id":"${id}"}`);
      const c1 = await h.waitForConfirm(u, 1);
      expect(c1.text).toMatch(/delete_ticket/);
      expect(await h.answerConfirm(u, c1, false)).toEqual({ ok: true });
      await h.waitForText(u, /didn’t run/);
      await h.say(u, `/call demo__delete_ticket {"id":"${id}"}`);
      const c2 = await h.waitForConfirm(u, 2);
      expect(await h.answerConfirm(u, c2, true)).toEqual({ ok: true });
      await h.waitForText(u, new RegExp(`${id}.*deleted|deleted.*${id}`, 'i'));
    });

    it('shows a URL step with its host, and continues after consent', async () => {
      const u = person('url');
      await h.say(u, '/call demo__connect_calendar {}');
      const link = await h.waitForLink(u);
      expect(link.host).toBe(new URL(auth.url).host);
      expect(link.url.startsWith(auth.url)).toBe(true);
      expect(await h.openLink(u, link)).toEqual({ ok: true });
      expect((await fetch(link.url)).status).toBe(200); // the person's browser; auto-approve grants it
      await h.waitForText(u, /calendar connected|already connected/i);
    });
  });
}
