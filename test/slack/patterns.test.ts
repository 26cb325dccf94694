/**
 * Every interaction pattern of the core, end to end through Slack: a person mentions the bot in a
 * channel (or DMs it, or uses /parley), the real Bolt app receives it over Socket Mode from the
 * fake Slack, the agent runs against the real demo MCP server, auth server and Redis with a
 * scripted LLM, and the test reads what the person would see and clicks what they would click.
 */
import { inputRequired } from '@modelcontextprotocol/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ACTION } from '../../adapters/slack/messages.js';
import { startAuthMock } from '../../auth-mock/server.js';
import { serverSchema } from '../../src/config.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { type FakeMessage, FakeSlack } from '../helpers/fake-slack.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import {
  actionElement,
  actionValue,
  describeModal,
  initialValues,
  inputElement,
  SlackRig,
} from '../helpers/slack-rig.js';

let auth: Awaited<ReturnType<typeof startAuthMock>>;
let llm: ScriptedLlm;
let mcp: DemoMcp;
let store: RedisStore;
let rig: SlackRig;
let n = 0;
const person = (label: string) => `U${label.toUpperCase()}${++n}`;

beforeAll(async () => {
  auth = await startAuthMock({ port: 0, autoApprove: 'alice', logger: silentLogger() });
  llm = await startScriptedLlm();
  mcp = await startDemoMcp({ authIssuer: auth.url, logger: silentLogger() });
  auth.setResources([mcp.url]);
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('slack-patterns') });
  rig = await SlackRig.start({
    mode: 'socket',
    servers: [demoServerConfig(mcp.url)],
    store,
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
  });
});
afterAll(async () => {
  await rig?.close();
  await store?.close();
  await mcp?.close();
  await auth?.close();
  await llm?.close();
});
afterEach(() => {
  // Every block, view and text the adapter sent was checked against Slack's limits.
  expect(rig.slack.violations).toEqual([]);
});

