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
type Answer = (form: FormParams) => ElicitResult;

/** Picks the first offered slot, so the test proves step 2 was built from step 1's answer. */
const pickFirstSlot: Answer = (form) => {
  const slot = form.requestedSchema.properties.slot as { enum?: string[] };
  return { action: 'accept', content: { date: '2026-04-02', slot: slot.enum?.[0] ?? 'none' } };
};

describe.each(ERAS)('book_appointment_v2, %s era', (era) => {
  const clients: Client[] = [];
  afterAll(async () => Promise.all(clients.map((c) => c.close())));

  async function run(steps: Answer[]) {
    const forms: FormParams[] = [];
    const client = await connectTestClient(fx.server.url, {
      era,
      onElicit: (params) => {
        const form = params as FormParams;
        forms.push(form);
        const step = steps.shift();
        if (!step) throw new Error('more forms than expected');
        return step(form);
      },
    });
    clients.push(client);
    const result = await client.callTool({ name: 'book_appointment_v2', arguments: {} });
    return { result, forms };
  }

  it('walks name, then date and slot, then confirmation', async () => {
    const { result, forms } = await run([
      () => ({ action: 'accept', content: { name: 'Grace' } }),
      pickFirstSlot,
      () => ({ action: 'accept', content: { confirm: true } }),
    ]);
    expect(forms.map((f) => f.message)).toEqual([
      expect.stringContaining('Step 1 of 3'),
      expect.stringContaining('hi Grace'),
      expect.stringContaining('Step 3 of 3: book Grace on 2026-04-02'),
    ]);
    expect(forms[0]?.requestedSchema.required).toEqual(['name']);
    const slotField = forms[1]?.requestedSchema.properties.slot as { enum?: string[] };
    expect(slotField.enum?.length).toBe(3);
    expect(forms[1]?.requestedSchema.properties.date).toMatchObject({ type: 'string', format: 'date' });
    expect(forms[2]?.requestedSchema.properties.confirm).toMatchObject({ type: 'boolean' });

    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe(`Booked: Grace on 2026-04-02 at ${slotField.enum?.[0]}.`);
  });

  it('ends cleanly on a decline at step 1, a cancel at step 2 or a decline at step 3', async () => {
    const atOne = await run([() => ({ action: 'decline' })]);
    expect(textOf(atOne.result)).toBe('Appointment not booked: you declined at step 1 of 3.');
    expect(atOne.result.isError).toBeFalsy();

    const atTwo = await run([
      () => ({ action: 'accept', content: { name: 'Lin' } }),
      () => ({ action: 'cancel' }),
    ]);
    expect(textOf(atTwo.result)).toBe('Appointment not booked: you cancelled at step 2 of 3.');

    const atThree = await run([
      () => ({ action: 'accept', content: { name: 'Lin' } }),
      pickFirstSlot,
      () => ({ action: 'decline' }),
    ]);
    expect(textOf(atThree.result)).toBe('Appointment not booked: you declined at step 3 of 3.');
  });

  it('does not book when the confirmation is unticked', async () => {
    const { result } = await run([
      () => ({ action: 'accept', content: { name: 'Lin' } }),
      pickFirstSlot,
      () => ({ action: 'accept', content: { confirm: false } }),
    ]);
    expect(textOf(result)).toBe('Appointment not booked: you did not confirm it.');
  });

  it('reports a slot that was not offered', async () => {
    const { result } = await run([
      () => ({ action: 'accept', content: { name: 'Lin' } }),
      () => ({ action: 'accept', content: { date: '2026-04-02', slot: '03:00' } }),
    ]);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('"slot"');
  });
});

describe('book_appointment_v2, modern era, manual rounds with requestState', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectTestClient(fx.server.url, { era: 'modern', autoFulfill: false });
  });
  afterAll(async () => client.close());

  it('chains three rounds, minting state only for what was answered', async () => {
    const round1 = await callToolManually(client, 'book_appointment_v2', {});
    if (!isInputRequiredResult(round1)) throw new Error('expected input_required');
    expect(Object.keys(round1.inputRequests ?? {})).toEqual(['name']);
    // Nothing is proven yet, so there is nothing to carry.
    expect(round1.requestState).toBeUndefined();

    const round2 = await callToolManually(
      client,
      'book_appointment_v2',
      {},
      {
        inputResponses: { name: { action: 'accept', content: { name: 'Ada' } } },
      },
    );
    if (!isInputRequiredResult(round2)) throw new Error('expected input_required');
    expect(Object.keys(round2.inputRequests ?? {})).toEqual(['slot']);
    expect(round2.requestState).toEqual(expect.any(String));
    const slotParams = round2.inputRequests?.slot?.params as FormParams;
    expect(slotParams.message).toContain('hi Ada');
    const slot = (slotParams.requestedSchema.properties.slot as { enum: string[] }).enum[1];

    const round3 = await callToolManually(
      client,
      'book_appointment_v2',
      {},
      {
        inputResponses: { slot: { action: 'accept', content: { date: '2026-05-05', slot } } },
        requestState: round2.requestState,
      },
    );
    if (!isInputRequiredResult(round3)) throw new Error('expected input_required');
    expect(Object.keys(round3.inputRequests ?? {})).toEqual(['confirm']);
    expect(round3.requestState).not.toBe(round2.requestState);

    const done = await callToolManually(
      client,
      'book_appointment_v2',
      {},
      {
        inputResponses: { confirm: { action: 'accept', content: { confirm: true } } },
        requestState: round3.requestState,
      },
    );
    expect(isInputRequiredResult(done)).toBe(false);
    expect(textOf(done)).toBe(`Booked: Ada on 2026-05-05 at ${slot}.`);
  });

  it('refuses a tampered requestState', async () => {
    const round2 = await callToolManually(
      client,
      'book_appointment_v2',
      {},
      {
        inputResponses: { name: { action: 'accept', content: { name: 'Ada' } } },
      },
    );
    if (!isInputRequiredResult(round2) || !round2.requestState) throw new Error('expected state');
    const [version, body, mac] = round2.requestState.split('.');
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(body ?? '', 'base64url').toString()),
        p: { tool: 'book_appointment_v2', step: 'confirm', name: 'Eve', date: '2026-01-01', slot: '09:00' },
      }),
    ).toString('base64url');
    await expect(
      callToolManually(
        client,
        'book_appointment_v2',
        {},
        {
          inputResponses: { confirm: { action: 'accept', content: { confirm: true } } },
          requestState: `${version}.${forged}.${mac}`,
        },
      ),
    ).rejects.toMatchObject({ code: -32602 });
  });

  it('ends cleanly when step 2 is declined', async () => {
    const round2 = await callToolManually(
      client,
      'book_appointment_v2',
      {},
      {
        inputResponses: { name: { action: 'accept', content: { name: 'Ada' } } },
      },
    );
    if (!isInputRequiredResult(round2)) throw new Error('expected input_required');
    const ended = await callToolManually(
      client,
      'book_appointment_v2',
      {},
      {
        inputResponses: { slot: { action: 'decline' } },
        requestState: round2.requestState,
      },
    );
    expect(textOf(ended)).toBe('Appointment not booked: you declined at step 2 of 3.');
  });
});
