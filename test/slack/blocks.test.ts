/**
 * The Slack rendering rules on their own: every builder's output passes the limits validator,
 * what can't be shown faithfully is refused with a reason, and text conversions keep content.
 */

import { describe, expect, it } from 'vitest';
import { blockIds, formModal, SLACK_CAPABILITIES } from '../../adapters/slack/form-modal.js';
import { readSubmission } from '../../adapters/slack/form-submission.js';
import { cleanIncoming, mapSlashCommand } from '../../adapters/slack/inbound.js';
import { closedMessage, confirmMessage, formMessage, linkMessage } from '../../adapters/slack/messages.js';
import { markdownToMrkdwn } from '../../adapters/slack/mrkdwn.js';
import { formProblem } from '../../src/interactions/capabilities.js';
import type { FormField, FormSpec } from '../../src/interactions/form.js';
import { validateSubmission } from '../../src/interactions/form.js';
import { checkMessage, checkView } from '../helpers/slack-limits.js';

const id = 'AAAAAAAAAAAAAAAAAAAAAA';
const expiresAt = Date.now() + 15 * 60_000;
const long = (n: number, c = 'x') => c.repeat(n);

function spec(fields: FormField[], title = 'demo · create_ticket'): FormSpec {
  return { title, message: 'Tell me more.', fields };
}

describe('form modal', () => {
  it('stays inside every limit with over-long titles, labels, options and values', () => {
    const options = Array.from({ length: 60 }, (_, i) => ({
      value: `${long(90)}${i}`,
      label: long(200, 'L'),
    }));
    const form = spec(
      [
        {
          name: long(300, 'n'),
          kind: 'text',
          label: long(2500),
          description: long(2500),
          required: true,
          maxLength: 9000,
        },
        { name: 'pick', kind: 'select', label: 'Pick', required: true, options, default: options[3]?.value },
        {
          name: 'many',
          kind: 'multiselect',
          label: 'Many',
          required: false,
          options: options.slice(0, 8),
          maxItems: 2,
        },
        { name: 'n', kind: 'number', label: 'N', required: false, minimum: 0.5, maximum: 9.5, default: 1.5 },
        { name: 'when', kind: 'datetime', label: 'When', required: false, default: '2026-01-02T03:04:00Z' },
      ],
      long(80, 'T'),
    );
    const built = formModal(id, form, long(4000, 'o'));
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(checkView(built.view)).toEqual([]);
    expect(built.view.private_metadata).toBe(id);
    expect((built.view.title as { text: string }).text).toHaveLength(24);
    expect((built.view.title as { text: string }).text.endsWith('…')).toBe(true);
  });

  it('maps each field kind to its element and reads the submitted state back', () => {
    const form = spec([
      { name: 'title', kind: 'text', label: 'Title', required: true },
      { name: 'mail', kind: 'email', label: 'Mail', required: false },
      { name: 'site', kind: 'url', label: 'Site', required: false },
      { name: 'day', kind: 'date', label: 'Day', required: false },
      { name: 'at', kind: 'datetime', label: 'At', required: false },
      { name: 'count', kind: 'integer', label: 'Count', required: false },
      { name: 'ok', kind: 'boolean', label: 'OK', required: true },
      {
        name: 'size',
        kind: 'select',
        label: 'Size',
        required: true,
        options: [{ value: 's', label: 'Small' }],
      },
      {
        name: 'tags',
        kind: 'multiselect',
        label: 'Tags',
        required: false,
        options: [
          { value: 'a', label: 'A' },
          { value: 'b', label: 'B' },
        ],
      },
    ]);
    const built = formModal(id, form, 'demo');
    if (!built.ok) throw new Error(built.reason);
    const inputs = built.view.blocks.filter((b) => b.type === 'input') as Array<{
      element: { type: string };
      optional?: boolean;
    }>;
    expect(inputs.map((b) => b.element.type)).toEqual([
      'plain_text_input',
      'email_text_input',
      'url_text_input',
      'datepicker',
      'datetimepicker',
      'number_input',
      'checkboxes',
      'radio_buttons',
      'checkboxes',
    ]);
    expect(inputs[6]?.optional).toBe(true);
    const values = readSubmission(form, {
      title: { value: { value: 'Hi' } },
      mail: { value: { value: null } },
      site: { value: { value: 'https://example.com' } },
      day: { value: { selected_date: '2026-02-03' } },
      at: { value: { selected_date_time: 1_767_225_600 } },
      count: { value: { value: '4' } },
      ok: { value: { selected_options: [] } },
      size: { value: { selected_option: { value: 's' } } },
      tags: { value: { selected_options: [{ value: 'b' }] } },
    });
    expect(values).toEqual({
      title: 'Hi',
      mail: '',
      site: 'https://example.com',
      day: '2026-02-03',
      at: '2026-01-01T00:00:00.000Z',
      count: '4',
      ok: false,
      size: 's',
      tags: ['b'],
    });
    expect(validateSubmission(form, values)).toMatchObject({
      ok: true,
      content: { ok: false, count: 4, tags: ['b'] },
    });
  });

  it('uses static selects up to 100 options and type-ahead beyond', () => {
    const opts = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ value: `v${i}`, label: `Option ${i}` }));
    const typeOf = (n: number, kind: 'select' | 'multiselect') => {
      const built = formModal(
        id,
        spec([{ name: 'f', kind, label: 'F', required: true, options: opts(n) }]),
        'demo',
      );
      if (!built.ok) throw new Error(built.reason);
      expect(checkView(built.view)).toEqual([]);
      return (built.view.blocks.find((b) => b.type === 'input') as { element: { type: string } }).element
        .type;
    };
    expect([typeOf(10, 'select'), typeOf(100, 'select'), typeOf(101, 'select')]).toEqual([
      'radio_buttons',
      'static_select',
      'external_select',
    ]);
    expect([typeOf(10, 'multiselect'), typeOf(100, 'multiselect'), typeOf(500, 'multiselect')]).toEqual([
      'checkboxes',
      'multi_static_select',
      'multi_external_select',
    ]);
  });

  it('declares what it can hold, so the core refuses a larger form with a reason instead of cutting it down', () => {
    const fields: FormField[] = Array.from({ length: 99 }, (_, i) => ({
      name: `f${i}`,
      kind: 'text',
      label: `F${i}`,
      required: false,
    }));
    const built = formModal(id, spec(fields), 'demo');
    expect(built).toEqual({ ok: false, reason: 'it has 99 fields, and a Slack form holds at most 98' });
    // The same sentence the core gives before it pauses anything (src/interactions/capabilities.ts).
    expect(formProblem(spec(fields), SLACK_CAPABILITIES, 'slack')).toBe(built.ok ? undefined : built.reason);
    expect(formProblem(spec(fields.slice(1)), SLACK_CAPABILITIES, 'slack')).toBeUndefined();
  });

  it('keeps block ids unique and within 255 characters', () => {
    const ids = blockIds(
      spec([
        { name: 'a', kind: 'text', label: 'A', required: false },
        { name: long(256), kind: 'text', label: 'B', required: false },
        { name: 'field_1', kind: 'text', label: 'C', required: false },
      ]),
    );
    expect(new Set(ids).size).toBe(3);
    for (const b of ids) expect(b.length).toBeLessThanOrEqual(255);
  });
});