describe('Slack over Socket Mode', () => {
  it('connects the real Bolt app to the fake Slack over a WebSocket', () => {
    expect(rig.slack.socketCount).toBe(1);
    expect(rig.slack.callsOf('apps.connections.open')).toHaveLength(1);
  });

  it('echo: answers a mention in its thread, replacing the "working" placeholder', async () => {
    const u = person('echo');
    llm.push({ toolCalls: [{ name: 'demo__echo', arguments: { message: 'ping' } }] }, (req) => ({
      content: `**The server said:** ${req.messages.at(-1)?.content}`,
    }));
    const { ts } = await rig.mention(u, 'please echo ping');
    const text = await rig.waitForText(u, /The server said/);
    // The model's Markdown goes out as written, in a markdown block Slack renders…
    expect(text).toMatch(/^\*\*The server said:\*\* .*ping/);
    const answers = rig.seenBy(u);
    expect(answers).toHaveLength(1);
    const [answer] = answers;
    expect(answer?.threadTs).toBe(ts);
    expect(answer?.history[0]?.text).toMatch(/^⏳/);
    // …and its notification fallback is the same text in mrkdwn.
    expect(answer?.text).toMatch(/^\*The server said:\* .*ping/);
    // The model's answer: the 👍/👎 follow it (test/slack/feedback.test.ts).
    expect(answer?.blocks).toEqual([
      { type: 'markdown', text: text },
      expect.objectContaining({ type: 'context_actions' }),
    ]);
  });

  it('V1 payload: Fill in opens a modal, invalid values come back inline, then the tool completes', async () => {
    const u = person('v1');
    llm.push(
      { toolCalls: [{ name: 'demo__create_ticket', arguments: { initial_description: 'Printer on fire' } }] },
      (req) => ({ content: `Done: ${req.messages.at(-1)?.content}` }),
    );
    await rig.mention(u, 'file a ticket: printer on fire');
    const message = await rig.waitForMessageWith(u, ACTION.formOpen);
    expect(message.threadTs).toBeDefined();
    const view = await rig.openForm(u, message);
    expect(view.view.notify_on_close).toBe(true);
    expect(view.view.private_metadata).toBe(actionValue(message, ACTION.formOpen));
    const { fields } = describeModal(view);
    expect(fields).toEqual(expect.arrayContaining(['reporter_name', 'priority']));
    const bad = await rig.submit(u, view, { reporter_name: '', priority: 'high' });
    expect(bad).toEqual({ ok: false, errors: { reporter_name: 'This field is required.' } });
    expect(await rig.submit(u, view, { reporter_name: 'Ann', priority: 'high' })).toEqual({ ok: true });
    expect(await rig.waitForText(u, /^Done:/)).toMatch(/^Done: Created ticket T-\d+: Printer on fire · /);
    // The offer now says what happened, without buttons.
    expect(message.text).toMatch(/Submitted/);
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('survey: every field kind gets its Slack element, defaults pre-filled and accepted', async () => {
    const u = person('survey');
    await rig.mention(u, '/call demo__survey {}');
    const view = await rig.openForm(u, await rig.waitForMessageWith(u, ACTION.formOpen));
    const kinds = Object.fromEntries(
      describeModal(view).fields.map((f) => [f, String(inputElement(view, f).type)]),
    );
    expect(kinds).toMatchObject({
      name: 'plain_text_input',
      email: 'email_text_input',
      website: 'url_text_input',
      birthday: 'datepicker',
      satisfaction: 'number_input',
      team_size: 'number_input',
      subscribe: 'checkboxes',
      color: 'radio_buttons',
      languages: 'checkboxes',
    });
    expect(Object.values(kinds)).toContain('datetimepicker');
    expect(inputElement(view, 'satisfaction')).toMatchObject({
      is_decimal_allowed: true,
      min_value: '0',
      max_value: '10',
    });
    expect(inputElement(view, 'team_size')).toMatchObject({ is_decimal_allowed: false, initial_value: '5' });
    // A required checkbox would force the box to be ticked.
    expect(inputElement(view, 'subscribe').optional).toBe(true);
    expect(await rig.submit(u, view, initialValues(view))).toEqual({ ok: true });
    const echoed = await rig.waitForText(u, /"subscribe":true/);
    expect(echoed).toMatch(/"name":"Ada Lovelace"/);
    expect(echoed).toMatch(/"team_size":5/);
  });

  it('multi-step wizard: each step is offered in the same thread as the last one ends', async () => {
    const u = person('wizard');
    const { ts } = await rig.mention(u, '/call demo__book_appointment_v2 {}');
    const m1 = await rig.waitForMessageWith(u, ACTION.formOpen, 1);
    expect(await rig.submit(u, await rig.openForm(u, m1), { name: 'Dana' })).toEqual({ ok: true });
    const m2 = await rig.waitForMessageWith(u, ACTION.formOpen, 2);
    const v2 = await rig.openForm(u, m2);
    const slot = describeModal(v2).options.slot?.[0] as string;
    expect(await rig.submit(u, v2, { date: '2026-12-01', slot })).toEqual({ ok: true });
    const m3 = await rig.waitForMessageWith(u, ACTION.formOpen, 3);
    expect(await rig.submit(u, await rig.openForm(u, m3), { confirm: 'true' })).toEqual({ ok: true });
    expect(await rig.waitForText(u, /^Booked: /)).toBe(`Booked: Dana on 2026-12-01 at ${slot}.`);
    for (const m of [m1, m2, m3]) {
      expect(m.threadTs).toBe(ts);
      await expect.poll(() => m.text).toMatch(/Submitted/);
    }
  });

  it('closing the modal cancels the form, and the offer says so', async () => {
    const u = person('close');
    await rig.mention(u, '/call demo__create_ticket_v2 {"initial_description":"Wobbly"}');
    const message = await rig.waitForMessageWith(u, ACTION.formOpen);
    const view = await rig.openForm(u, message);
    await rig.slack.closeView(u, view.id);
    await expect.poll(() => message.text).toMatch(/Cancelled/);
    expect(await rig.waitForText(u, /Ticket not created: you (declined|cancelled)/)).toBe(
      'Ticket not created: you cancelled.',
    );
  });

  it('two people in one channel: neither can open or answer the other’s form', async () => {
    const ann = person('ann');
    const bob = person('bob');
    await rig.mention(ann, '/call demo__create_ticket_v2 {"initial_description":"Desk of Ann"}');
    await rig.mention(bob, '/call demo__create_ticket_v2 {"initial_description":"Chair of Bob"}');
    const annMsg = await rig.waitForMessageWith(ann, ACTION.formOpen);
    await rig.waitForMessageWith(bob, ACTION.formOpen);
    // Bob clicks Ann's button: no modal opens for him, and only he is told why.
    const opened = rig.slack.callsOf('views.open').length;
    const refused = await rig.clickAndSee(bob, annMsg, ACTION.formOpen);
    expect(refused).toEqual({ ok: false, message: 'This form isn’t yours.' });
    expect(rig.slack.callsOf('views.open')).toHaveLength(opened);
    expect(rig.slack.openViews(bob)).toEqual([]);
    expect(rig.slack.visibleTo(ann, (m) => m.text === 'This form isn’t yours.')).toEqual([]);
    // A forged submit with Ann's form id is refused too, and Ann's form still works.
    const annView = await rig.openForm(ann, annMsg);
    const forged = await rig.submit(bob, annView, { reporter: 'Mallory', priority: 'urgent' });
    expect(forged).toMatchObject({ ok: false, message: expect.stringMatching(/isn’t yours/) });
    expect(await rig.submit(ann, annView, { reporter: 'Ann', priority: 'low' })).toEqual({ ok: true });
    expect(await rig.waitForText(ann, /T-\d+/)).toMatch(
      /^Created ticket T-\d+: Desk of Ann · priority low · reported by Ann/,
    );
    expect(rig.textsSeenBy(bob).join('\n')).not.toMatch(/Desk of Ann/);
  });

  it('a retried event delivery is answered once', async () => {
    const u = person('retry');
    const channel = 'CRETRY';
    const sent = await rig.mention(u, '/call demo__echo {"message":"only once"}', channel);
    const retry = await rig.slack.sendEvent(sent.event, { eventId: sent.eventId, retryNum: 1 });
    expect(retry.status).toBe(200);
    await rig.waitForText(u, /only once/);
    await rig.adapter.idle();
    expect(rig.seenBy(u).filter((m) => /only once/.test(m.text))).toHaveLength(1);
  });

  it('a mention in a DM comes as two events (app_mention and message.im) and is answered once', async () => {
    const u = person('overlap');
    const sent = await rig.slack.dm(
      u,
      `<@${rig.slack.botUserId}> /call demo__echo {"message":"just the one"}`,
    );
    const mention = await rig.slack.sendEvent({ ...sent.event, type: 'app_mention' });
    expect(mention.status).toBe(200);
    await rig.waitForText(u, /just the one/);
    await rig.adapter.idle();
    expect(rig.seenBy(u).filter((m) => /just the one/.test(m.text))).toHaveLength(1);
  });

  it('destructive tools: Confirm / Cancel, for the owner only', async () => {
    const u = person('confirm');
    const other = person('other');
    await rig.mention(
      u,
      '/call demo__create_ticket {"initial_description":"Old","reporter_name":"x","priority":"low"}',
    );
    const id = (/T-\d+/.exec(await rig.waitForText(u, /T-\d+/)) as RegExpExecArray)[0];
    await rig.mention(u, `/call demo__delete_ticket {"id":"${id}"}`);
    const c1 = await rig.waitForMessageWith(u, ACTION.confirmYes, 1);
    expect(FakeSlack.said(c1)[0]).toMatch(/delete_ticket/);
    expect(await rig.clickAndSee(other, c1, ACTION.confirmYes)).toMatchObject({
      ok: false,
      message: /isn’t yours/,
    });
    expect(await rig.clickAndSee(u, c1, ACTION.confirmNo)).toEqual({ ok: true });
    await rig.waitForText(u, /didn’t run/);
    await rig.mention(u, `/call demo__delete_ticket {"id":"${id}"}`);
    const c2 = await rig.waitForMessageWith(u, ACTION.confirmYes, 2);
    expect(await rig.clickAndSee(u, c2, ACTION.confirmYes)).toEqual({ ok: true });
    expect(c2.text).toMatch(/Confirmed/);
    expect(await rig.waitForText(u, /Deleted ticket/)).toBe(`Deleted ticket ${id}.`);
  });

  it('URL consent: a private link showing its host; the click is the consent', async () => {
    const u = person('url');
    const { ts } = await rig.mention(u, '/call demo__connect_calendar {}');
    const link = await rig.waitForMessageWith(u, ACTION.linkOpen);
    expect(link.ephemeralTo).toBe(u);
    expect(link.threadTs).toBe(ts);
    const button = actionElement(link, ACTION.linkOpen);
    expect((button.text as { text: string }).text).toBe(`Open ${new URL(auth.url).host}`);
    expect(String(button.url).startsWith(auth.url)).toBe(true);
    expect(await rig.clickAndSee(u, link, ACTION.linkOpen)).toEqual({ ok: true });
    expect(link.text).toMatch(/Link opened/);
    expect((await fetch(String(button.url))).status).toBe(200); // the person's browser
    await rig.waitForText(u, /calendar connected|already connected/i);
  });

  it('sampling: the server uses the LLM and the person is told', async () => {
    const u = person('sampling');
    // A ticket of its own first, so there is something to summarize.
    const { ts } = await rig.mention(
      u,
      '/call demo__create_ticket {"initial_description":"Coffee machine","reporter_name":"Sue","priority":"low"}',
    );
    await rig.waitForText(u, /^Created ticket T-\d+: Coffee machine/);
    llm.push({ content: 'A calm week: one ticket.' });
    await rig.reply(u, ts, '/call demo__summarize_tickets {}');
    await rig.waitForText(u, /used the language model/);
    expect(await rig.waitForText(u, /A calm week/)).toMatch(/^Summary \(by .+\): A calm week: one ticket\.$/);
  });

  it('a direct message is answered in the DM, and long answers are split at Slack’s limits', async () => {
    const u = person('dm');
    // ~30,000 characters: more than two messages' worth of markdown blocks (12,000 each).
    const long = Array.from({ length: 300 }, (_, i) => `Paragraph ${i}: ${'words '.repeat(15)}`).join('\n\n');
    llm.push({ content: long });
    await rig.slack.dm(u, 'write me a lot');
    const markdown = (m: FakeMessage) => FakeSlack.markdownOf(m.blocks) ?? '';
    await expect
      .poll(
        () =>
          rig
            .seenBy(u)
            .filter((m) => m.channel === rig.slack.dmChannel(u) && /Paragraph 299/.test(markdown(m))).length,
        { timeout: 30_000 },
      )
      .toBe(1);
    const parts = rig.seenBy(u).filter((m) => /^Paragraph/.test(markdown(m)));
    expect(parts.length).toBe(3);
    for (const p of parts) {
      expect(markdown(p).length).toBeLessThanOrEqual(12_000);
      expect(p.text.length).toBeLessThanOrEqual(4000);
      expect(p.threadTs).toBeUndefined();
    }
    // Nothing lost or repeated: only the whitespace at the cuts differs.
    const words = (s: string) => s.split(/\s+/).filter(Boolean);
    expect(words(parts.map(markdown).join(' '))).toEqual(words(long));
  });

  it('/parley: subcommands map to the agent’s commands; forms and answers are private', async () => {
    const u = person('slash');
    const channel = 'CSLASH';
    const help = await rig.slack.command(u, channel, 'help');
    expect(help.status).toBe(200);
    await expect
      .poll(() => rig.slack.visibleTo(u, (m) => /Parley.*puts MCP tools/s.test(m.text)).length)
      .toBe(1);

    const ack = await rig.slack.command(
      u,
      channel,
      'call demo__create_ticket_v2 {“initial_description”:“Slash”}',
    );
    expect(ack.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/Working/) });
    const message = await rig.waitForMessageWith(u, ACTION.formOpen);
    expect(message.ephemeralTo).toBe(u);
    const view = await rig.openForm(u, message);
    expect(await rig.submit(u, view, { reporter: 'Sol', priority: 'low' })).toEqual({ ok: true });
    // The ephemeral offer is rewritten through the click's response_url.
    await expect.poll(() => message.text).toMatch(/Submitted/);
    const answer = await rig.waitForText(u, /T-\d+/);
    expect(rig.slack.visibleTo('USOMEONEELSE', (m) => m.channel === channel && m.text === answer)).toEqual(
      [],
    );
  });
});

