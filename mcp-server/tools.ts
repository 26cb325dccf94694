/**
 * The demo MCP server itself: one factory, shared by the HTTP entry (both protocol eras) and stdio.
 *
 * The factory is told which era the instance serves. Interactive tools use the era's native idiom,
 * so the demo shows both: on a legacy (2025-11-25) session the handler awaits the answer inline
 * (`ctx.mcpReq.elicitInput`, `requestSampling`) while the tool call stays open; on a modern
 * (2026-07-28) request it returns `inputRequired(...)` and runs again when the client retries with
 * the answers, carrying what earlier rounds proved in a signed `requestState`.
 */

import { randomBytes } from 'node:crypto';
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  type ElicitResult,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type RequestOptions,
  type RequestStateCodec,
  SdkError,
  SdkErrorCode,
  type ServerContext,
  UrlElicitationRequiredError,
} from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CalendarService } from './calendar.js';
import {
  CONFIRM_SCHEMA,
  confirmAnswer,
  invalidField,
  NAME_SCHEMA,
  nameAnswer,
  type RequestedSchema,
  SURVEY_SCHEMA,
  slotAnswer,
  slotSchema,
  slotsFor,
  TICKET_DETAILS_SCHEMA,
  ticketDetailsAnswer,
  V1_FIELDS,
} from './forms.js';
import { callerId, oauthSubject } from './identity.js';
import {
  formatTicket,
  InMemoryTicketStore,
  TICKET_CATEGORIES,
  TICKET_PRIORITIES,
  type TicketStore,
} from './tickets.js';
import type { V1FormField, V1FormPayload } from './v1-form.js';

export type Era = 'legacy' | 'modern';

export const SERVER_INFO = { name: 'parley-demo', version: '0.1.0' } as const;

/** How long a legacy handler waits for a person to answer a form: people are slower than 60 s. */
export const HUMAN_TIMEOUT_MS = 10 * 60_000;

/** Upper bound on what `summarize_tickets` lets the client's model write. */
export const SUMMARY_MAX_TOKENS = 300;

/** What a modern multi-round flow carries between rounds; signed, bound to the caller. */
export type FlowState =
  | { tool: 'book_appointment_v2'; step: 'slot'; name: string }
  | { tool: 'book_appointment_v2'; step: 'confirm'; name: string; date: string; slot: string }
  | { tool: 'connect_calendar'; elicitationId: string }
  | { tool: 'calendar_events'; elicitationId: string };

export interface DemoServerDeps {
  tickets: TicketStore;
  calendar: CalendarService;
  stateCodec: RequestStateCodec<FlowState>;
  logger: Logger;
}

type ToolResult = CallToolResult | InputRequiredResult;

/** A person's answer to one form, from either era. */
interface FormAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/**
 * A form either got an answer, or the tool returns `result` now: its error result, or (modern) the
 * `input_required` round that asks the form.
 */
type Asked<R extends ToolResult = CallToolResult> =
  | { ok: true; answer: FormAnswer }
  | { ok: false; result: R };

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
const failure = (value: string): CallToolResult => ({
  content: [{ type: 'text', text: value }],
  isError: true,
});
const refusal = (action: 'decline' | 'cancel'): string => (action === 'decline' ? 'declined' : 'cancelled');

