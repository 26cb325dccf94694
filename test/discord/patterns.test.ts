/**
 * Every interaction pattern of the core, end to end on Discord: the real agent, the real demo MCP
 * server and auth server, real Redis and the scripted LLM, with only Discord faked. People act
 * the way Discord lets them — mentions and DMs over the gateway, slash commands, button clicks
 * and modal submits — and the tests read back what each person sees. The fake checks every
 * payload against Discord's limits; each test ends with no violation.
 */
import { inputRequired } from '@modelcontextprotocol/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { followSignInLink } from '../../src/auth/headless.js';
import { serverSchema } from '../../src/config.js';
import { type Conversation, sessionKey } from '../../src/conversation.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type AuthStack, startAuthStack } from '../helpers/auth-stack.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import {
  buttonLabels,
  buttons,
  type DiscordWorld,
  modalInputs,
  startDiscordWorld,
} from '../helpers/discord-world.js';
import type { FakeMessage } from '../helpers/fake-discord.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { newRedis, redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';

type Json = Record<string, unknown>;

let auth: AuthMock;
let llm: ScriptedLlm;
let mcp: DemoMcp;
const stores: RedisStore[] = [];

beforeAll(async () => {
  auth = await startAuthMock({ port: 0, autoApprove: 'alice', logger: silentLogger() });
  llm = await startScriptedLlm();
  mcp = await startDemoMcp({ authIssuer: auth.url, logger: silentLogger() });
  auth.setResources([mcp.url]);
});
afterAll(async () => {
  for (const s of stores) await s.close();
  await mcp?.close();
  await llm?.close();
  await auth?.close();
});

async function world(
  transport: 'gateway' | 'http',
  era: 'auto' | 'legacy' = 'auto',
  server = mcp,
  extra: Record<string, unknown> = {},
): Promise<DiscordWorld> {
  const store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix(`discord-${transport}-${era}`) });
  stores.push(store);
  return startDiscordWorld({
    servers: [demoServerConfig(server.url, { era, ...extra })],
    store,
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
    transport,
  });
}

const shows = (label: string) => (m: FakeMessage) => buttonLabels(m, 'shown').includes(label);
/** A message offering an interaction (its buttons); an answer's 👍/👎 don't make one. */
const offers = (m: FakeMessage) =>
  buttons(m, 'shown').some((b) => !/^parley:(good|bad):/.test(String(b.custom_id)));
const text = (re: RegExp) => (m: FakeMessage) => !offers(m) && !m.deferred && re.test(m.content);
const lastUserText = (req: { messages: Array<{ content?: string | null }> }) =>
  req.messages.at(-1)?.content ?? '';