describe('a choice with more than 100 options, asked by a real MCP server', () => {
  const options = Array.from({ length: 150 }, (_, i) => ({
    value: `option-${i}-${'v'.repeat(80)}`,
    label: `City number ${i} ${'with a very long name '.repeat(4)}`,
  }));
  let cities: ChoiceServer;
  let citiesRig: SlackRig;
  beforeAll(async () => {
    cities = await startChoiceServer(options);
    citiesRig = await SlackRig.start({
      mode: 'socket',
      servers: [serverSchema.parse({ name: 'cities', url: cities.url })],
      store,
    });
  });
  afterAll(async () => {
    await citiesRig?.close();
    await cities?.close();
  });
  afterEach(() => {
    expect(citiesRig.slack.violations).toEqual([]);
  });

  it('uses type-ahead, and long values travel by index back to the tool', async () => {
    const u = person('many');
    await citiesRig.mention(u, '/call cities__pick_a_city_from_the_list {}');
    const view = await citiesRig.openForm(u, await citiesRig.waitForMessageWith(u, ACTION.formOpen));
    // The form's title (server · tool) is longer than a modal title may be.
    expect((view.view.title as { text: string }).text).toBe('cities · pick_a_city_fr…');
    expect(inputElement(view, 'city').type).toBe('external_select');
    const suggested = await citiesRig.slack.suggest(u, view.id, 'city', 'number 14');
    const list = (suggested.body as { options: Array<{ value: string; text: { text: string } }> }).options;
    expect(list.map((o) => o.value)).toEqual([
      '#14',
      '#140',
      '#141',
      '#142',
      '#143',
      '#144',
      '#145',
      '#146',
      '#147',
      '#148',
      '#149',
    ]);
    expect(list[0]?.text.text.length).toBeLessThanOrEqual(75);
    expect(await citiesRig.submit(u, view, { city: '#141' })).toEqual({ ok: true });
    // The tool got the real option value back, validated against the original options.
    expect(await citiesRig.waitForText(u, /^server got:/)).toBe(`server got: accept ${options[141]?.value}`);
  });
});