/** Builds one server instance for one era. Cheap: HTTP builds one per modern request. */
export function createDemoMcpServer(deps: DemoServerDeps, era: Era): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {} },
    instructions:
      'A demo server for Parley: tickets, forms, a booking wizard, a calendar behind a consent page, ' +
      'and tools that need OAuth sign-in.',
    // Tampered or expired state never reaches a handler: the SDK answers -32602 first.
    requestState: { verify: deps.stateCodec.verify },
  });
  const { tickets, calendar, stateCodec, logger } = deps;

  // --- plain tools ----------------------------------------------------------------------------

  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the message it is given.',
      inputSchema: z.object({ message: z.string().describe('What to echo back') }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ message }) => text(message),
  );

  server.registerTool(
    'delete_ticket',
    {
      title: 'Delete ticket',
      description: 'Deletes one of your tickets by id (like T-1001). This cannot be undone.',
      inputSchema: z.object({ id: z.string().describe('The ticket id, like T-1001') }),
      annotations: { destructiveHint: true, readOnlyHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ id }, ctx) => {
      const deleted = await tickets.delete(callerId(ctx), id.trim());
      return deleted ? text(`Deleted ticket ${id.trim()}.`) : failure(`You have no ticket with id "${id}".`);
    },
  );

  // --- V1: the form travels as a JSON payload in the result ----------------------------------

  server.registerTool(
    'create_ticket',
    {
      title: 'Create ticket (V1 form)',
      description:
        'Creates a support ticket. If reporter_name or priority is missing it returns a JSON form ' +
        '(type "elicitation"); call this tool again with the original arguments plus the answers.',
      inputSchema: z.object({
        initial_description: z.string().min(1).describe('What the ticket is about'),
        reporter_name: z.string().optional().describe('Who is reporting it'),
        priority: z
          .string()
          .optional()
          .describe(`One of ${TICKET_PRIORITIES.join(', ')}`),
        category: z
          .string()
          .optional()
          .describe(`One of ${TICKET_CATEGORIES.join(', ')}`),
      }),
    },
    async (args, ctx) => {
      const reporter = blankToUndefined(args.reporter_name);
      const priority = blankToUndefined(args.priority);
      const category = blankToUndefined(args.category);
      if (reporter !== undefined && reporter.length > 100) {
        return failure('The field "reporter_name" is too long: use at most 100 characters.');
      }
      if (priority !== undefined && !isOneOf(TICKET_PRIORITIES, priority)) {
        return failure(
          `The field "priority" must be one of ${TICKET_PRIORITIES.join(', ')}; "${priority}" is not.`,
        );
      }
      if (category !== undefined && !isOneOf(TICKET_CATEGORIES, category)) {
        return failure(
          `The field "category" must be one of ${TICKET_CATEGORIES.join(', ')}; "${category}" is not.`,
        );
      }
      if (reporter === undefined || priority === undefined) {
        const fields: V1FormField[] = [];
        if (reporter === undefined) fields.push(V1_FIELDS.reporter_name);
        if (priority === undefined) fields.push(V1_FIELDS.priority);
        if (category === undefined) fields.push(V1_FIELDS.category);
        const payload: V1FormPayload = {
          type: 'elicitation',
          elicitation_type: 'form',
          tool: 'create_ticket',
          message: `A few more details to file "${args.initial_description}".`,
          fields,
        };
        return text(JSON.stringify(payload));
      }
      const ticket = await tickets.create(callerId(ctx), {
        description: args.initial_description,
        reporter,
        priority,
        ...(category ? { category } : {}),
      });
      return text(`Created ticket ${formatTicket(ticket)}.`);
    },
  );

  // --- V2: one form, asked by the server ------------------------------------------------------

  server.registerTool(
    'create_ticket_v2',
    {
      title: 'Create ticket (V2 form)',
      description: 'Creates a support ticket, asking you for the details in a form.',
      inputSchema: z.object({ initial_description: z.string().min(1).describe('What the ticket is about') }),
    },
    async ({ initial_description }, ctx): Promise<ToolResult> => {
      const asked = await askForm(
        ctx,
        'details',
        `Details for the ticket "${initial_description}"`,
        TICKET_DETAILS_SCHEMA,
      );
      if (!asked.ok) return asked.result;
      const { answer } = asked;
      if (answer.action !== 'accept') return text(`Ticket not created: you ${refusal(answer.action)}.`);
      const parsed = ticketDetailsAnswer.safeParse(answer.content ?? {});
      if (!parsed.success) return invalidAnswer(parsed.error);
      const { reporter, priority, category, due_date } = parsed.data;
      const ticket = await tickets.create(callerId(ctx), {
        description: initial_description,
        reporter,
        priority,
        ...(category ? { category } : {}),
        ...(due_date ? { dueDate: due_date } : {}),
      });
      return text(`Created ticket ${formatTicket(ticket)}.`);
    },
  );

  // --- a three-step wizard ----------------------------------------------------------------------

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

  // --- survey: every field kind -----------------------------------------------------------------

  server.registerTool(
    'survey',
    {
      title: 'Survey',
      description: 'Asks one form with every kind of field and returns the answers as JSON.',
      annotations: { readOnlyHint: true },
    },
    async (ctx): Promise<ToolResult> => {
      const asked = await askForm(
        ctx,
        'survey',
        'A short survey (every field has a default).',
        SURVEY_SCHEMA,
      );
      if (!asked.ok) return asked.result;
      const { answer } = asked;
      if (answer.action !== 'accept') return text(`Survey skipped: you ${refusal(answer.action)}.`);
      return text(JSON.stringify(answer.content ?? {}));
    },
  );

  // --- calendar: URL-mode elicitation ---------------------------------------------------------

  server.registerTool(
    'connect_calendar',
    {
      title: 'Connect calendar',
      description: 'Connects your calendar: you approve access on a consent page in your browser.',
    },
    async (ctx): Promise<ToolResult> => {
      const caller = callerId(ctx);
      if (calendar.isConnected(caller)) return text('Calendar connected (it already was).');
      if (!clientCan(ctx, server, 'url')) return noUrlSupport();

      if (era === 'legacy') {
        const elicitationId = calendar.newElicitationId();
        let answer: ElicitResult;
        try {
          answer = await ctx.mcpReq.elicitInput(
            { mode: 'url', message: CONSENT_MESSAGE, url: calendar.consentUrl(elicitationId), elicitationId },
            humanWait(ctx),
          );
        } catch (err) {
          return elicitationFailed(err);
        }
        if (answer.action !== 'accept') return text(`Calendar not connected: you ${refusal(answer.action)}.`);
        return finishConsent(ctx, caller, elicitationId, () => text('Calendar connected.'));
      }

      const state = readState(ctx, 'connect_calendar');
      return consentRoundModern(ctx, caller, 'connect_calendar', state?.elicitationId, () =>
        text('Calendar connected.'),
      );
    },
  );

  server.registerTool(
    'calendar_events',
    {
      title: 'Calendar events',
      description:
        'Lists your upcoming calendar events. Until your calendar is connected it asks you to open a ' +
        'consent page (legacy clients get the URL-elicitation-required error -32042; retry afterwards).',
      annotations: { readOnlyHint: true },
    },
    async (ctx): Promise<ToolResult> => {
      const caller = callerId(ctx);
      const events = (): CallToolResult => {
        const list = calendar.eventsFor(caller);
        return {
          content: [{ type: 'text', text: list.map((e) => `${e.start} – ${e.end}: ${e.title}`).join('\n') }],
          structuredContent: { events: list },
        };
      };
      if (calendar.isConnected(caller)) return events();

      if (era === 'legacy') {
        const shown = calendar.pendingFor(caller);
        if (shown !== undefined) {
          const status = await calendar.status(shown, ctx.mcpReq.signal);
          if (status === 'approved') {
            calendar.markConnected(caller);
            await notifyElicitationComplete(ctx, shown);
            return events();
          }
          if (status === 'pending') throw consentRequired(shown);
        }
        const elicitationId = calendar.newElicitationId();
        calendar.rememberPending(caller, elicitationId);
        throw consentRequired(elicitationId);
      }

      // The 2026-07-28 revision has no -32042: the URL elicitation rides an input_required round.
      if (!clientCan(ctx, server, 'url')) return noUrlSupport();
      const state = readState(ctx, 'calendar_events');
      return consentRoundModern(ctx, caller, 'calendar_events', state?.elicitationId, events);
    },
  );

  function consentRequired(elicitationId: string): UrlElicitationRequiredError {
    return new UrlElicitationRequiredError(
      [{ mode: 'url', message: CONSENT_MESSAGE, url: calendar.consentUrl(elicitationId), elicitationId }],
      'Connect your calendar first: open the consent page, then call calendar_events again.',
    );
  }

  async function consentRoundModern(
    ctx: ServerContext,
    caller: string,
    tool: 'connect_calendar' | 'calendar_events',
    elicitationId: string | undefined,
    onApproved: () => CallToolResult,
  ): Promise<ToolResult> {
    // The caller has checked that the client can open a URL.
    const view = inputResponse(ctx.mcpReq.inputResponses, 'consent');
    if (elicitationId === undefined || view.kind !== 'elicit') {
      // The id is not a claim of consent: the auth-mock is asked about it before anything is granted.
      const id = elicitationId ?? calendar.newElicitationId();
      return inputRequired({
        inputRequests: {
          consent: inputRequired.elicitUrl({ message: CONSENT_MESSAGE, url: calendar.consentUrl(id) }),
        },
        requestState: await stateCodec.mint({ tool, elicitationId: id }, ctx),
      });
    }
    if (view.action !== 'accept') return text(`Calendar not connected: you ${refusal(view.action)}.`);
    // On this revision the completion notification no longer exists: this result is the completion.
    return finishConsent(ctx, caller, elicitationId, onApproved);
  }

  async function finishConsent(
    ctx: ServerContext,
    caller: string,
    elicitationId: string,
    onApproved: () => CallToolResult,
  ): Promise<CallToolResult> {
    // A client that asked for progress hears from us while the person decides, so it can keep
    // the call open past its usual request timeout (resetTimeoutOnProgress).
    const progressToken = ctx.mcpReq._meta?.progressToken;
    const onWaiting =
      progressToken === undefined
        ? undefined
        : async (waitedMs: number) => {
            await ctx.mcpReq
              .notify({
                method: 'notifications/progress',
                params: {
                  progressToken,
                  progress: Math.round(waitedMs / 1000),
                  message: 'Waiting for you to allow or deny access on the consent page.',
                },
              })
              .catch((err: unknown) => logger.debug({ err }, 'could not send progress'));
          };
    const decision = await calendar.waitForDecision(elicitationId, ctx.mcpReq.signal, onWaiting);
    switch (decision) {
      case 'approved':
        calendar.markConnected(caller);
        if (era === 'legacy') await notifyElicitationComplete(ctx, elicitationId);
        return onApproved();
      case 'denied':
        if (era === 'legacy') await notifyElicitationComplete(ctx, elicitationId);
        return text('Calendar not connected: access was denied on the consent page.');
      case 'timeout':
        return failure('Calendar not connected: nobody approved or denied access in time. Try again.');
      case 'aborted':
        return failure('Calendar not connected: the request was cancelled.');
    }
  }

  async function notifyElicitationComplete(ctx: ServerContext, elicitationId: string): Promise<void> {
    try {
      // Related to this call, so it travels on the call's own stream before the result.
      await server.server.createElicitationCompletionNotifier(elicitationId, {
        relatedRequestId: ctx.mcpReq.id,
      })();
    } catch (err) {
      logger.warn({ err }, 'could not send notifications/elicitation/complete');
    }
  }

  // --- tools that need OAuth ------------------------------------------------------------------
  // The HTTP layer refuses these calls without a token (401/403 challenge); the checks here cover
  // stdio, where there is no token at all.

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Tells which signed-in user is calling (needs OAuth, scope tickets:read).',
      annotations: { readOnlyHint: true },
    },
    async (ctx) => {
      const user = oauthSubject(ctx.http?.authInfo);
      return user ? text(user) : signInNeeded('whoami');
    },
  );

  server.registerTool(
    'list_my_tickets',
    {
      title: 'List my tickets',
      description: "Lists the signed-in user's tickets (needs OAuth, scope tickets:read).",
      annotations: { readOnlyHint: true },
    },
    async (ctx) => {
      const user = oauthSubject(ctx.http?.authInfo);
      if (!user) return signInNeeded('list_my_tickets');
      const mine = await tickets.list(user);
      return {
        content: [
          {
            type: 'text',
            text: mine.length === 0 ? 'You have no tickets.' : mine.map(formatTicket).join('\n'),
          },
        ],
        structuredContent: { tickets: mine },
      };
    },
  );

  server.registerTool(
    'add_my_ticket',
    {
      title: 'Add my ticket',
      description: 'Adds a ticket owned by the signed-in user (needs OAuth, scope tickets:write).',
      inputSchema: z.object({ description: z.string().min(1).describe('What the ticket is about') }),
    },
    async ({ description }, ctx) => {
      const user = oauthSubject(ctx.http?.authInfo);
      if (!user) return signInNeeded('add_my_ticket');
      const ticket = await tickets.create(user, { description });
      return text(`Added ticket ${ticket.id} for ${user}: ${description}`);
    },
  );

  // --- sampling ---------------------------------------------------------------------------------

  server.registerTool(
    'summarize_tickets',
    {
      title: 'Summarize tickets',
      description:
        "Summarizes your tickets with your client's own model (sampling); without sampling it lists them.",
      annotations: { readOnlyHint: true },
    },
    async (ctx): Promise<ToolResult> => {
      const mine = await tickets.list(callerId(ctx));
      if (mine.length === 0) return text('You have no tickets to summarize.');
      const plainList = (why: string): CallToolResult =>
        text(`${why} Your tickets:\n${mine.map((t) => `- ${formatTicket(t)}`).join('\n')}`);
      if (!clientCan(ctx, server, 'sampling')) {
        return plainList('Your client cannot summarize (it offers no sampling).');
      }
      const request = {
        messages: [
          {
            role: 'user' as const,
            content: {
              type: 'text' as const,
              text: `Summarize these support tickets in two or three sentences:\n${mine.map(formatTicket).join('\n')}`,
            },
          },
        ],
        systemPrompt: 'You summarize support tickets briefly and plainly.',
        maxTokens: SUMMARY_MAX_TOKENS,
      };

      let reply: { model: string; content: unknown };
      if (era === 'legacy') {
        try {
          reply = await ctx.mcpReq.requestSampling(request, humanWait(ctx));
        } catch (err) {
          logger.info({ err }, 'sampling failed; answering with the plain list');
          return plainList('Your client did not produce a summary.');
        }
      } else {
        const view = inputResponse(ctx.mcpReq.inputResponses, 'summary');
        if (view.kind !== 'sampling') {
          return inputRequired({ inputRequests: { summary: inputRequired.createMessage(request) } });
        }
        reply = view.result;
      }
      const summary = samplingText(reply.content);
      if (!summary) return plainList('Your client returned no text summary.');
      return text(`Summary (by ${reply.model}): ${summary}`);
    },
  );

  // --- helpers that need the server or the era ------------------------------------------------

  /**
   * Asks one form in this instance's era: legacy awaits the answer inline while the call stays
   * open; modern reads it from the retry's `inputResponses[key]`, or returns the round that asks.
   */
  async function askForm(
    ctx: ServerContext,
    key: string,
    message: string,
    requestedSchema: RequestedSchema,
  ): Promise<Asked<ToolResult>> {
    if (era === 'legacy') return askLegacy(ctx, message, requestedSchema);
    const view = inputResponse(ctx.mcpReq.inputResponses, key);
    if (view.kind === 'elicit') return { ok: true, answer: view };
    if (!clientCan(ctx, server, 'form')) return { ok: false, result: noFormSupport() };
    return {
      ok: false,
      result: inputRequired({ inputRequests: { [key]: inputRequired.elicit({ message, requestedSchema }) } }),
    };
  }

  function readState<T extends FlowState['tool']>(
    ctx: ServerContext,
    tool: T,
  ): Extract<FlowState, { tool: T }> | undefined {
    const state = ctx.mcpReq.requestState<FlowState>();
    // A state minted for another tool is ignored rather than trusted.
    return state !== undefined && state.tool === tool
      ? (state as Extract<FlowState, { tool: T }>)
      : undefined;
  }

  return server;
}