describe('over the gateway', () => {
  let w: DiscordWorld;
  beforeAll(async () => {
    w = await world('gateway');
  });
  afterAll(async () => {
    await w?.close();
  });
  afterEach(() => {
    expect(w.fake.violations).toEqual([]);
  });

  it('answers a mention in a thread of its own, and keeps the session there', async () => {
    const ch = w.fake.guildChannel();
    llm.push({ toolCalls: [{ name: 'demo__echo', arguments: { message: 'ping' } }] }, (req) => ({
      content: `The server said: ${lastUserText(req)}`,
    }));
    await w.say('ann', ch, 'please echo ping');
    const thread = [...w.fake.channels.values()].find((c) => c.parentId === ch.id);
    expect(thread).toBeDefined();
    const reply = await w.waitForMessage('ann', [ch.id], text(/The server said: .*ping/));
    expect(reply.channelId).toBe(thread?.id);
    // Progress shows as "typing…" in the thread rather than as messages.
    expect(w.fake.calls.some((c) => c.path.endsWith(`/channels/${thread?.id}/typing`))).toBe(true);

    // A second mention inside the thread continues the same conversation.
    llm.push((req) => ({
      content: `History has ${req.messages.filter((m) => m.role === 'user').length} user turns.`,
    }));
    await w.say('ann', thread as never, 'and again?');
    const second = await w.waitForMessage('ann', [ch.id], text(/History has 2 user turns/));
    expect(second.channelId).toBe(thread?.id);
  });

  it('answers a DM in the DM, without a mention and without a thread', async () => {
    const dm = w.fake.dmChannel('dora');
    llm.push({ content: 'Hello from Parley.' });
    await w.say('dora', dm, 'hi there');
    const reply = await w.waitForMessage('dora', [dm.id], text(/Hello from Parley/));
    expect(reply.channelId).toBe(dm.id);
    expect(
      w.fake.calls.some(
        (c) => c.path.includes(`/channels/${dm.id}/messages/`) && c.path.endsWith('/threads'),
      ),
    ).toBe(false);
  });

  it('ignores guild messages that do not mention the bot, and other bots', async () => {
    const ch = w.fake.guildChannel();
    const before = w.fake.calls.length;
    await w.say('quiet', ch, 'just chatting', { mention: false });
    const botMessage = {
      ...w.fake.message('otherbot', ch, 'hi'),
      author: { id: '42', username: 'bot', bot: true },
    };
    await w.deliver(botMessage);
    expect(w.fake.calls.length).toBe(before);
  });

  it('V1 form from the LLM: Fill in, a modal, and the tool runs with the answers', async () => {
    const ch = w.fake.guildChannel();
    llm.push(
      { toolCalls: [{ name: 'demo__create_ticket', arguments: { initial_description: 'Printer on fire' } }] },
      (req) => ({ content: `Done: ${lastUserText(req)}` }),
    );
    await w.say('vic', ch, 'file a ticket: printer on fire');
    const form = await w.waitForMessage('vic', [ch.id], shows('Fill in'));
    expect(form.content).toContain('<@'); // the owner is named in a shared channel
    const result = await w.fillForm('vic', form, { reporter_name: 'Vic', priority: 'high' });
    expect(result).toMatchObject({ ok: true });
    const final = await w.waitForMessage('vic', [ch.id], text(/^Done:/));
    expect(final.content).toMatch(/T-\d+/);
    // The form's message now shows the outcome and no buttons remain.
    expect(w.fake.messages.get(form.id)?.components).toEqual([]);
    expect(w.fake.messages.get(form.id)?.content).toMatch(/Submitted/);
  });

  it('a 13-field form over three modal pages, with Continue between them and answers kept', async () => {
    const ch = w.fake.guildChannel();
    await w.command('sam', ch, 'call', { tool: 'demo__survey' });
    const form = await w.waitForMessage('sam', [ch.id], shows('Fill in'));
    const result = await w.fillForm('sam', form, {
      team_size: '12',
      interests: ['sampling'],
      subscribe: false,
    });
    expect(result.ok).toBe(true);
    expect(result.modals).toHaveLength(3);
    const pages = result.modals.map((m) => modalInputs(m).map((i) => i.id));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 3]);
    expect(pages.flat()).toHaveLength(13);
    expect(result.modals.map((m) => m.title)).toEqual([
      expect.stringMatching(/\(1\/3\)$/),
      expect.stringMatching(/\(2\/3\)$/),
      expect.stringMatching(/\(3\/3\)$/),
    ]);
    // The field kinds map onto Discord's components.
    const kinds = Object.fromEntries(result.modals.flatMap((m) => modalInputs(m).map((i) => [i.id, i.type])));
    expect(kinds).toMatchObject({
      name: 4,
      email: 4,
      subscribe: 23,
      color: 21,
      size: 21,
      plan: 21,
      languages: 22,
      interests: 22,
    });
    const answer = await w.waitForMessage('sam', [ch.id], text(/"subscribe":false/));
    expect(JSON.parse(answer.content)).toMatchObject({
      name: 'Ada Lovelace',
      team_size: 12,
      interests: ['sampling'],
      languages: ['typescript'],
      subscribe: false,
    });
  });

  it('invalid values: an ephemeral list of errors, Fix reopens the page as typed, and the resubmit goes through', async () => {
    const ch = w.fake.guildChannel();
    await w.say('fay', ch, '/call demo__survey {}');
    const form = await w.waitForMessage('fay', [ch.id], shows('Fill in'));
    const bad = await w.fillForm('fay', form, { email: 'not-an-email', birthday: 'next tuesday' });
    expect(bad.ok).toBe(false);
    expect(bad.errors).toEqual({
      email: expect.stringMatching(/email/i),
      birthday: expect.stringMatching(/YYYY-MM-DD/),
    });
    const fix = await w.waitForMessage('fay', [ch.id], (m) => m.ephemeral && shows('Fix')(m));
    expect(fix.interactionUser).toBe('fay');
    expect(w.fake.visibleTo('someone-else', [ch.id])).not.toContainEqual(
      expect.objectContaining({ id: fix.id }),
    );
    const good = await w.fillForm('fay', fix, { email: 'fay@example.com', birthday: '1991-02-03' }, 'Fix');
    expect(good.ok).toBe(true);
    // The page reopened pre-filled with what was typed before.
    const reopened = good.modals[0] as Json;
    const email = (reopened.components as Json[]).find(
      (c) => (c.component as Json).custom_id === 'email',
    ) as Json;
    expect((email.component as Json).value).toBe('not-an-email');
    const answer = await w.waitForMessage('fay', [ch.id], text(/fay@example\.com/));
    expect(JSON.parse(answer.content)).toMatchObject({ email: 'fay@example.com', birthday: '1991-02-03' });
    // The Fix message is closed too: no dead buttons.
    expect(w.fake.messages.get(fix.id)?.components).toEqual([]);
  });

  it('the whole form goes to the core once every page is answered; Fix opens the page of the first error', async () => {
    const ch = w.fake.guildChannel();
    await w.command('pia', ch, 'call', { tool: 'demo__survey' });
    const form = await w.waitForMessage('pia', [ch.id], shows('Fill in'));
    // An error on page 1 (website) and one on page 2 (team size): both reported, at the end.
    const bad = await w.fillForm('pia', form, { website: 'not a url', team_size: '0' });
    expect(bad.modals).toHaveLength(3);
    expect(bad).toMatchObject({
      ok: false,
      errors: { website: expect.any(String), team_size: expect.any(String) },
    });
    const isFix = (m: FakeMessage) => m.ephemeral && shows('Fix')(m);
    const fix1 = await w.waitForMessage('pia', [ch.id], isFix);
    // Fixing page 1 alone goes straight back to the core, which still refuses page 2's value.
    const still = await w.fillForm('pia', fix1, { website: 'https://pia.example' }, 'Fix');
    expect(still.modals.map((m) => m.title)).toEqual([expect.stringMatching(/\(1\/3\)$/)]);
    expect(still).toMatchObject({ ok: false, errors: { 'Team size': expect.any(String) } });
    const fix2 = await w.waitForMessage('pia', [ch.id], isFix, 2);
    const good = await w.fillForm('pia', fix2, { team_size: '12' }, 'Fix');
    expect(good.ok).toBe(true);
    // The page of the first error, pre-filled with what was typed.
    expect(good.modals.map((m) => m.title)).toEqual([expect.stringMatching(/\(2\/3\)$/)]);
    const teamSize = modalInputs(good.modals[0] as Json).find((i) => i.id === 'team_size');
    expect(teamSize).toBeDefined();
    const answer = await w.waitForMessage('pia', [ch.id], text(/pia\.example/));
    expect(JSON.parse(answer.content)).toMatchObject({ website: 'https://pia.example', team_size: 12 });
    for (const m of [fix1, fix2]) expect(w.fake.messages.get(m.id)?.components).toEqual([]);
  });

  it('two people in one channel: each form is its owner’s, and refusals are private', async () => {
    const ch = w.fake.guildChannel();
    await w.command('amy', ch, 'call', {
      tool: 'demo__create_ticket_v2',
      args: '{"initial_description":"Desk of Amy"}',
    });
    await w.command('bob', ch, 'call', {
      tool: 'demo__create_ticket_v2',
      args: '{"initial_description":"Chair of Bob"}',
    });
    const amyForm = await w.waitForMessage(
      'amy',
      [ch.id],
      (m) => shows('Fill in')(m) && m.content.includes('Desk of Amy'),
    );
    const bobForm = await w.waitForMessage(
      'bob',
      [ch.id],
      (m) => shows('Fill in')(m) && m.content.includes('Chair of Bob'),
    );
    const stolen = await w.fillForm('bob', amyForm, { reporter: 'Bob' });
    expect(stolen).toMatchObject({ ok: false, message: expect.stringMatching(/isn’t yours/) });
    const declined = await w.click('bob', amyForm, 'Decline');
    expect(w.fake.followUpsOf(declined)).toEqual([
      expect.objectContaining({ ephemeral: true, content: expect.stringMatching(/isn’t yours/) }),
    ]);
    expect(w.fake.visibleTo('amy', [ch.id]).some((m) => /isn’t yours/.test(m.content))).toBe(false);
    expect(await w.fillForm('amy', amyForm, { reporter: 'Amy', priority: 'low' })).toMatchObject({
      ok: true,
    });
    expect(await w.fillForm('bob', bobForm, { reporter: 'Bob', priority: 'urgent' })).toMatchObject({
      ok: true,
    });
    const amyDone = await w.waitForMessage('amy', [ch.id], text(/T-\d+: Desk of Amy/));
    const bobDone = await w.waitForMessage('bob', [ch.id], text(/T-\d+: Chair of Bob/));
    expect([amyDone.interactionUser, bobDone.interactionUser]).toEqual(['amy', 'bob']);
  });

  it('confirms a destructive tool with buttons in the thread; only the owner may answer', async () => {
    const ch = w.fake.guildChannel();
    await w.say(
      'cara',
      ch,
      '/call demo__create_ticket {"initial_description":"Old","reporter_name":"x","priority":"low"}',
    );
    const filed = await w.waitForMessage('cara', [ch.id], text(/T-\d+/));
    const id = (/T-\d+/.exec(filed.content) as RegExpExecArray)[0];
    const thread = filed.channelId;
    await w.say('cara', w.fake.channels.get(thread) as never, `/call demo__delete_ticket {"id":"${id}"}`);
    const confirm = await w.waitForMessage('cara', [ch.id], shows('Approve'));
    expect(confirm.channelId).toBe(thread);
    expect(confirm.content).toMatch(/delete_ticket/);
    const intruder = await w.click('eve', confirm, 'Approve');
    expect(w.fake.followUpsOf(intruder)[0]?.content).toMatch(/isn’t yours/);
    await w.click('cara', confirm, 'Approve');
    await w.waitForMessage('cara', [ch.id], text(new RegExp(`Deleted ticket ${id}`)));
    expect(w.fake.messages.get(confirm.id)).toMatchObject({
      components: [],
      content: expect.stringMatching(/Approved/),
    });
  });

  it('URL consent: “Open link” answers with the link privately, and the tool continues', async () => {
    const ch = w.fake.guildChannel();
    await w.say('uma', ch, '/call demo__connect_calendar {}');
    const consent = await w.waitForMessage('uma', [ch.id], shows('Open link'));
    // The channel sees the host only: the link is the owner's, handed over by "Open link".
    expect(consent.content).toContain(new URL(auth.url).host);
    expect(consent.content).not.toMatch(/https?:\/\//);
    const open = await w.click('uma', consent, 'Open link');
    const reply = w.fake.followUpsOf(open)[0] as FakeMessage;
    expect(reply.ephemeral).toBe(true);
    const link = buttons(reply).find((b) => b.style === 5) as Json;
    expect(String(link.url).startsWith(auth.url)).toBe(true);
    expect(w.fake.visibleTo('nosy', [ch.id]).some((m) => m.content.includes(String(link.url)))).toBe(false);
    expect((await fetch(String(link.url))).status).toBe(200);
    await w.waitForMessage('uma', [ch.id], text(/calendar connected/i));
    expect(w.fake.messages.get(consent.id)?.components).toEqual([]);
    expect(w.fake.messages.get(consent.id)?.content).not.toContain(String(link.url));
  });

  it('sampling: the server uses the configured LLM and the person is told', async () => {
    const ch = w.fake.guildChannel();
    await w.command('sue', ch, 'call', {
      tool: 'demo__create_ticket',
      args: '{"initial_description":"Coffee machine","reporter_name":"Sue","priority":"low"}',
    });
    await w.waitForMessage('sue', [ch.id], text(/T-\d+/));
    llm.push({ content: 'A calm week: one ticket.' });
    await w.command('sue', ch, 'call', { tool: 'demo__summarize_tickets' });
    await w.waitForMessage('sue', [ch.id], text(/used the language model/));
    await w.waitForMessage('sue', [ch.id], text(/A calm week/));
  });
});

