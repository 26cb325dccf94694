/**
 * Bad forms from servers, case by case, with the right values: field names that are
 * Object.prototype members work everywhere; contradictions and values platforms refuse are
 * declined with a reason (or shown correctly); building and checking forms is linear in options.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleAdapter } from '../../adapters/console/console.js';
import { buildModal, modalValues, pageAnswers, planForm } from '../../adapters/discord/forms.js';
import { formModal } from '../../adapters/slack/form-modal.js';
import { errorsByBlock, readSubmission, suggestOptions } from '../../adapters/slack/form-submission.js';
import type { Actor } from '../../src/conversation.js';
import type { AnswerReply, ParleyInbound } from '../../src/inbound.js';
import {
  type FieldOption,
  type FormField,
  type FormSpec,
  formDefaults,
  ownValue,
  validateSubmission,
} from '../../src/interactions/form.js';
import { schemaToForm } from '../../src/interactions/schema.js';
import { type V1Payload, v1PayloadSchema, v1PayloadToForm } from '../../src/interactions/v1.js';
import { checkInteractionResponse } from '../helpers/discord-limits.js';
import { checkErrors, checkView } from '../helpers/slack-limits.js';

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] as const;

/** The schema as it arrives: JSON text, so `__proto__` is an own key. */
const protoSchema = JSON.parse(
  `{"type":"object","properties":{${PROTO_NAMES.map((n) => `"${n}":{"type":"string","title":"${n} field"}`).join(',')},"valueOf":{"type":"string"}},"required":["__proto__","constructor","toString","hasOwnProperty"]}`,
);

function protoForm(): FormSpec {
  const result = schemaToForm(protoSchema, 'Tell me');
  if (!result.ok) throw new Error(result.reason);
  return result.form;
}

describe('field names that are Object.prototype members are ordinary fields', () => {
  it('schema → form keeps all of them, and a required one that is missing is not "defined" by Object', () => {
    expect(protoForm().fields.map((f) => f.name)).toEqual([...PROTO_NAMES, 'valueOf']);
    expect(
      schemaToForm(JSON.parse('{"type":"object","properties":{},"required":["toString"]}'), 'x'),
    ).toEqual({
      ok: false,
      reason: 'required field "toString" is not defined',
    });
  });

  it('validation keeps every answer as an own key of the content, and an empty optional one is not an error', () => {
    const values = JSON.parse('{"__proto__":"p","constructor":"c","toString":"t","hasOwnProperty":"h"}');
    const checked = validateSubmission(protoForm(), values);
    expect(checked.ok).toBe(true);
    const content = (checked as { content: Record<string, unknown> }).content;
    // What goes to the server: JSON, with every field.
    expect(JSON.parse(JSON.stringify(content))).toEqual(values);
    expect(Object.keys(content)).toEqual([...PROTO_NAMES]);
    // Spread into the call's arguments (the V1 re-entry), still all there.
    expect(JSON.stringify({ a: 1, ...content })).toBe(
      '{"a":1,"__proto__":"p","constructor":"c","toString":"t","hasOwnProperty":"h"}',
    );
  });

  it('a missing required one is reported by name, not hidden by Object.prototype', () => {
    const checked = validateSubmission(protoForm(), {});
    expect(checked.ok).toBe(false);
    const errors = (checked as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors)).toEqual([...PROTO_NAMES]);
    expect(ownValue(errors, '__proto__')).toBe('This field is required.');
  });

  it('Slack: modal, submitted state, and per-field errors keyed by each name', () => {
    const form = protoForm();
    const built = formModal('AAAAAAAAAAAAAAAAAAAAAA', form, 'demo');
    if (!built.ok) throw new Error(built.reason);
    expect(checkView(built.view)).toEqual([]);
    const blocks = built.view.blocks.filter((b) => b.type === 'input').map((b) => b.block_id);
    expect(blocks).toEqual([...PROTO_NAMES, 'valueOf']);
    // Slack's view_submission state, as JSON.
    const state = JSON.parse(
      `{${PROTO_NAMES.map((n) => `"${n}":{"value":{"value":"${n}!"}}`).join(',')}}`,
    ) as Parameters<typeof readSubmission>[1];
    const read = readSubmission(form, state);
    expect(JSON.stringify(read)).toBe(
      '{"__proto__":"__proto__!","constructor":"constructor!","toString":"toString!","hasOwnProperty":"hasOwnProperty!"}',
    );
    const checked = validateSubmission(form, read);
    expect(checked.ok && Object.keys(checked.content)).toEqual([...PROTO_NAMES]);
    const refused = validateSubmission(form, {});
    const errors = errorsByBlock(form, refused.ok ? {} : refused.errors);
    expect(Object.keys(errors)).toEqual([...PROTO_NAMES]);
    expect(checkErrors(JSON.parse(JSON.stringify(errors)), built.view)).toEqual([]);
  });

  it('Discord: inputs, pre-fill and page answers keyed by each name', () => {
    const form = protoForm();
    const planned = planForm(form);
    if (!planned.ok) throw new Error(planned.reason);
    // Nothing pre-filled from Object.prototype (an unanswered "toString" stays empty).
    const modal = buildModal('AAAAAAAAAAAAAAAAAAAAAA', form, planned.plan, 0, {});
    expect(checkInteractionResponse({ type: 9, data: modal })).toEqual([]);
    expect(JSON.stringify(modal)).not.toMatch(/native code/);
    const submission = {
      custom_id: 'x',
      components: PROTO_NAMES.map((n) => ({
        type: 18,
        component: { type: 4, custom_id: n, value: `${n}!` },
      })),
    } as never;
    const answers = pageAnswers(planned.plan.pages[0] ?? [], modalValues(submission));
    expect(Object.keys(answers)).toEqual([...PROTO_NAMES]);
    const checked = validateSubmission(form, answers);
    expect(checked.ok && ownValue(JSON.parse(JSON.stringify(checked.content)), '__proto__')).toBe(
      '__proto__!',
    );
  });

  it('console: every answer typed reaches the inbound port', async () => {
    const form = protoForm();
    const submitted: Array<Record<string, unknown>> = [];
    // Records what the adapter hands to the inbound port (the edge under test is the adapter).
    const agent = {
      receive: async (
        _id: string,
        _a: Actor,
        answer: { action: string; values?: Record<string, unknown> },
      ) => {
        if (answer.values) submitted.push(answer.values);
        return { ok: true, deliver: async () => ({ ok: true }) as AnswerReply };
      },
      whenIdle: async () => undefined,
      message: async () => undefined,
    } as unknown as ParleyInbound;
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (d) => {
      printed += String(d);
    });
    const chat = new ConsoleAdapter({ agent, input, output, echoInput: false } as never);
    const view = { id: 'f1', form, origin: 'demo', expiresAt: Date.now() + 60_000 };
    await chat.post(chat.conversation, { kind: 'form', view });
    input.end(`${[...PROTO_NAMES, 'valueOf'].map((n) => `${n}!`).join('\n')}\n`);
    await chat.run();
    expect(JSON.stringify(submitted[0])).toBe(
      '{"__proto__":"__proto__!","constructor":"constructor!","toString":"toString!","hasOwnProperty":"hasOwnProperty!","valueOf":"valueOf!"}',
    );
    expect(printed).not.toMatch(/native code/);
  });
});