const CONSENT_MESSAGE = 'Open this page to let the Parley demo read your calendar.';

/** Legacy only: one form, awaited inline. A failure comes back as the tool's error result. */
async function askLegacy(
  ctx: ServerContext,
  message: string,
  requestedSchema: RequestedSchema,
): Promise<Asked> {
  try {
    const result = await ctx.mcpReq.elicitInput({ mode: 'form', message, requestedSchema }, humanWait(ctx));
    return { ok: true, answer: { action: result.action, content: result.content } };
  } catch (err) {
    return { ok: false, result: elicitationFailed(err, Object.keys(requestedSchema.properties)) };
  }
}

function elicitationFailed(err: unknown, fields: string[] = []): CallToolResult {
  if (err instanceof SdkError && err.code === SdkErrorCode.CapabilityNotSupported) {
    return failure(`This tool needs a client that can ask you things: ${err.message}`);
  }
  // On legacy sessions the SDK checks an accepted answer against the form's schema before the
  // handler sees it; its message names the JSON path, which is how the field is found here.
  if (err instanceof ProtocolError && err.code === ProtocolErrorCode.InvalidParams) {
    const field = fields.find((f) => err.message.includes(`/${f}`));
    return failure(
      field
        ? `The answer for "${field}" is invalid: ${err.message}`
        : `The answer does not fit the form: ${err.message}`,
    );
  }
  throw err;
}

