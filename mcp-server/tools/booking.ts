/**
 * A three-step wizard (name, slot, confirmation) in each era's idiom: legacy awaits three forms
 * inline; modern carries what earlier rounds proved in a signed `requestState`.
 */
import {
  type CallToolResult,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  type ServerContext,
} from '@modelcontextprotocol/server';
import {
  CONFIRM_SCHEMA,
  confirmAnswer,
  NAME_SCHEMA,
  nameAnswer,
  slotAnswer,
  slotSchema,
  slotsFor,
} from '../forms.js';
import {
  askLegacy,
  clientCan,
  invalidAnswer,
  noFormSupport,
  refusal,
  type ToolKit,
  type ToolResult,
  text,
} from './kit.js';

/** Registers these tools on the kit's server instance. */
export function registerBookingTools(kit: ToolKit): void {
  const { server, era, askForm, readState } = kit;
  const { stateCodec } = kit.deps;

  server.registerTool(
    'book_appointment_v2',
    {
      title: 'Book an appointment',
      description:
        'Books an appointment in three steps: your name, a date and time slot, then a confirmation.',
    },
    async (ctx): Promise<ToolResult> => (era === 'legacy' ? bookLegacy(ctx) : bookModern(ctx)),
  );

  async function bookLegacy(ctx: ServerContext): Promise<CallToolResult> {
    const first = await askLegacy(ctx, 'Step 1 of 3: who is the appointment for?', NAME_SCHEMA);
    if (!first.ok) return first.result;
    if (first.answer.action !== 'accept') return bookingEnded(first.answer.action, 1);
    const name = nameAnswer.safeParse(first.answer.content ?? {});
    if (!name.success) return invalidAnswer(name.error);

    const slots = slotsFor(name.data.name);
    const second = await askLegacy(ctx, slotMessage(name.data.name), slotSchema(slots));
    if (!second.ok) return second.result;
    if (second.answer.action !== 'accept') return bookingEnded(second.answer.action, 2);
    const when = slotAnswer(slots).safeParse(second.answer.content ?? {});
    if (!when.success) return invalidAnswer(when.error);

    const { date, slot } = when.data;
    const third = await askLegacy(ctx, confirmMessage(name.data.name, date, slot), CONFIRM_SCHEMA);
    if (!third.ok) return third.result;
    if (third.answer.action !== 'accept') return bookingEnded(third.answer.action, 3);
    const confirmed = confirmAnswer.safeParse(third.answer.content ?? {});
    if (!confirmed.success) return invalidAnswer(confirmed.error);
    return booked(name.data.name, date, slot, confirmed.data.confirm);
  }

  async function bookModern(ctx: ServerContext): Promise<ToolResult> {
    if (!clientCan(ctx, server, 'form')) return noFormSupport();
    const state = readState(ctx, 'book_appointment_v2');
    const responses = ctx.mcpReq.inputResponses;

    if (state === undefined) {
      const asked = await askForm(ctx, 'name', 'Step 1 of 3: who is the appointment for?', NAME_SCHEMA);
      if (!asked.ok) return asked.result;
      if (asked.answer.action !== 'accept') return bookingEnded(asked.answer.action, 1);
      const name = nameAnswer.safeParse(asked.answer.content ?? {});
      if (!name.success) return invalidAnswer(name.error);
      // Only now is the name proven, so only now does it go into the state.
      return askSlot(ctx, name.data.name);
    }

    if (state.step === 'slot') {
      const view = inputResponse(responses, 'slot');
      if (view.kind !== 'elicit') return askSlot(ctx, state.name);
      if (view.action !== 'accept') return bookingEnded(view.action, 2);
      const slots = slotsFor(state.name);
      const when = slotAnswer(slots).safeParse(view.content ?? {});
      if (!when.success) return invalidAnswer(when.error);
      return askConfirm(ctx, state.name, when.data.date, when.data.slot);
    }

    const view = inputResponse(responses, 'confirm');
    if (view.kind !== 'elicit') return askConfirm(ctx, state.name, state.date, state.slot);
    if (view.action !== 'accept') return bookingEnded(view.action, 3);
    const confirmed = confirmAnswer.safeParse(view.content ?? {});
    if (!confirmed.success) return invalidAnswer(confirmed.error);
    return booked(state.name, state.date, state.slot, confirmed.data.confirm);
  }

  async function askSlot(ctx: ServerContext, name: string): Promise<InputRequiredResult> {
    return inputRequired({
      inputRequests: {
        slot: inputRequired.elicit({
          message: slotMessage(name),
          requestedSchema: slotSchema(slotsFor(name)),
        }),
      },
      requestState: await stateCodec.mint({ tool: 'book_appointment_v2', step: 'slot', name }, ctx),
    });
  }

  async function askConfirm(
    ctx: ServerContext,
    name: string,
    date: string,
    slot: string,
  ): Promise<InputRequiredResult> {
    return inputRequired({
      inputRequests: {
        confirm: inputRequired.elicit({
          message: confirmMessage(name, date, slot),
          requestedSchema: CONFIRM_SCHEMA,
        }),
      },
      requestState: await stateCodec.mint(
        { tool: 'book_appointment_v2', step: 'confirm', name, date, slot },
        ctx,
      ),
    });
  }
}

function bookingEnded(action: 'decline' | 'cancel', step: number): CallToolResult {
  return text(`Appointment not booked: you ${refusal(action)} at step ${step} of 3.`);
}

function booked(name: string, date: string, slot: string, confirm: boolean): CallToolResult {
  return confirm
    ? text(`Booked: ${name} on ${date} at ${slot}.`)
    : text('Appointment not booked: you did not confirm it.');
}

function slotMessage(name: string): string {
  return `Step 2 of 3: hi ${name}! Pick a date and one of the free time slots.`;
}

function confirmMessage(name: string, date: string, slot: string): string {
  return `Step 3 of 3: book ${name} on ${date} at ${slot}?`;
}
