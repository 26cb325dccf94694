import { describe, expect, it } from 'vitest';
import { validateSubmission } from '../../src/interactions/form.js';
import { schemaToForm } from '../../src/interactions/schema.js';
import { findV1Payload, v1PayloadToForm } from '../../src/interactions/v1.js';

const everyKind = {
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Your name', minLength: 2, maxLength: 10, default: 'Ann' },
    email: { type: 'string', format: 'email' },
    site: { type: 'string', format: 'uri' },
    day: { type: 'string', format: 'date' },
    at: { type: 'string', format: 'date-time' },
    score: { type: 'number', minimum: 0, maximum: 10, default: 5 },
    count: { type: 'integer', minimum: 1 },
    ok: { type: 'boolean', default: true },
    color: { type: 'string', enum: ['red', 'blue'] },
    size: {
      type: 'string',
      oneOf: [
        { const: 's', title: 'Small' },
        { const: 'l', title: 'Large' },
      ],
    },
    legacy: { type: 'string', enum: ['a', 'b'], enumNames: ['Alpha', 'Beta'] },
    tags: { type: 'array', items: { type: 'string', enum: ['x', 'y'] }, minItems: 1, maxItems: 2 },
    titled: { type: 'array', items: { anyOf: [{ const: 'p', title: 'Pea' }] } },
  },
  required: ['name', 'email', 'count'],
};

describe('schemaToForm', () => {
  it('maps every field kind the spec allows, with labels, bounds, options and defaults', () => {
    const result = schemaToForm(everyKind, 'Tell me');
    if (!result.ok) throw new Error(result.reason);
    const byName = Object.fromEntries(result.form.fields.map((f) => [f.name, f]));
    expect(byName.name).toMatchObject({
      kind: 'text',
      label: 'Your name',
      required: true,
      minLength: 2,
      maxLength: 10,
      default: 'Ann',
    });
    expect(byName.email?.kind).toBe('email');
    expect(byName.site?.kind).toBe('url');
    expect(byName.day?.kind).toBe('date');
    expect(byName.at?.kind).toBe('datetime');
    expect(byName.score).toMatchObject({
      kind: 'number',
      minimum: 0,
      maximum: 10,
      default: 5,
      required: false,
    });
    expect(byName.count?.kind).toBe('integer');
    expect(byName.ok).toMatchObject({ kind: 'boolean', default: true });
    expect(byName.color?.options).toEqual([
      { value: 'red', label: 'red' },
      { value: 'blue', label: 'blue' },
    ]);
    expect(byName.size?.options?.[1]).toEqual({ value: 'l', label: 'Large' });
    expect(byName.legacy?.options?.[0]).toEqual({ value: 'a', label: 'Alpha' });
    expect(byName.tags).toMatchObject({ kind: 'multiselect', minItems: 1, maxItems: 2 });
    expect(byName.titled?.options).toEqual([{ value: 'p', label: 'Pea' }]);
  });

  it.each([
    [null, /not an object/],
    [{ type: 'string' }, /type "object"/],
    [{ type: 'object', properties: { a: { type: 'object', properties: {} } } }, /unsupported type "object"/],
    [{ type: 'object', properties: { a: { type: 'string', format: 'ipv4' } } }, /unsupported format/],
    [{ type: 'object', properties: { a: { type: 'array', items: { type: 'string' } } } }, /free values/],
    [{ type: 'object', properties: {}, required: ['ghost'] }, /not defined/],
  ])('refuses a malformed or unsupported schema with a reason (%#)', (schema, reason) => {
    const result = schemaToForm(schema, 'x');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
    // Asked again (a tool asks with the same schema every time): the same answer.
    const again = schemaToForm(JSON.parse(JSON.stringify(schema)), 'y');
    expect(!again.ok && !result.ok && again.reason).toBe(!result.ok && result.reason);
  });

  it('keeps one frozen copy of a schema’s fields for every form asked with it (issue 12 §2)', () => {
    const a = schemaToForm(JSON.parse(JSON.stringify(everyKind)), 'For Ann', 'demo · t');
    const b = schemaToForm(JSON.parse(JSON.stringify(everyKind)), 'For Bob', 'demo · t');
    if (!a.ok || !b.ok) throw new Error('expected forms');
    expect(b.form.fields).toBe(a.form.fields);
    expect([a.form.message, b.form.message]).toEqual(['For Ann', 'For Bob']);
    expect(Object.isFrozen(a.form.fields) && Object.isFrozen(a.form.fields[0])).toBe(true);
    const other = schemaToForm({ ...everyKind, required: ['name'] }, 'x');
    expect(other.ok && other.form.fields).not.toBe(a.form.fields);
  });
});

describe('validateSubmission', () => {
  const result = schemaToForm(everyKind, 'x');
  if (!result.ok) throw new Error(result.reason);
  const form = result.form;

  it('coerces text answers to the schema types and drops unknown keys', () => {
    const r = validateSubmission(form, {
      name: 'Bob',
      email: 'bob@example.com',
      count: '3',
      score: '7.5',
      ok: 'no',
      size: 'Large',
      tags: 'x, y',
      at: '2026-12-01T10:30',
      injected: 'nope',
    });
    expect(r).toEqual({
      ok: true,
      content: {
        name: 'Bob',
        email: 'bob@example.com',
        count: 3,
        score: 7.5,
        ok: false,
        size: 'l',
        tags: ['x', 'y'],
        at: new Date('2026-12-01T10:30').toISOString(),
      },
    });
  });

  it('returns one clear error per invalid field', () => {
    const r = validateSubmission(form, {
      name: 'A',
      email: 'nope',
      count: '1.5',
      day: '2026-02-30',
      tags: ['x', 'y', 'z'],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual({
      name: 'Must be at least 2 characters.',
      email: 'Enter a valid email address.',
      count: 'Enter a whole number.',
      day: 'Enter a date as YYYY-MM-DD.',
      tags: '"z" is not one of the options.',
    });
  });

  it('requires required fields', () => {
    const r = validateSubmission(form, {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['count', 'email', 'name']);
  });
});

describe('V1 payload', () => {
  const payload = {
    type: 'elicitation',
    elicitation_type: 'form',
    tool: 'create_ticket',
    message: 'More please',
    fields: [
      { name: 'reporter_name', label: 'Your name', type: 'text', required: true },
      {
        name: 'priority',
        type: 'select',
        required: true,
        default: 'medium',
        options: [
          { value: 'low', label: 'Low' },
          { value: 'medium', label: 'Medium' },
        ],
      },
    ],
  };

  it('is found in a text block and becomes a form', () => {
    const found = findV1Payload([{ type: 'text', text: JSON.stringify(payload) }]);
    expect(found && 'payload' in found).toBe(true);
    if (!found || !('payload' in found)) return;
    const form = v1PayloadToForm(found.payload, 'create_ticket');
    expect(form).toMatchObject({
      message: 'More please',
      fields: [
        { name: 'reporter_name', kind: 'text', required: true },
        { name: 'priority', kind: 'select', default: 'medium' },
      ],
    });
  });

  it('ignores ordinary text and reports a malformed payload', () => {
    expect(findV1Payload([{ type: 'text', text: 'Ticket T-1 created' }])).toBeUndefined();
    const bad = findV1Payload([
      { type: 'text', text: JSON.stringify({ ...payload, fields: [{ name: 'x', type: 'hologram' }] }) },
    ]);
    expect(bad && 'error' in bad && bad.error).toMatch(/can't read/);
  });
});