const field = (f: Partial<FormField> & Pick<FormField, 'name' | 'kind'>): FormField => ({
  label: f.name,
  required: false,
  ...f,
});
const opts = (...values: string[]): FieldOption[] => values.map((v) => ({ value: v, label: v }));
const schemaOf = (props: Record<string, unknown>) => ({ type: 'object', properties: props });
const reason = (props: Record<string, unknown>) => {
  const r = schemaToForm(schemaOf(props), 'x');
  return r.ok ? undefined : r.reason;
};

describe('contradictions and values platforms refuse are declined with a reason', () => {
  it.each([
    [{ s: { type: 'string', enum: ['a', ''] } }, 'field “S” has an option with a blank value'],
    [{ s: { type: 'string', enum: ['a', 'b', 'a'] } }, 'field “S” lists the option "a" twice'],
    [
      {
        s: {
          type: 'string',
          oneOf: [
            { const: 'a', title: 'Same' },
            { const: 'b', title: 'same ' },
          ],
        },
      },
      'field “S” has two options labelled “same”',
    ],
    [{ n: { type: 'number', minimum: 5, maximum: 1 } }, 'field “N” asks for at least 5 and at most 1'],
    [
      { n: { type: 'integer', minimum: 1.2, maximum: 1.8 } },
      'field “N” asks for a whole number between 1.2 and 1.8, and there is none',
    ],
    [
      { t: { type: 'string', minLength: 5, maxLength: 2 } },
      'field “T” needs at least 5 characters but at most 2',
    ],
    [
      { t: { type: 'string', maxLength: 2.5 } },
      'field “T” has a text length that isn’t a whole number of characters',
    ],
    [
      { t: { type: 'string', minLength: -1 } },
      'field “T” has a text length that isn’t a whole number of characters',
    ],
    [{ t: { type: 'string', maxLength: 0 } }, 'field “T” accepts no text at all (maxLength 0)'],
    [
      { m: { type: 'array', items: { enum: ['a', 'b'] }, maxItems: 0 } },
      'field “M” allows no choice at all (maxItems 0)',
    ],
    [
      { m: { type: 'array', items: { enum: ['a', 'b'] }, minItems: 3 } },
      'field “M” asks for at least 3 choices of 2 options',
    ],
    [
      { m: { type: 'array', items: { enum: ['a', 'b', 'c'] }, minItems: 2, maxItems: 1 } },
      'field “M” asks for at least 2 choices but at most 1',
    ],
    [{ '': { type: 'string' } }, 'a field has a blank name'],
  ])('%j → %s', (props, why) => {
    expect(reason(props)).toBe(why);
  });

  it('V1: duplicate field names, and the same rules', () => {
    const v1 = (fields: unknown[]): V1Payload =>
      v1PayloadSchema.parse({ type: 'elicitation', elicitation_type: 'form', fields });
    const dup = v1([
      { name: 'a', type: 'text', required: false },
      { name: 'a', type: 'number', required: false },
    ]);
    expect(v1PayloadToForm(dup, 'tool')).toEqual({ error: 'two fields are named "a"' });
    const range = v1([{ name: 'n', type: 'integer', required: false, minimum: 3, maximum: 1 }]);
    expect(v1PayloadToForm(range, 'tool')).toEqual({ error: 'field “N” asks for at least 3 and at most 1' });
    const blank = v1([
      { name: 'c', type: 'select', required: true, options: [{ value: 'x', label: ' ' }, ''] },
    ]);
    expect(v1PayloadToForm(blank, 'tool')).toEqual({ error: 'field “C” has an option with a blank value' });
  });

  it('shows correctly what has one right reading: blank titles and labels, decimal bounds on integers, bad defaults', () => {
    const r = schemaToForm(
      schemaOf({
        due_date: { type: 'string', title: '  ', default: 'x'.repeat(10), maxLength: 5 },
        n: { type: 'integer', minimum: 1.5, maximum: 9.5, default: 1.5 },
        c: { type: 'string', enum: ['a', 'b'], enumNames: ['', 'Bee'], default: 'z' },
        m: { type: 'array', items: { enum: ['a', 'b', 'c'] }, maxItems: 1, default: ['a', 'b'] },
      }),
      'msg',
      '   ',
    );
    expect(r).toEqual({
      ok: true,
      form: {
        title: 'Information needed',
        message: 'msg',
        fields: [
          { name: 'due_date', kind: 'text', label: 'Due date', required: false, maxLength: 5 },
          { name: 'n', kind: 'integer', label: 'N', required: false, minimum: 2, maximum: 9 },
          {
            name: 'c',
            kind: 'select',
            label: 'C',
            required: false,
            options: [
              { value: 'a', label: 'a' },
              { value: 'b', label: 'Bee' },
            ],
          },
          {
            name: 'm',
            kind: 'multiselect',
            label: 'M',
            required: false,
            options: opts('a', 'b', 'c'),
            maxItems: 1,
          },
        ],
      },
    });
    const v1 = {
      type: 'elicitation',
      elicitation_type: 'form',
      title: ' ',
      fields: [{ name: 'x', type: 'text', required: false }],
    };
    expect(v1PayloadToForm(v1 as V1Payload, 'create_ticket')).toMatchObject({ title: 'create_ticket' });
  });
});

