/**
 * Forms about tickets: `create_ticket` returns its form as a JSON payload in the result (V1,
 * stateless re-entry); `create_ticket_v2` and `survey` ask the server way (V2: awaited inline on a
 * legacy session, an `input_required` round on a modern request).
 */
import { z } from 'zod';
import { SURVEY_SCHEMA, TICKET_DETAILS_SCHEMA, ticketDetailsAnswer, V1_FIELDS } from '../forms.js';
import { callerId } from '../identity.js';
import { formatTicket, TICKET_CATEGORIES, TICKET_PRIORITIES } from '../tickets.js';
import type { V1FormField, V1FormPayload } from '../v1-form.js';
import {
  blankToUndefined,
  failure,
  invalidAnswer,
  isOneOf,
  refusal,
  type ToolKit,
  type ToolResult,
  text,
} from './kit.js';

/** Registers these tools on the kit's server instance. */
export function registerTicketFormTools(kit: ToolKit): void {
  const { server, askForm } = kit;
  const { tickets } = kit.deps;

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
}
