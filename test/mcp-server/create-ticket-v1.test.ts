import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseV1FormPayload,
  type V1FormField,
  type V1FormPayload,
  v1FormFieldSchema,
  v1FormPayloadSchema,
} from '../../mcp-server/v1-form.js';
import { connectTestClient, ERAS, textOf } from '../helpers/mcp-client.js';
import { type DemoServerFixture, startDemoServerFixture } from '../helpers/mcp-demo-server.js';

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
    const raw: unknown = JSON.parse(textOf(result));
    const payload = v1FormPayloadSchema.parse(raw);
    expect(payload).toMatchObject({ type: 'elicitation', elicitation_type: 'form', tool: 'create_ticket' });
    expect(payload.message).toContain('VPN drops every hour');
    expect(payload.fields.map((f) => f.name)).toEqual(['reporter_name', 'priority', 'category']);

    const [reporter, priority, category] = payload.fields;
    expect(reporter).toMatchObject({ type: 'text', required: true, min_length: 1, max_length: 100 });
    expect(reporter?.options).toBeUndefined();
    expect(priority).toMatchObject({ type: 'select', required: true, default: 'medium' });
    expect(priority?.options?.map((o) => o.value)).toEqual(['low', 'medium', 'high', 'urgent']);
    expect(category).toMatchObject({ type: 'select', required: false });
    expect(category?.options?.map((o) => o.value)).toEqual(['bug', 'feature', 'question', 'other']);
  });

  it('lists only the fields still missing', async () => {
    const result = await call({ initial_description: 'VPN drops', reporter_name: 'Ann', category: 'bug' });
    const payload = parseV1FormPayload(textOf(result));
    expect(payload?.fields.map((f) => f.name)).toEqual(['priority']);
  });

  it('creates the ticket when re-called with the original arguments plus the answers', async () => {
    const first = parseV1FormPayload(textOf(await call({ initial_description: 'Laptop will not boot' })));
    expect(first).toBeDefined();
    const answers = { reporter_name: 'Ann', priority: 'urgent', category: 'bug' };
    const result = await call({ initial_description: 'Laptop will not boot', ...answers });
    expect(result.isError).toBeFalsy();
    const message = textOf(result);
    expect(message).toMatch(/^Created ticket T-\d{4}: Laptop will not boot/);
    expect(message).toContain('priority urgent');
    expect(message).toContain('reported by Ann');
    expect(parseV1FormPayload(message)).toBeUndefined();
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

describe('the V1 payload schema', () => {
  it('accepts every field type and refuses options on a plain field', () => {
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
    expect(v1FormPayloadSchema.parse(payload)).toEqual(payload);
    expect(v1FormFieldSchema.safeParse({ ...fields[0], options: [{ value: 'x', label: 'X' }] }).success).toBe(
      false,
    );
    expect(
      v1FormFieldSchema.safeParse({ name: 'f', label: 'F', type: 'select', required: true }).success,
    ).toBe(false);
  });

  it('parses only real payloads', () => {
    expect(parseV1FormPayload('Created ticket T-1001')).toBeUndefined();
    expect(parseV1FormPayload('{"type":"other"}')).toBeUndefined();
    expect(
      parseV1FormPayload(
        '{"type":"elicitation","elicitation_type":"form","tool":"t","message":"m","fields":[]}',
      ),
    ).toEqual({ type: 'elicitation', elicitation_type: 'form', tool: 't', message: 'm', fields: [] });
  });
});