function invalidAnswer(error: z.ZodError): CallToolResult {
  const { field, problem } = invalidField(error);
  return failure(`The answer for "${field}" is invalid: ${problem}.`);
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

function noFormSupport(): CallToolResult {
  return failure('This tool needs a client that can show forms (form elicitation), and yours cannot.');
}

function noUrlSupport(): CallToolResult {
  return failure(
    'This tool needs a client that can open a consent page (URL elicitation), and yours cannot.',
  );
}

function signInNeeded(tool: string): CallToolResult {
  return failure(`${tool} needs you to sign in with OAuth, which this connection does not carry.`);
}

function blankToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

function samplingText(content: unknown): string | undefined {
  const blocks = Array.isArray(content) ? content : [content];
  const texts = blocks
    .map((b) => samplingTextBlock.safeParse(b))
    .filter((r) => r.success)
    .map((r) => r.data.text.trim());
  const joined = texts.join('\n').trim();
  return joined || undefined;
}
const samplingTextBlock = z.object({ type: z.literal('text'), text: z.string() });

const capabilitiesSchema = z.object({
  elicitation: z
    .object({
      form: z.record(z.string(), z.unknown()).optional(),
      url: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  sampling: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Whether the calling client declared a capability. Modern requests carry it in their `_meta`
 * envelope; legacy sessions declared it at `initialize`. An empty `elicitation: {}` means form only.
 */
function clientCan(ctx: ServerContext, server: McpServer, what: 'form' | 'url' | 'sampling'): boolean {
  const fromEnvelope = ctx.mcpReq.envelope
    ? (ctx.mcpReq.envelope as Record<string, unknown>)[CLIENT_CAPABILITIES_META_KEY]
    : undefined;
  const parsed = capabilitiesSchema.safeParse(fromEnvelope ?? server.server.getClientCapabilities() ?? {});
  if (!parsed.success) return false;
  const caps = parsed.data;
  if (what === 'sampling') return caps.sampling !== undefined;
  if (!caps.elicitation) return false;
  if (what === 'url') return caps.elicitation.url !== undefined;
  return caps.elicitation.form !== undefined || caps.elicitation.url === undefined;
}

/** How long a modern multi-round flow may take between rounds. */
export const FLOW_STATE_TTL_SECONDS = 15 * 60;

/**
 * Signs the state modern flows carry between rounds, bound to the caller so one user cannot
 * replay another's. Without a configured secret the key is random per process, which is fine
 * while one process serves every round of a flow.
 */
export function createFlowStateCodec(secret?: string): RequestStateCodec<FlowState> {
  if (secret !== undefined && Buffer.byteLength(secret, 'utf8') < 32) {
    throw new RangeError('The request-state secret must be at least 32 bytes long.');
  }
  return createRequestStateCodec<FlowState>({
    key: secret ?? randomBytes(32),
    ttlSeconds: FLOW_STATE_TTL_SECONDS,
    bind: (ctx) => callerId(ctx),
  });
}

export interface DemoServerDepsOptions {
  authIssuer: string;
  calendarWaitMs: number;
  stateSecret?: string;
  logger: Logger;
}

/** The state every instance of one running server shares: tickets, calendar, signing key. */
export function createDemoServerDeps(options: DemoServerDepsOptions): DemoServerDeps {
  return {
    tickets: new InMemoryTicketStore(),
    calendar: new CalendarService({
      issuer: options.authIssuer,
      waitMs: options.calendarWaitMs,
      logger: options.logger,
    }),
    stateCodec: createFlowStateCodec(options.stateSecret),
    logger: options.logger,
  };
}

/**
 * Options for a legacy server→client request made inside a tool call. The SDK's `ctx.mcpReq`
 * helpers do not tie the request to the call by themselves, so without `relatedRequestId` it would
 * go out on the session's standalone GET stream, which a client need not open; tied to the call it
 * travels on the call's own SSE stream (and is stored for resumption there). People answer slowly,
 * hence the long timeout; cancelling the call cancels the question.
 */
function humanWait(ctx: ServerContext): RequestOptions {
  return { timeout: HUMAN_TIMEOUT_MS, relatedRequestId: ctx.mcpReq.id, signal: ctx.mcpReq.signal };
}
