import type { Client, ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callToolManually,
  connectTestClient,
  ERAS,
  isInputRequiredResult,
  textOf,
} from '../helpers/mcp-client.js';
import { type DemoServerFixture, startDemoServerFixture } from '../helpers/mcp-demo-server.js';

let fx: DemoServerFixture;
beforeAll(async () => {
  fx = await startDemoServerFixture();
});
afterAll(async () => fx.close());

type FormParams = Extract<ElicitRequest['params'], { requestedSchema: unknown }>;

/** A client whose form handler records each form and answers with the next scripted answer. */
async function scriptedClient(era: (typeof ERAS)[number], answers: ElicitResult[]) {
  const forms: FormParams[] = [];
  const client = await connectTestClient(fx.server.url, {
    era,
    onElicit: (params) => {
      if (params.mode === 'url') throw new Error('unexpected URL elicitation');
      forms.push(params as FormParams);
      const next = answers.shift();
      if (!next) throw new Error('no scripted answer left');
      return next;
    },
  });
  return { client, forms };
}

describe.each(ERAS)('create_ticket_v2, %s era', (era) => {
  const clients: Client[] = [];
  afterAll(async () => Promise.all(clients.map((c) => c.close())));
  const call = async (answers: ElicitResult[]) => {
    const { client, forms } = await scriptedClient(era, answers);
    clients.push(client);
    const result = await client.callTool({
      name: 'create_ticket_v2',
      arguments: { initial_description: 'Printer jams' },
    });
    return { result, forms };
  };

  it('asks every detail in one form and creates the ticket', async () => {
    const { result, forms } = await call([
      {
        action: 'accept',
        content: { reporter: 'Ann', priority: 'high', category: 'bug', due_date: '2026-03-01' },
      },
    ]);
    expect(forms).toHaveLength(1);
    const schema = forms[0]?.requestedSchema;
    expect(forms[0]?.message).toContain('Printer jams');
    expect(schema?.properties.reporter).toMatchObject({ type: 'string', minLength: 1, maxLength: 100 });
    expect(schema?.properties.priority).toMatchObject({
      type: 'string',
      oneOf: [
        { const: 'low', title: 'Low' },
        { const: 'medium', title: 'Medium' },
        { const: 'high', title: 'High' },
        { const: 'urgent', title: 'Urgent' },
      ],
    });
    expect(schema?.properties.category).toMatchObject({ enum: ['bug', 'feature', 'question', 'other'] });
    expect(schema?.properties.category).not.toHaveProperty('oneOf');
    expect(schema?.properties.due_date).toMatchObject({ type: 'string', format: 'date' });

    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(
      /^Created ticket T-\d+: Printer jams · priority high · category bug · reported by Ann · due 2026-03-01/,
    );
  });

  it('ends cleanly when the person declines or cancels', async () => {
    const declined = await call([{ action: 'decline' }]);
    expect(declined.result.isError).toBeFalsy();
    expect(textOf(declined.result)).toBe('Ticket not created: you declined.');

    const cancelled = await call([{ action: 'cancel' }]);
    expect(cancelled.result.isError).toBeFalsy();
    expect(textOf(cancelled.result)).toBe('Ticket not created: you cancelled.');
  });

  it('answers an invalid accepted answer with an error naming the field', async () => {
    const tooLong = await call([
      { action: 'accept', content: { reporter: 'x'.repeat(101), priority: 'low' } },
    ]);
    expect(tooLong.result.isError).toBe(true);
    expect(textOf(tooLong.result)).toContain('"reporter"');

    const badPriority = await call([
      { action: 'accept', content: { reporter: 'Ann', priority: 'whenever' } },
    ]);
    expect(badPriority.result.isError).toBe(true);
    expect(textOf(badPriority.result)).toContain('"priority"');
  });
});