describe('messages', () => {
  it('offers, confirmations, links and their closed forms pass the validator', () => {
    const form = { id, form: spec([]), origin: long(5000, 'o'), expiresAt };
    const messages = [
      formMessage({ ...form, form: { ...form.form, title: long(500), message: long(5000) } }, 'U1'),
      confirmMessage({ id, title: long(500), message: long(5000), origin: 'demo', expiresAt }, 'U1'),
      linkMessage(
        {
          id,
          url: 'https://auth.example.com/x',
          host: long(300, 'h'),
          message: long(5000),
          origin: 'demo',
          purpose: 'retry',
          expiresAt,
        },
        'https://auth.example.com/x',
      ),
      closedMessage(long(5000), 'expired'),
    ];
    for (const m of messages) expect(checkMessage(m)).toEqual([]);
  });

  it('an ended interaction keeps its headline, says what happened, and loses its buttons', () => {
    const closed = closedMessage('📝 *demo · create_ticket*', 'submitted');
    expect(closed.text).toBe('📝 demo · create_ticket — ✅ Submitted');
    expect(closed.blocks.map((b) => b.type)).toEqual(['section', 'context']);
  });
});

describe('text', () => {
  it('converts Markdown to mrkdwn and leaves code as written (escaped, as Slack shows it)', () => {
    const md = [
      '# Title',
      'Some **bold**, __also bold__, ~~gone~~ and a [link](https://x.test/a_b?q=1&r=2).',
      '- item one',
      '  - nested',
      '`a **literal** <b>`',
      '```ts',
      'const x = a < b && **c**;',
      '```',
      '| a | b |',
      '|---|---|',
      'Escapes: <@U123> & >',
    ].join('\n');
    expect(markdownToMrkdwn(md)).toBe(
      [
        '*Title*',
        'Some *bold*, *also bold*, ~gone~ and a <https://x.test/a_b?q=1&amp;r=2|link>.',
        '• item one',
        '    • nested',
        '`a **literal** &lt;b&gt;`',
        '```',
        'const x = a &lt; b &amp;&amp; **c**;',
        '```',
        '```',
        '| a | b |',
        '|---|---|',
        '```',
        'Escapes: &lt;@U123&gt; &amp; &gt;',
      ].join('\n'),
    );
  });

  it('maps /parley subcommands onto the agent’s commands', () => {
    expect(mapSlashCommand('')).toBe('/help');
    expect(mapSlashCommand('help')).toBe('/help');
    expect(mapSlashCommand('TOOLS')).toBe('/tools');
    expect(mapSlashCommand('reset')).toBe('/reset');
    // Curly quotes stay: the core's /call straightens them.
    expect(mapSlashCommand('call demo__echo {“message”:“hi”}')).toBe('/call demo__echo {“message”:“hi”}');
    expect(mapSlashCommand('login demo')).toBe('/login demo');
    expect(mapSlashCommand('logout demo')).toBe('/logout demo');
    expect(mapSlashCommand('whoami')).toBe('/whoami');
    expect(mapSlashCommand('what tools help with tickets?')).toBe('what tools help with tickets?');
  });

  it('turns Slack’s markup in incoming text back into what the person typed', () => {
    expect(
      cleanIncoming(
        '<@UBOT> open <https://a.test/x?y=1&amp;z=2|a.test/x> for <mailto:a@b.test|a@b.test> &lt;3',
        'UBOT',
      ),
    ).toBe('open https://a.test/x?y=1&z=2 for a@b.test <3');
  });
});