describe('what a real MCP server asks that Discord has to adapt', () => {
  const longUrl = `https://steps.example.com/continue?token=${'t'.repeat(600)}`;
  let travel: ToolServer;
  let w: DiscordWorld;
  beforeAll(async () => {
    travel = await startToolServer(longUrl);
    const store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('discord-travel') });
    stores.push(store);
    w = await startDiscordWorld({
      servers: [serverSchema.parse({ name: 'travel', url: travel.url })],
      store,
      transport: 'gateway',
    });
  });
  afterAll(async () => {
    await w?.close();
    await travel?.close();
  });
  afterEach(() => {
    expect(w.fake.violations).toEqual([]);
  });

  it('a form Discord cannot show (a 30-option choice) is declined with the reason', async () => {
    const dm = w.fake.dmChannel('otto');
    await w.say('otto', dm, '/call travel__pick_city {}');
    // The core checks the form against what the Discord surface declares, before showing it.
    const said = await w.waitForMessage('otto', [dm.id], text(/asked for a form I can’t show/));
    expect(said.content).toMatch(/30 options, and Discord shows at most 25/);
    expect(w.fake.calls.some((c) => JSON.stringify(c.body ?? '').includes('city-29'))).toBe(false);
    // The tool hears the decline.
    await w.waitForMessage('otto', [dm.id], text(/^server got: decline$/));
  });

  it('an approval-only form (no fields) is Approve/Cancel, and answers accept', async () => {
    const ch = w.fake.guildChannel();
    await w.command('abe', ch, 'call', { tool: 'travel__approve_trip' });
    const confirm = await w.waitForMessage('abe', [ch.id], shows('Approve'));
    expect(buttonLabels(confirm)).toEqual(['Approve', 'Cancel']);
    expect(confirm.content).toMatch(/Book the trip\?/);
    await w.click('abe', confirm, 'Approve');
    await w.waitForMessage('abe', [ch.id], text(/^server got: accept$/));
    expect(w.fake.messages.get(confirm.id)?.components).toEqual([]);
  });

  it('a form that contradicts itself (5 of 3 options) is declined up front with the reason', async () => {
    const dm = w.fake.dmChannel('fia');
    await w.say('fia', dm, '/call travel__pick_many {}');
    const said = await w.waitForMessage('fia', [dm.id], text(/asked for a form I can’t show/));
    expect(said.content).toMatch(/asks for at least 5 choices of 3 options/);
    await w.waitForMessage('fia', [dm.id], text(/^server got: decline$/));
    expect(w.fake.visibleTo('fia', [dm.id]).some((m) => buttonLabels(m, 'shown').length > 0)).toBe(false);
  });

  it('a view the surface fails to show is declined by the core, with the reason, and nothing waits', async () => {
    const dm = w.fake.dmChannel('fio');
    // Discord refuses the message with the buttons (the bot may not post there any more).
    w.fake.refuseNext(
      (method, path, body) =>
        method === 'POST' &&
        path === `/channels/${dm.id}/messages` &&
        JSON.stringify(body).includes('"components"'),
    );
    await w.say('fio', dm, '/call travel__approve_trip {}');
    await w.waitForMessage('fio', [dm.id], text(/approve_trip: I couldn’t show it here, so I declined it/));
    await w.waitForMessage('fio', [dm.id], text(/^server got: decline$/));
    expect(w.fake.visibleTo('fio', [dm.id]).some((m) => buttonLabels(m, 'shown').length > 0)).toBe(false);
  });

  it('a notice is for the person only: ephemeral in a command’s reply, a plain message in a DM', async () => {
    const ch = w.fake.guildChannel();
    await w.command('nia', ch, 'call', { tool: 'travel__approve_trip' });
    await w.waitForMessage('nia', [ch.id], shows('Approve'));
    const inChannel: Conversation = {
      platform: 'discord',
      workspace: ch.guildId as string,
      channel: ch.id,
      user: w.fake.userId('nia'),
    };
    await w.adapter.surface.post(inChannel, { kind: 'notice', text: 'Only for Nia.' });
    const notice = await w.waitForMessage('nia', [ch.id], text(/^Only for Nia\.$/));
    expect(notice).toMatchObject({ ephemeral: true, interactionUser: 'nia' });
    expect(w.fake.visibleTo('someone-else', [ch.id]).some((m) => m.id === notice.id)).toBe(false);
    const dm = w.fake.dmChannel('nia');
    const inDm: Conversation = {
      platform: 'discord',
      workspace: '@me',
      channel: dm.id,
      user: inChannel.user,
    };
    await w.adapter.surface.post(inDm, { kind: 'notice', text: 'Also for Nia.' });
    expect(await w.waitForMessage('nia', [dm.id], text(/^Also for Nia\.$/))).toMatchObject({
      channelId: dm.id,
    });
  });

  it('a link longer than a Discord button takes goes through /l/:id', async () => {
    expect(longUrl.length).toBeGreaterThan(512);
    const ch = w.fake.guildChannel();
    await w.say('lin', ch, '/call travel__open_long_link {}');
    const consent = await w.waitForMessage('lin', [ch.id], shows('Open link'));
    expect(consent.content).not.toContain(longUrl);
    const open = await w.click('lin', consent, 'Open link');
    const reply = w.fake.followUpsOf(open)[0] as FakeMessage;
    expect(reply.ephemeral).toBe(true);
    const href = String(buttons(reply).find((b) => b.style === 5)?.url);
    expect(href).toMatch(new RegExp(`^${w.baseUrl}/l/[\\w-]+$`));
    const redirect = await fetch(href, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(longUrl);
    await w.waitForMessage('lin', [ch.id], text(/^server got: accept$/));
  });
});