describe('create_ticket_v2, modern era, manual rounds', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectTestClient(fx.server.url, { era: 'modern', autoFulfill: false });
  });
  afterAll(async () => client.close());

  it('returns the form as input_required and finishes when resumed with the answer', async () => {
    const args = { initial_description: 'Coffee machine leaks' };
    const first = await callToolManually(client, 'create_ticket_v2', args);
    expect(isInputRequiredResult(first)).toBe(true);
    if (!isInputRequiredResult(first)) return;
    const request = first.inputRequests?.details;
    expect(request?.method).toBe('elicitation/create');
    expect(request?.params).toMatchObject({ requestedSchema: { required: ['reporter', 'priority'] } });

    const done = await callToolManually(client, 'create_ticket_v2', args, {
      inputResponses: { details: { action: 'accept', content: { reporter: 'Cy', priority: 'medium' } } },
      ...(first.requestState ? { requestState: first.requestState } : {}),
    });
    expect(isInputRequiredResult(done)).toBe(false);
    expect(textOf(done)).toMatch(/^Created ticket T-\d+: Coffee machine leaks · priority medium/);
  });

  it('ends on a declined answer and reports a bad one', async () => {
    const args = { initial_description: 'x' };
    const declined = await callToolManually(client, 'create_ticket_v2', args, {
      inputResponses: { details: { action: 'decline' } },
    });
    expect(textOf(declined)).toBe('Ticket not created: you declined.');

    const cancelled = await callToolManually(client, 'create_ticket_v2', args, {
      inputResponses: { details: { action: 'cancel' } },
    });
    expect(textOf(cancelled)).toBe('Ticket not created: you cancelled.');

    const bad = await callToolManually(client, 'create_ticket_v2', args, {
      inputResponses: {
        details: { action: 'accept', content: { reporter: 'Cy', priority: 'low', due_date: 'soon' } },
      },
    });
    expect(isInputRequiredResult(bad)).toBe(false);
    expect((bad as { isError?: boolean }).isError).toBe(true);
    expect(textOf(bad)).toContain('"due_date"');
  });
});

describe.each(ERAS)('survey, %s era', (era) => {
  let client: Client;
  let forms: FormParams[];
  beforeAll(async () => {
    forms = [];
    client = await connectTestClient(fx.server.url, {
      era,
      onElicit: (params) => {
        forms.push(params as FormParams);
        // Accept with nothing filled in: the client's applyDefaults fills every default.
        return { action: 'accept', content: {} };
      },
    });
  });
  afterAll(async () => client.close());

  it('asks one form with every field kind, each with a default, and returns what it got', async () => {
    const result = await client.callTool({ name: 'survey', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(forms).toHaveLength(1);
    const p = forms[0]?.requestedSchema.properties ?? {};

    expect(p.name).toMatchObject({ type: 'string', minLength: 2, maxLength: 50 });
    expect(p.email).toMatchObject({ type: 'string', format: 'email' });
    expect(p.website).toMatchObject({ type: 'string', format: 'uri' });
    expect(p.birthday).toMatchObject({ type: 'string', format: 'date' });
    expect(p.meeting_at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(p.satisfaction).toMatchObject({ type: 'number', minimum: 0, maximum: 10 });
    expect(p.team_size).toMatchObject({ type: 'integer', minimum: 1, maximum: 500 });
    expect(p.subscribe).toMatchObject({ type: 'boolean' });
    expect(p.color).toMatchObject({ type: 'string', enum: ['red', 'green', 'blue'] });
    expect(p.color).not.toHaveProperty('enumNames');
    expect(p.size).toMatchObject({
      type: 'string',
      oneOf: expect.arrayContaining([{ const: 's', title: 'Small' }]),
    });
    expect(p.plan).toMatchObject({ enum: ['free', 'pro', 'team'], enumNames: ['Free', 'Pro', 'Team'] });
    expect(p.languages).toMatchObject({ type: 'array', items: { type: 'string', enum: expect.any(Array) } });
    expect(p.interests).toMatchObject({
      type: 'array',
      items: { anyOf: expect.arrayContaining([{ const: 'forms', title: 'Forms' }]) },
    });
    for (const [name, field] of Object.entries(p)) {
      expect(field, `${name} has a default`).toHaveProperty('default');
    }

    const got: unknown = JSON.parse(textOf(result));
    expect(got).toEqual({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      website: 'https://example.com',
      birthday: '1990-12-10',
      meeting_at: '2026-01-15T09:30:00Z',
      satisfaction: 7.5,
      team_size: 5,
      subscribe: true,
      color: 'green',
      size: 'm',
      plan: 'pro',
      languages: ['typescript'],
      interests: ['forms', 'oauth'],
    });
  });
});

describe.each(ERAS)('a client without form support, %s era', (era) => {
  it('gets a clear error instead of a form', async () => {
    const client = await connectTestClient(fx.server.url, { era, elicitation: 'none' });
    try {
      const result = await client.callTool({
        name: 'create_ticket_v2',
        arguments: { initial_description: 'x' },
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/forms|ask you things/);
    } finally {
      await client.close();
    }
  });
});
