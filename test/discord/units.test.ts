/**
 * The Discord adapter's pure parts: splitting long answers (with the shared text helpers), planning forms into modal pages (and
 * refusing what Discord can't show), reading modal values back, custom_ids, signatures, command
 * registration against the fake, and the limits validator itself — which must catch what Discord
 * would reject, or the end-to-end tests prove nothing.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandDefinitions, commandText } from '../../adapters/discord/commands.js';
import {
  buildModal,
  DISCORD_CAPABILITIES,
  modalValues,
  pageAnswers,
  planForm,
} from '../../adapters/discord/forms.js';
import { buttonId, modalId, parseCustomId } from '../../adapters/discord/ids.js';
import { discordSettingsFromEnv } from '../../adapters/discord/index.js';
import { registerCommands } from '../../adapters/discord/register.js';
import { consentMessage } from '../../adapters/discord/render.js';
import { freshTimestamp, publicKeyFromHex, verifySignature } from '../../adapters/discord/signature.js';
import { clip, splitMessage } from '../../adapters/discord/text.js';
import { formProblem } from '../../src/interactions/capabilities.js';
import type { FormField, FormSpec } from '../../src/interactions/form.js';
import { checkInteractionResponse, checkRestCall } from '../helpers/discord-limits.js';
import { type FakeDiscord, startFakeDiscord } from '../helpers/fake-discord.js';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const options = (n: number, value = (i: number) => `v${i}`) =>
  Array.from({ length: n }, (_, i) => ({ value: value(i), label: `Option ${i}` }));
const field = (f: Partial<FormField> & Pick<FormField, 'name' | 'kind'>): FormField => ({
  label: f.name,
  required: false,
  ...f,
});
const form = (...fields: FormField[]): FormSpec => ({ title: 'A form', message: 'Please answer.', fields });

// The shared text helpers of src/text.ts, as both adapters use them (Discord at 2,000 characters,
// Slack at 3,900).
describe("Discord's text wrappers", () => {
  it('never sends an empty message and collapses whitespace when clipping', () => {
    expect(splitMessage('  \n ')).toEqual(['\u200b']);
    expect(clip('  a\n\nlong   label text ', 9)).toBe('a long l…');
  });
});

describe('planForm and modals', () => {
  it('maps each field kind onto the component the notes call for', () => {
    const spec = form(
      field({ name: 'title', kind: 'text', required: true, maxLength: 80 }),
      field({ name: 'body', kind: 'text', maxLength: 3000 }),
      field({ name: 'agree', kind: 'boolean' }),
      field({ name: 'sure', kind: 'boolean', required: true }),
      field({ name: 'one', kind: 'select', options: options(1) }),
      field({ name: 'few', kind: 'select', options: options(4) }),
      field({ name: 'many', kind: 'select', options: options(25) }),
      field({ name: 'tags', kind: 'multiselect', options: options(10), maxItems: 3 }),
      field({ name: 'lots', kind: 'multiselect', options: options(20), minItems: 2 }),
      field({ name: 'when', kind: 'date' }),
      field({ name: 'n', kind: 'integer', minimum: 1, maximum: 9 }),
    );
    const planned = planForm(spec);
    if (!planned.ok) throw new Error(planned.reason);
    const widgets = Object.fromEntries(planned.plan.pages.flat().map((p) => [p.field.name, p.widget]));
    expect(widgets).toEqual({
      title: 'text',
      body: 'paragraph',
      agree: 'checkbox',
      sure: 'yesno',
      one: 'select',
      few: 'radio',
      many: 'select',
      tags: 'checkboxes',
      lots: 'multiselect',
      when: 'text',
      n: 'text',
    });
    expect(planned.plan.pages.map((p) => p.length)).toEqual([5, 5, 1]);
    // Every page's modal meets Discord's limits.
    for (const [i] of planned.plan.pages.entries()) {
      const modal = buildModal(ID, spec, planned.plan, i, {
        few: 'v2',
        tags: ['v1', 'v3'],
        sure: true,
        n: 4,
      });
      expect(checkInteractionResponse({ type: 9, data: modal })).toEqual([]);
    }
  });

  it('refuses what Discord cannot show, with a reason', () => {
    expect(
      planForm(form(field({ name: 'city', kind: 'select', label: 'City', options: options(26) }))),
    ).toEqual({
      ok: false,
      reason: 'field "City" has 26 options; Discord shows at most 25',
    });
    expect(planForm(form(field({ name: 'essay', kind: 'text', minLength: 5000 })))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/5000 characters/),
    });
    const longLabel = [
      { value: 'a', label: 'L'.repeat(101) },
      { value: 'b', label: 'B' },
    ];
    expect(planForm(form(field({ name: 'x', kind: 'select', options: longLabel })))).toMatchObject({
      ok: false,
    });
    expect(planForm(form())).toMatchObject({ ok: false, reason: 'the form has no fields' });
  });

  it('declares to the core what it can show, and can show every form at those limits', () => {
    const atLimits = form(
      ...Array.from({ length: 30 }, (_, i) => field({ name: `f${i}`, kind: 'text', minLength: 4000 })),
      field({
        name: 'pick',
        kind: 'select',
        options: options(25, (i) => `v${i}`).map((o) => ({ ...o, label: 'L'.repeat(100) })),
      }),
      field({ name: 'tags', kind: 'multiselect', options: options(25) }),
    );
    // The core's check passes it, and Discord plans it into pages of five.
    expect(formProblem(atLimits, DISCORD_CAPABILITIES, 'discord')).toBeUndefined();
    const planned = planForm(atLimits);
    if (!planned.ok) throw new Error(planned.reason);
    expect(planned.plan.pages).toHaveLength(7);
    // One past each limit is refused by the core before anything is shown.
    const over = [
      form(field({ name: 'city', kind: 'select', label: 'City', options: options(26) })),
      form(field({ name: 'x', kind: 'select', options: [{ value: 'a', label: 'L'.repeat(101) }] })),
      form(field({ name: 'essay', kind: 'text', minLength: 4001 })),
    ];
    for (const f of over) expect(formProblem(f, DISCORD_CAPABILITIES, 'discord')).toMatch(/Discord/);
  });

  it('keeps long labels and help texts readable: clipped in the modal, whole in the message', () => {
    const label = 'What is the full legal name of the person who reported this problem to you?';
    const planned = planForm(form(field({ name: 'who', kind: 'text', label, description: 'd'.repeat(150) })));
    if (!planned.ok) throw new Error(planned.reason);
    const p = planned.plan.pages[0]?.[0];
    expect(p?.label.length).toBeLessThanOrEqual(45);
    expect(p?.description?.length).toBeLessThanOrEqual(100);
    expect(planned.plan.notes.join('\n')).toContain(label);
    expect(planned.plan.notes.join('\n')).toContain('d'.repeat(150));
  });

  it('sends option values too long for Discord as indexes and maps them back', () => {
    const long = (i: number) => `urn:${'x'.repeat(120)}:${i}`;
    const spec = form(field({ name: 'pick', kind: 'select', options: options(3, long) }));
    const planned = planForm(spec);
    if (!planned.ok) throw new Error(planned.reason);
    const modal = buildModal(ID, spec, planned.plan, 0, {});
    expect(checkInteractionResponse({ type: 9, data: modal })).toEqual([]);
    const page = planned.plan.pages[0] ?? [];
    const raw = modalValues({
      custom_id: modalId(ID, 0),
      components: [{ type: 18, id: 1, component: { type: 21, custom_id: 'pick', value: '#2' } }],
    } as never);
    expect(pageAnswers(page, raw)).toEqual({ pick: long(2) });
  });

  it('reads every component type of a modal submit back into neutral values', () => {
    const spec = form(
      field({ name: 'name', kind: 'text' }),
      field({ name: 'ok', kind: 'boolean' }),
      field({ name: 'sure', kind: 'boolean', required: true }),
      field({ name: 'colour', kind: 'select', options: options(3) }),
      field({ name: 'tags', kind: 'multiselect', options: options(3) }),
    );
    const planned = planForm(spec);
    if (!planned.ok) throw new Error(planned.reason);
    const raw = modalValues({
      custom_id: modalId(ID, 0),
      components: [
        { type: 18, id: 1, component: { type: 4, custom_id: 'name', value: '  Ada ' } },
        { type: 18, id: 2, component: { type: 23, custom_id: 'ok', value: false } },
        { type: 18, id: 3, component: { type: 21, custom_id: 'sure', value: 'yes' } },
        { type: 18, id: 4, component: { type: 21, custom_id: 'colour', value: null } },
        { type: 18, id: 5, component: { type: 22, custom_id: 'tags', values: ['v0', 'v2'] } },
      ],
    } as never);
    expect(pageAnswers(planned.plan.pages[0] ?? [], raw)).toEqual({
      name: '  Ada ',
      ok: false,
      sure: true,
      tags: ['v0', 'v2'],
    });
  });
});

describe('custom ids, commands, signatures, settings', () => {
  it('round-trips custom ids within Discord’s 100 characters', () => {
    const id = buttonId('fill', ID, 2);
    expect(id.length).toBeLessThanOrEqual(100);
    expect(parseCustomId(id)).toEqual({ type: 'button', action: 'fill', id: ID, page: 2 });
    expect(parseCustomId(modalId(ID, 1))).toEqual({ type: 'modal', id: ID, page: 1 });
    expect(parseCustomId('someone-else:thing')).toBeUndefined();
    expect(parseCustomId('parley:explode:x')).toBeUndefined();
  });

  it('maps slash commands onto the agent’s text commands', () => {
    expect(commandText('ask', { prompt: 'hi' })).toBe('hi');
    expect(commandText('call', { tool: 'demo__echo', args: '{"a":1}' })).toBe('/call demo__echo {"a":1}');
    expect(commandText('call', { tool: 'demo__echo' })).toBe('/call demo__echo');
    expect(commandText('login', { server: 'demo' })).toBe('/login demo');
    expect(commandText('logout', { server: 'demo' })).toBe('/logout demo');
    expect(commandText('reset', {})).toBe('/reset');
    expect(commandText('tools', {})).toBe('/tools');
    expect(commandText('nope', {})).toBeUndefined();
    expect(commandDefinitions().map((c) => c.name)).toEqual([
      'ask',
      'tools',
      'call',
      'login',
      'logout',
      'reset',
      'Ask Parley about this',
    ]);
  });

  it('verifies Ed25519 signatures over timestamp + body, and that the timestamp is fresh', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const hex = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');
    const key = publicKeyFromHex(hex);
    const body = Buffer.from('{"type":1}');
    const sig = sign(null, Buffer.concat([Buffer.from('123'), body]), privateKey).toString('hex');
    expect(verifySignature(key, sig, '123', body)).toBe(true);
    expect(verifySignature(key, sig, '124', body)).toBe(false);
    expect(verifySignature(key, sig, '123', Buffer.from('{"type":2}'))).toBe(false);
    expect(verifySignature(key, undefined, '123', body)).toBe(false);
    expect(verifySignature(key, 'zz', '123', body)).toBe(false);
    expect(() => publicKeyFromHex('not-hex')).toThrow(/64 hex characters/);
    const now = 1_700_000_000_000;
    expect(freshTimestamp(String(now / 1000 - 299), now)).toBe(true);
    expect(freshTimestamp(String(now / 1000 - 301), now)).toBe(false);
    expect(freshTimestamp(String(now / 1000 + 301), now)).toBe(false);
    expect(freshTimestamp('soon', now)).toBe(false);
    expect(freshTimestamp(undefined, now)).toBe(false);
  });

  it('a URL consent shows its link as text in a DM, and only the host in a shared channel', () => {
    const view = {
      id: ID,
      url: 'https://consent.example.com/approve?x=1',
      host: 'consent.example.com',
      message: 'Approve at https://consent.example.com/approve?x=1 please.',
      origin: 'demo',
      purpose: 'consent' as const,
      expiresAt: Date.now() + 60_000,
    };
    expect(consentMessage(view, undefined).content).toContain('`https://consent.example.com/approve?x=1`');
    const shared = consentMessage(view, '<@123>').content;
    expect(shared).toContain('**consent.example.com**');
    expect(shared).not.toMatch(/https?:\/\//);
  });

  it('reads its settings from the environment and names what is missing', () => {
    expect(discordSettingsFromEnv({})).toBeUndefined();
    expect(() => discordSettingsFromEnv({ DISCORD_TOKEN: 't' })).toThrow(/DISCORD_APPLICATION_ID/);
    expect(() => discordSettingsFromEnv({ DISCORD_TOKEN: 't' })).toThrow(
      expect.objectContaining({ name: 'ParleyError', code: 'config_invalid' }),
    );
    expect(() => discordSettingsFromEnv({ DISCORD_APPLICATION_ID: '1' })).toThrow(/DISCORD_TOKEN/);
    expect(discordSettingsFromEnv({ DISCORD_APPLICATION_ID: '1', DISCORD_PUBLIC_KEY: 'k' })).toEqual({
      applicationId: '1',
      token: undefined,
      publicKey: 'k',
      apiUrl: 'https://discord.com/api',
    });
  });
});

describe('command registration against the fake Discord', () => {
  let fake: FakeDiscord;
  beforeAll(async () => {
    fake = await startFakeDiscord();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('registers the six commands and the message menu, globally or to a guild, within Discord’s limits', async () => {
    const rest = { makeRequest: fetch, retries: 0 };
    const global = await registerCommands({
      applicationId: fake.applicationId,
      token: fake.botToken,
      apiUrl: fake.api,
      rest,
    });
    expect(global).toEqual(['ask', 'tools', 'call', 'login', 'logout', 'reset', 'Ask Parley about this']);
    // Installable by a server and by a person; usable in servers, the bot's DMs and private channels.
    for (const c of fake.commands as Array<Record<string, unknown>>) {
      expect(c.integration_types).toEqual([0, 1]);
      expect(c.contexts).toEqual([0, 1, 2]);
    }
    expect(fake.commands.at(-1)).toMatchObject({ name: 'Ask Parley about this', type: 3 });
    await registerCommands({
      applicationId: fake.applicationId,
      token: fake.botToken,
      apiUrl: fake.api,
      rest,
      guildId: '77',
    });
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      `PUT /api/v10/applications/${fake.applicationId}/commands`,
      `PUT /api/v10/applications/${fake.applicationId}/guilds/77/commands`,
    ]);
    expect(fake.violations).toEqual([]);
    await expect(
      registerCommands({ applicationId: fake.applicationId, token: 'wrong', apiUrl: fake.api, rest }),
    ).rejects.toThrow(/401|Unauthorized/);
  });
});

describe('the limits validator', () => {
  const label = (i: number) => ({
    type: 18,
    label: `F${i}`,
    component: { type: 4, custom_id: `f${i}`, style: 1 },
  });

  it('passes a valid message and modal', () => {
    expect(checkRestCall('POST', '/api/v10/channels/1/messages', { content: 'hi' })).toEqual([]);
    expect(
      checkInteractionResponse({
        type: 9,
        data: { title: 'T', custom_id: 'm', components: [label(1), label(2)] },
      }),
    ).toEqual([]);
  });

  it('catches what Discord would reject', () => {
    const problems = [
      ...checkInteractionResponse({
        type: 9,
        data: { title: 'T'.repeat(46), custom_id: 'm', components: [1, 2, 3, 4, 5, 6].map(label) },
      }),
      ...checkRestCall('POST', '/api/v10/channels/1/messages', {
        content: 'x'.repeat(2001),
        components: [
          {
            type: 1,
            components: [
              { type: 2, style: 5, label: 'Go', url: `https://e.com/${'a'.repeat(600)}` },
              { type: 2, style: 1, label: 'Twice', custom_id: 'same' },
              { type: 2, style: 1, label: 'Twice', custom_id: 'same' },
              { type: 2, style: 1, label: 'L'.repeat(81), custom_id: 'c'.repeat(101) },
            ],
          },
        ],
      }),
      ...checkInteractionResponse({
        type: 9,
        data: {
          title: 'T',
          custom_id: 'm',
          components: [
            { type: 18, label: 'Box', component: { type: 23, custom_id: 'b', required: true } },
            {
              type: 18,
              label: 'Radio',
              component: { type: 21, custom_id: 'r', options: [{ label: 'a', value: 'a' }] },
            },
          ],
        },
      }),
    ];
    const text = problems.join('\n');
    expect(text).toMatch(/title: is 46 characters/);
    expect(text).toMatch(/components: has 6; allowed 1–5/);
    expect(text).toMatch(/content: is 2001 characters/);
    expect(text).toMatch(/url: is \d+ characters; the limit is 512/);
    expect(text).toMatch(/"same" is used twice/);
    expect(text).toMatch(/label: is 81 characters/);
    expect(text).toMatch(/custom_id: is 101 characters/);
    expect(text).toMatch(/a checkbox cannot be required/);
    expect(text).toMatch(/has 1 options; allowed 2–10/);
  });
});