describe('Slack with a legacy-era server (answers reach a live request)', () => {
  let legacyMcp: DemoMcp;
  let legacyRig: SlackRig;
  beforeAll(async () => {
    // A server of its own: the calendar connection made above must not skip the link step here.
    legacyMcp = await startDemoMcp({ authIssuer: auth.url, logger: silentLogger() });
    auth.setResources([mcp.url, legacyMcp.url]);
    legacyRig = await SlackRig.start({
      mode: 'socket',
      servers: [demoServerConfig(legacyMcp.url, { era: 'legacy' })],
      store,
    });
  });
  afterAll(async () => {
    await legacyRig?.close();
    await legacyMcp?.close();
  });
  afterEach(() => {
    expect(legacyRig.slack.violations).toEqual([]);
  });

  it('a form submitted in Slack answers the server’s waiting elicitation', async () => {
    const u = person('live');
    await legacyRig.mention(u, '/call demo__create_ticket_v2 {"initial_description":"Live one"}');
    const message = await legacyRig.waitForMessageWith(u, ACTION.formOpen);
    const view = await legacyRig.openForm(u, message);
    expect(await legacyRig.submit(u, view, { reporter: 'Liv', priority: 'urgent' })).toEqual({ ok: true });
    expect(await legacyRig.waitForText(u, /T-\d+/)).toMatch(/urgent/i);
    await expect.poll(() => message.text).toMatch(/Submitted/);
  });

  it('-32042: a private link with a Done button; Done retries the call', async () => {
    const u = person('retrylink');
    await legacyRig.mention(u, '/call demo__calendar_events {}');
    const link = await legacyRig.waitForMessageWith(u, ACTION.linkOpen);
    expect(link.ephemeralTo).toBe(u);
    const url = String(actionElement(link, ACTION.linkOpen).url);
    // Opening a retry link is not an answer: the person says when they are done.
    await legacyRig.slack.click(u, link, ACTION.linkOpen);
    expect((await fetch(url)).status).toBe(200);
    expect(await legacyRig.clickAndSee(u, link, ACTION.linkDone)).toEqual({ ok: true });
    expect(link.text).toMatch(/Done/);
    await legacyRig.waitForText(u, /Stand-up/);
  });
});

interface ChoiceServer {
  url: string;
  close: () => Promise<void>;
}

/** A small real MCP server whose one tool asks, by elicitation, to pick one of `options`. */
async function startChoiceServer(options: Array<{ value: string; label: string }>): Promise<ChoiceServer> {
  return startMiniMcp('cities', (server) => {
    server.registerTool('pick_a_city_from_the_list', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.city as
        | { action?: string; content?: { city?: string } }
        | undefined;
      if (answer)
        return { content: [{ type: 'text', text: `server got: ${answer.action} ${answer.content?.city}` }] };
      return inputRequired({
        inputRequests: {
          city: {
            method: 'elicitation/create',
            params: {
              mode: 'form',
              message: 'Pick one.',
              requestedSchema: {
                type: 'object',
                properties: {
                  city: {
                    type: 'string',
                    title: 'City',
                    oneOf: options.map((o) => ({ const: o.value, title: o.label })),
                  },
                },
                required: ['city'],
              },
            },
          } as never,
        },
      });
    });
  });
}