/** Options whose `value` counts its reads: the work done, without a clock. */
function countedOptions(n: number): { options: FieldOption[]; reads: () => number } {
  let reads = 0;
  const options = Array.from({ length: n }, (_, i) => {
    const value = `v${i}`;
    return {
      get value() {
        reads++;
        return value;
      },
      label: `Option ${i}`,
    };
  });
  return { options, reads: () => reads };
}

describe('forms are linear in their options', () => {
  const N = 4_000;

  it('a Slack modal for a huge choice reads each option a few times and lists none of them', () => {
    const { options, reads } = countedOptions(N);
    const form: FormSpec = {
      title: 't',
      message: 'm',
      fields: [field({ name: 'pick', kind: 'select', options, default: `v${N - 1}` })],
    };
    const built = formModal('AAAAAAAAAAAAAAAAAAAAAA', form, 'demo');
    if (!built.ok) throw new Error(built.reason);
    expect(checkView(built.view)).toEqual([]);
    expect(JSON.stringify(built.view).length).toBeLessThan(2_000);
    // A few reads per option (quadratic was N² = 16,000,000).
    expect(reads()).toBeLessThanOrEqual(6 * N);
    // Each keystroke reads each option at most once more.
    const before = reads();
    expect(suggestOptions(form.fields[0] as FormField, 'option 39').length).toBe(100);
    expect(suggestOptions(form.fields[0] as FormField, 'zzz')).toEqual([]);
    expect(reads() - before).toBeLessThanOrEqual(2 * N + 200);
  });

  it('reading the schema and checking an answer with every option chosen are linear too', () => {
    const { options, reads } = countedOptions(N);
    const f = field({ name: 'many', kind: 'multiselect', options });
    const values = { many: options.map((_o, i) => `Option ${i}`) };
    const checked = validateSubmission({ title: 't', message: '', fields: [f] }, values);
    expect(checked.ok && (checked.content.many as string[]).length).toBe(N);
    expect(reads()).toBeLessThanOrEqual(3 * N);
    const big = schemaToForm(
      schemaOf({ e: { type: 'string', enum: Array.from({ length: 40_000 }, (_, i) => `v${i}`) } }),
      'x',
    );
    expect(big.ok && big.form.fields[0]?.options?.length).toBe(40_000);
    expect(formDefaults(big.ok ? big.form : ({ fields: [] } as never))).toEqual({});
  });
});