describe('the HTTP interactions endpoint', () => {
  let w: DiscordWorld;
  beforeAll(async () => {
    w = await world('http');
  });
  afterAll(async () => {
    await w?.close();
  });
  afterEach(() => {
    expect(w.fake.violations).toEqual([]);
  });

  it('refuses unsigned or badly signed requests with 401 and answers PING', async () => {
    const ping = JSON.stringify({
      id: '1',
      type: 1,
      application_id: w.fake.applicationId,
      token: 't',
      version: 1,
    });
    expect((await w.signedPost(ping, { badSignature: true })).status).toBe(401);
    const unsigned = await fetch(`${w.baseUrl}/discord/interactions`, {
      method: 'POST',
      body: ping,
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.status).toBe(401);
    const ok = await w.signedPost(ping);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ type: 1 });
  });

  it('runs a slash command once although the same signed request arrives three times', async () => {
    const ch = w.fake.guildChannel();
    const payload = w.fake.slashCommand('rey', ch, 'call', {
      tool: 'demo__echo',
      args: '{"message":"http once"}',
    });
    const body = JSON.stringify(payload);
    const replies = await Promise.all([w.signedPost(body), w.signedPost(body), w.signedPost(body)]);
    const statuses = replies.map((r) => r.status);
    const first = replies.find((r) => r.status === 200);
    if (first) w.fake.applyResponse(payload, await first.json());
    expect(statuses.sort()).toEqual([200, 409, 409]);
    await w.agent.whenIdle();
    await w.adapter.settled();
    // The command's answer is written once (the deferred reply edited with the echo).
    await expect
      .poll(() => w.fake.calls.filter((c) => JSON.stringify(c.body ?? '').includes('http once')).length)
      .toBe(1);
  });

  it('refuses a correctly signed request whose timestamp is more than five minutes old', async () => {
    const ping = JSON.stringify({
      id: '2',
      type: 1,
      application_id: w.fake.applicationId,
      token: 't',
      version: 1,
    });
    const stale = await w.signedPost(ping, { at: Date.now() - 6 * 60_000 });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toEqual({ error: 'stale request timestamp' });
    expect((await w.signedPost(ping, { at: Date.now() - 4 * 60_000 })).status).toBe(200);
  });

  it('/ask is deferred in the HTTP reply and answered by editing it; long answers are split cleanly', async () => {
    const ch = w.fake.guildChannel();
    const para = (n: number) => `Paragraph ${n}. ${'word '.repeat(120).trim()}`;
    const code = [
      '```ts',
      ...Array.from({ length: 60 }, (_, i) => `const line${i} = ${i}; // some code`),
      '```',
    ].join('\n');
    const long = [para(1), para(2), code, para(3), para(4)].join('\n\n');
    expect(long.length).toBeGreaterThan(4000);
    llm.push({ content: long });
    const ask = await w.command('hal', ch, 'ask', { prompt: 'write a lot' });
    expect(w.fake.response(ask)).toMatchObject({ type: 5 });
    const first = await w.waitForMessage('hal', [ch.id], text(/^Paragraph 1\./));
    expect(first.id).toBe(w.fake.original(ask)?.id);
    await w.waitForMessage('hal', [ch.id], text(/Paragraph 4\./));
    const parts = w.fake.visibleTo('hal', [ch.id]).filter((m) => m.interactionUser === 'hal');
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) {
      expect(p.content.length).toBeLessThanOrEqual(2000);
      expect((p.content.match(/```/g) ?? []).length % 2).toBe(0);
    }
    const joined = parts.map((p) => p.content).join('\n');
    for (let i = 0; i < 60; i++) expect(joined).toContain(`const line${i} = ${i};`);
  });

  it('autocompletes tool names for /call', async () => {
    const ch = w.fake.guildChannel();
    const payload = w.fake.autocomplete('ivy', ch, 'call', { tool: 'ech' }, 'tool');
    await w.deliver(payload);
    expect(w.fake.response(payload)).toEqual({
      type: 8,
      data: { choices: [{ name: 'demo__echo', value: 'demo__echo' }] },
    });
  });

  it('does not offer a tool the server’s config denies', async () => {
    const denying = await world('http', 'auto', mcp, { tools: { deny: ['create_ticket'] } });
    try {
      const ch = denying.fake.guildChannel();
      const payload = denying.fake.autocomplete('ivy', ch, 'call', { tool: 'create_ticket' }, 'tool');
      await denying.deliver(payload);
      expect(denying.fake.response(payload)).toEqual({
        type: 8,
        data: { choices: [{ name: 'demo__create_ticket_v2', value: 'demo__create_ticket_v2' }] },
      });
    } finally {
      await denying.close();
    }
  });

  it('keeps a command’s interaction token no longer than it lives', async () => {
    const prefix = testKeyPrefix('discord-route-ttl');
    const store = new RedisStore({ url: redisUrl(), prefix });
    stores.push(store);
    const own = await startDiscordWorld({ servers: [demoServerConfig(mcp.url)], store, transport: 'http' });
    const redis = newRedis();
    try {
      const ch = own.fake.guildChannel();
      await own.command('tia', ch, 'call', { tool: 'demo__echo', args: '{"message":"short-lived"}' });
      await own.waitForMessage('tia', [ch.id], text(/short-lived/));
      const conversation: Conversation = {
        platform: 'discord',
        workspace: ch.guildId as string,
        channel: ch.id,
        user: own.fake.userId('tia'),
      };
      const ttl = await redis.pttl(`${prefix}discord:route:${sessionKey(conversation)}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    } finally {
      redis.disconnect();
      await own.close();
    }
  });

  it('/tools answers privately, and a form from /call works through the endpoint', async () => {
    const ch = w.fake.guildChannel();
    const tools = await w.command('ted', ch, 'tools');
    expect(w.fake.response(tools)).toMatchObject({ type: 5, data: { flags: 64 } });
    await w.waitForMessage('ted', [ch.id], text(/demo__survey/));
    expect(w.fake.visibleTo('someone-else', [ch.id]).some((m) => /demo__survey/.test(m.content))).toBe(false);
    await w.command('ted', ch, 'call', {
      tool: 'demo__create_ticket_v2',
      args: '{"initial_description":"Via HTTP"}',
    });
    const form = await w.waitForMessage('ted', [ch.id], shows('Fill in'));
    expect(await w.fillForm('ted', form, { reporter: 'Ted', priority: 'low' })).toMatchObject({ ok: true });
    await w.waitForMessage('ted', [ch.id], text(/T-\d+: Via HTTP/));
  });
});

describe('links that are personal: a retry step (-32042)', () => {
  let w: DiscordWorld;
  let own: DemoMcp;
  beforeAll(async () => {
    // A server of its own: the legacy era fails calendar_events with -32042 until consent.
    own = await startDemoMcp({ authIssuer: auth.url, logger: silentLogger() });
    auth.setResources([mcp.url, own.url]);
    w = await world('gateway', 'legacy', own);
  });
  afterAll(async () => {
    await w?.close();
    await own?.close();
  });
  afterEach(() => {
    expect(w.fake.violations).toEqual([]);
  });

  it('-32042 in a shared channel: “Show my link” reveals it privately, “Done” retries the call', async () => {
    const ch = w.fake.guildChannel();
    await w.say('rex', ch, '/call demo__calendar_events {}');
    const step = await w.waitForMessage('rex', [ch.id], shows('Show my link'));
    expect(buttonLabels(step)).toEqual(['Show my link', 'Done', 'Decline']);
    expect(step.content).not.toMatch(/https?:\/\//); // the link itself is not in the shared message
    const peek = await w.click('eve', step, 'Show my link');
    expect(w.fake.original(peek)).toMatchObject({
      ephemeral: true,
      content: expect.stringMatching(/isn’t yours/),
    });
    const reveal = await w.click('rex', step, 'Show my link');
    const mine = w.fake.original(reveal) as FakeMessage;
    expect(mine.ephemeral).toBe(true);
    const link = buttons(mine).find((b) => b.style === 5) as Json;
    expect((await fetch(String(link.url))).status).toBe(200);
    await w.click('rex', mine, 'Done');
    await w.waitForMessage('rex', [ch.id], text(/Stand-up/));
    expect(w.fake.messages.get(step.id)?.components).toEqual([]);
    expect(w.fake.messages.get(mine.id)?.components).toEqual([]);
  });

  it('legacy era: a server-initiated form is answered page by page while the tool call waits', async () => {
    const ch = w.fake.guildChannel();
    await w.command('lea', ch, 'call', {
      tool: 'demo__create_ticket_v2',
      args: '{"initial_description":"Legacy lamp"}',
    });
    const form = await w.waitForMessage('lea', [ch.id], shows('Fill in'));
    const bad = await w.fillForm('lea', form, { reporter: 'Lea', priority: 'high', due_date: 'tomorrow' });
    expect(bad).toMatchObject({ ok: false, errors: { due_date: expect.stringMatching(/YYYY-MM-DD/) } });
    const fix = await w.waitForMessage('lea', [ch.id], (m) => m.ephemeral && shows('Fix')(m));
    expect(await w.fillForm('lea', fix, { due_date: '2026-12-24' }, 'Fix')).toMatchObject({ ok: true });
    const done = await w.waitForMessage('lea', [ch.id], text(/T-\d+: Legacy lamp/));
    expect(done.content).toMatch(/high/);
  });
});

describe('sign-in (the core’s per-person OAuth)', () => {
  let w: DiscordWorld;
  let stack: AuthStack;
  beforeAll(async () => {
    // The demo auth server signs in as "alice" whoever follows the link (auto-approve).
    stack = await startAuthStack({ label: 'discord-signin' });
    const store = new RedisStore({ url: redisUrl(), prefix: stack.prefix });
    stores.push(store);
    w = await startDiscordWorld({
      servers: [stack.server],
      store,
      transport: 'http',
      signInSecret: 'discord-test-secret-0123456789abcdef',
    });
  });
  afterAll(async () => {
    await w?.close();
    await stack?.close();
  });
  afterEach(() => {
    expect(w.fake.violations).toEqual([]);
  });

  const linkOf = (m: FakeMessage) => String(buttons(m).find((b) => b.style === 5)?.url ?? '');

  it('a public /call that needs a sign-in: the link comes privately, and the call completes after it', async () => {
    const ch = w.fake.guildChannel();
    await w.command('alice', ch, 'call', { tool: 'demo__whoami' });
    const offer = await w.waitForMessage('alice', [ch.id], (m) => m.ephemeral && linkOf(m) !== '');
    expect(buttonLabels(offer)).toEqual([expect.stringMatching(/^Sign in on /), 'Decline']);
    const url = linkOf(offer);
    // Parley's start link (it names the chat user, then sends one browser on to the sign-in),
    // within the 512 characters Discord takes on a link button.
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/start\/[\w-]+$/);
    expect(url.length).toBeLessThanOrEqual(512);
    // Nobody else in the channel sees the link.
    expect(
      w.fake.visibleTo('bystander', [ch.id]).some((m) => m.id === offer.id || m.content.includes(url)),
    ).toBe(false);
    const followed = await followSignInLink(url);
    expect(followed.ok).toBe(true);
    await w.waitForMessage('alice', [ch.id], text(/signed in to \*\*Parley demo\*\*/));
    await w.waitForMessage('alice', [ch.id], text(/^alice$/));
    expect(w.fake.messages.get(offer.id)?.components).toEqual([]);
  });

  it('in a DM the sign-in link is in the message itself, the DM being private', async () => {
    const dm = w.fake.dmChannel('dan');
    await w.say('dan', dm, '/call demo__whoami {}');
    const offer = await w.waitForMessage('dan', [dm.id], (m) => linkOf(m) !== '');
    expect(offer.channelId).toBe(dm.id);
    expect(linkOf(offer)).toMatch(/\/oauth\/start\/[\w-]+$/);
    expect((await followSignInLink(linkOf(offer))).ok).toBe(true);
    await w.waitForMessage('dan', [dm.id], text(/^alice$/));
    expect(w.fake.messages.get(offer.id)?.components).toEqual([]);
  });

  it('/login from a mention in a shared channel: “Show my link” reveals it to its owner only', async () => {
    const ch = w.fake.guildChannel();
    await w.say('alice', ch, '/logout demo');
    await w.waitForMessage('alice', [ch.id], text(/Signed out of|weren’t signed in to/));
    await w.say('alice', ch, '/login demo');
    const step = await w.waitForMessage('alice', [ch.id], shows('Show my link'));
    expect(step.content).not.toMatch(/https?:\/\//);
    const peek = await w.click('mallory', step, 'Show my link');
    expect(w.fake.original(peek)?.content).toMatch(/isn’t yours/);
    const reveal = await w.click('alice', step, 'Show my link');
    const mine = w.fake.original(reveal) as FakeMessage;
    expect(mine.ephemeral).toBe(true);
    expect((await followSignInLink(linkOf(mine))).ok).toBe(true);
    await w.waitForMessage(
      'alice',
      [ch.id],
      (m) => text(/signed in to \*\*Parley demo\*\*/)(m) && m.id !== step.id,
    );
    expect(w.fake.messages.get(step.id)?.components).toEqual([]);
  });
});

interface ToolServer {
  url: string;
  close: () => Promise<void>;
}

/**
 * A small real MCP server whose tools ask what Discord has to adapt: a choice of 30 options (a
 * Discord select takes 25), an approval-only form, a choice no modal can ask (5 of 3 options) and
 * a link step whose URL is longer than a link button takes.
 */
async function startToolServer(longUrl: string): Promise<ToolServer> {
  const got = (answer: { action?: string; content?: { city?: string } }) => ({
    content: [
      {
        type: 'text' as const,
        text: `server got: ${answer.action}${answer.content?.city ? ` ${answer.content.city}` : ''}`,
      },
    ],
  });
  return startMiniMcp('travel', (server) => {
    server.registerTool('pick_city', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.city as { action?: string } | undefined;
      if (answer) return got(answer);
      const cities = Array.from({ length: 30 }, (_, i) => `city-${i}`);
      return inputRequired({
        inputRequests: {
          city: {
            method: 'elicitation/create',
            params: {
              mode: 'form',
              message: 'Where to?',
              requestedSchema: {
                type: 'object',
                properties: { city: { type: 'string', title: 'City', enum: cities } },
                required: ['city'],
              },
            },
          } as never,
        },
      });
    });
    server.registerTool('approve_trip', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.ok as { action?: string } | undefined;
      if (answer) return got(answer);
      return inputRequired({
        inputRequests: {
          ok: {
            method: 'elicitation/create',
            params: {
              mode: 'form',
              message: 'Book the trip?',
              requestedSchema: { type: 'object', properties: {} },
            },
          } as never,
        },
      });
    });
    server.registerTool('pick_many', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.stops as { action?: string } | undefined;
      if (answer) return got(answer);
      return inputRequired({
        inputRequests: {
          stops: {
            method: 'elicitation/create',
            params: {
              mode: 'form',
              message: 'Pick your stops.',
              requestedSchema: {
                type: 'object',
                properties: {
                  stops: { type: 'array', minItems: 5, items: { type: 'string', enum: ['a', 'b', 'c'] } },
                },
              },
            },
          } as never,
        },
      });
    });
    server.registerTool('open_long_link', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.step as { action?: string } | undefined;
      if (answer) return got(answer);
      return inputRequired({
        inputRequests: {
          step: {
            method: 'elicitation/create',
            params: {
              mode: 'url',
              message: 'Continue on the travel site.',
              url: longUrl,
              elicitationId: 'step-1',
            },
          } as never,
        },
      });
    });
  });
}
