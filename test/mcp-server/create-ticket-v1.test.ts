import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1FormField, V1FormPayload } from '../../mcp-server/v1-form.js';
import { findV1Payload, type V1Payload, v1PayloadToForm } from '../../src/interactions/v1.js';
import { connectTestClient, ERAS, textOf } from '../helpers/mcp-client.js';
import { type DemoServerFixture, startDemoServerFixture } from '../helpers/mcp-demo-server.js';

/** The payload in a tool result, read as Parley reads it; fails on a payload Parley can't read. */
function readPayload(content: unknown): V1Payload | undefined {
  const found = findV1Payload(content);
  if (found && 'error' in found) throw new Error(found.error);
  return found?.payload;
}

let fx: DemoServerFixture;
beforeAll(async () => {
  fx = await startDemoServerFixture();
});
afterAll(async () => fx.close());

describe.each(ERAS)('create_ticket (V1 form payload), %s era', (era) => {
  let client: Client;
  beforeAll(async () => {
    client = await connectTestClient(fx.server.url, { era });
  });
  afterAll(async () => client.close());

  const call = (args: Record<string, unknown>) => client.callTool({ name: 'create_ticket', arguments: args });

  it('returns the form payload listing every missing field', async () => {
    const result = await call({ initial_description: 'VPN drops every hour' });
    expect(result.isError).toBeFalsy();
    expect(result.content).toHaveLength(1);
    const payload = readPayload(result.content);
    expect(payload).toMatchObject({ type: 'elicitation', elicitation_type: 'form', tool: 'create_ticket' });
    expect(payload?.message).toContain('VPN drops every hour');
    expect(payload?.fields.map((f) => f.name)).toEqual(['reporter_name', 'priority', 'category']);

    const [reporter, priority, category] = payload?.fields ?? [];
    expect(reporter).toMatchObject({ type: 'text', required: true, min_length: 1, max_length: 100 });
    expect(reporter?.options).toBeUndefined();
    expect(priority).toMatchObject({ type: 'select', required: true, default: 'medium' });
    expect(priority?.options?.map((o) => o.value)).toEqual(['low', 'medium', 'high', 'urgent']);
    expect(category).toMatchObject({ type: 'select', required: false });
    expect(category?.options?.map((o) => o.value)).toEqual(['bug', 'feature', 'question', 'other']);

    // And Parley can turn it into the form it shows.
    const form = payload && v1PayloadToForm(payload, 'create_ticket');
    expect(form).toMatchObject({
      fields: [
        { name: 'reporter_name', kind: 'text', required: true, minLength: 1, maxLength: 100 },
        { name: 'priority', kind: 'select', required: true, default: 'medium' },
        { name: 'category', kind: 'select', required: false },
      ],
    });
  });

  it('lists only the fields still missing', async () => {
    const result = await call({ initial_description: 'VPN drops', reporter_name: 'Ann', category: 'bug' });
    expect(readPayload(result.content)?.fields.map((f) => f.name)).toEqual(['priority']);
  });

  it('creates the ticket when re-called with the original arguments plus the answers', async () => {
    const first = readPayload((await call({ initial_description: 'Laptop will not boot' })).content);
    expect(first).toBeDefined();
    const answers = { reporter_name: 'Ann', priority: 'urgent', category: 'bug' };
    const result = await call({ initial_description: 'Laptop will not boot', ...answers });
    expect(result.isError).toBeFalsy();
    const message = textOf(result);
    expect(message).toMatch(/^Created ticket T-\d{4}: Laptop will not boot/);
    expect(message).toContain('priority urgent');
    expect(message).toContain('reported by Ann');
    expect(findV1Payload(result.content)).toBeUndefined();
  });

  it('creates the ticket without the optional category', async () => {
    const result = await call({ initial_description: 'Mouse squeaks', reporter_name: 'Bo', priority: 'low' });
    expect(textOf(result)).toMatch(/^Created ticket T-\d{4}: Mouse squeaks · priority low/);
  });

  it('answers an invalid value with an error naming the field', async () => {
    const result = await call({ initial_description: 'x', reporter_name: 'Ann', priority: 'whenever' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('"priority"');
    expect(textOf(result)).toContain('whenever');

    const badCategory = await call({ initial_description: 'x', priority: 'low', category: 'rant' });
    expect(badCategory.isError).toBe(true);
    expect(textOf(badCategory)).toContain('"category"');

    const longName = await call({
      initial_description: 'x',
      reporter_name: 'a'.repeat(101),
      priority: 'low',
    });
    expect(longName.isError).toBe(true);
    expect(textOf(longName)).toContain('"reporter_name"');
  });
});

describe('the V1 payload types', () => {
  it('every field type the server may emit reads in Parley as the form it means', () => {
    const fields: V1FormField[] = [
      { name: 'a', label: 'A', type: 'text', required: true, format: 'email', min_length: 1 },
      { name: 'b', label: 'B', type: 'number', required: false, minimum: 0, maximum: 1, default: 0.5 },
      { name: 'c', label: 'C', type: 'integer', required: false },
      { name: 'd', label: 'D', type: 'boolean', required: false, default: true },
      { name: 'e', label: 'E', type: 'date', required: false, description: 'When' },
      { name: 'f', label: 'F', type: 'select', required: true, options: [{ value: 'x', label: 'X' }] },
      {
        name: 'g',
        label: 'G',
        type: 'multiselect',
        required: false,
        default: ['x'],
        options: [{ value: 'x', label: 'X' }],
      },
    ];
    const payload: V1FormPayload = {
      type: 'elicitation',
      elicitation_type: 'form',
      tool: 't',
      message: 'm',
      fields,
    };
    const read = readPayload([{ type: 'text', text: JSON.stringify(payload) }]);
    expect(read).toBeDefined();
    const form = read && v1PayloadToForm(read, 't');
    expect(form).toMatchObject({ message: 'm' });
    expect(form && 'fields' in form && form.fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['a', 'email', true],
      ['b', 'number', false],
      ['c', 'integer', false],
      ['d', 'boolean', false],
      ['e', 'date', false],
      ['f', 'select', true],
      ['g', 'multiselect', false],
    ]);
  });
});
