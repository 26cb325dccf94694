/**
 * The forms the demo tools ask for, written as raw elicitation JSON Schema (so every field kind the
 * spec allows can appear, including the legacy `enumNames` zod cannot express), each paired with a
 * zod schema that checks the answer. Answers come from the client and are untrusted: the SDK
 * validates them against the raw schema on legacy sessions only, so the tools check them again.
 */
import type { ElicitRequestFormParams } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { TICKET_CATEGORIES, TICKET_PRIORITIES } from './tickets.js';
import type { V1FormField } from './v1-form.js';

export type RequestedSchema = ElicitRequestFormParams['requestedSchema'];

const PRIORITY_TITLES: Record<(typeof TICKET_PRIORITIES)[number], string> = {
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  urgent: 'Urgent',
};
const CATEGORY_TITLES: Record<(typeof TICKET_CATEGORIES)[number], string> = {
  bug: 'Bug',
  feature: 'Feature request',
  question: 'Question',
  other: 'Other',
};

// --- create_ticket (V1 payload) -------------------------------------------------------------

export const V1_FIELDS: Record<'reporter_name' | 'priority' | 'category', V1FormField> = {
  reporter_name: {
    name: 'reporter_name',
    label: 'Your name',
    type: 'text',
    required: true,
    description: 'Who is reporting this ticket.',
    min_length: 1,
    max_length: 100,
  },
  priority: {
    name: 'priority',
    label: 'Priority',
    type: 'select',
    required: true,
    default: 'medium',
    options: TICKET_PRIORITIES.map((value) => ({ value, label: PRIORITY_TITLES[value] })),
  },
  category: {
    name: 'category',
    label: 'Category',
    type: 'select',
    required: false,
    options: TICKET_CATEGORIES.map((value) => ({ value, label: CATEGORY_TITLES[value] })),
  },
};

// --- create_ticket_v2 -------------------------------------------------------------------------

export const TICKET_DETAILS_SCHEMA: RequestedSchema = {
  type: 'object',
  properties: {
    reporter: { type: 'string', title: 'Your name', minLength: 1, maxLength: 100 },
    priority: {
      type: 'string',
      title: 'Priority',
      oneOf: TICKET_PRIORITIES.map((p) => ({ const: p, title: PRIORITY_TITLES[p] })),
      default: 'medium',
    },
    category: { type: 'string', title: 'Category', enum: [...TICKET_CATEGORIES] },
    due_date: { type: 'string', title: 'Due date', format: 'date' },
  },
  required: ['reporter', 'priority'],
};

export const ticketDetailsAnswer = z.object({
  reporter: z.string().trim().min(1).max(100),
  priority: z.enum(TICKET_PRIORITIES),
  category: z.enum(TICKET_CATEGORIES).optional(),
  due_date: z.iso.date().optional(),
});

// --- book_appointment_v2 ----------------------------------------------------------------------

export const NAME_SCHEMA: RequestedSchema = {
  type: 'object',
  properties: { name: { type: 'string', title: 'Your name', minLength: 1, maxLength: 100 } },
  required: ['name'],
};
export const nameAnswer = z.object({ name: z.string().trim().min(1).max(100) });

const ALL_SLOTS = ['09:00', '10:30', '13:00', '15:30', '17:00'];

/** The slots offered depend on the first answer, to show a later form built from an earlier one. */
export function slotsFor(name: string): string[] {
  const start = name.length % 3;
  return ALL_SLOTS.slice(start, start + 3);
}

export function slotSchema(slots: string[]): RequestedSchema {
  return {
    type: 'object',
    properties: {
      date: { type: 'string', title: 'Date', format: 'date' },
      slot: { type: 'string', title: 'Time slot', enum: slots },
    },
    required: ['date', 'slot'],
  };
}
export function slotAnswer(slots: string[]) {
  return z.object({
    date: z.iso.date(),
    slot: z.string().refine((s) => slots.includes(s), { message: `choose one of ${slots.join(', ')}` }),
  });
}

export const CONFIRM_SCHEMA: RequestedSchema = {
  type: 'object',
  properties: { confirm: { type: 'boolean', title: 'Book it', default: true } },
  required: ['confirm'],
};
export const confirmAnswer = z.object({ confirm: z.boolean() });

// --- survey -----------------------------------------------------------------------------------

/** One field of every kind the elicitation spec allows, each with a default. */
export const SURVEY_SCHEMA: RequestedSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Name', minLength: 2, maxLength: 50, default: 'Ada Lovelace' },
    email: { type: 'string', title: 'Email', format: 'email', default: 'ada@example.com' },
    website: { type: 'string', title: 'Website', format: 'uri', default: 'https://example.com' },
    birthday: { type: 'string', title: 'Birthday', format: 'date', default: '1990-12-10' },
    meeting_at: {
      type: 'string',
      title: 'Preferred meeting time',
      format: 'date-time',
      default: '2026-01-15T09:30:00Z',
    },
    satisfaction: { type: 'number', title: 'Satisfaction (0-10)', minimum: 0, maximum: 10, default: 7.5 },
    team_size: { type: 'integer', title: 'Team size', minimum: 1, maximum: 500, default: 5 },
    subscribe: { type: 'boolean', title: 'Subscribe to updates', default: true },
    color: { type: 'string', title: 'Favourite colour', enum: ['red', 'green', 'blue'], default: 'green' },
    size: {
      type: 'string',
      title: 'T-shirt size',
      oneOf: [
        { const: 's', title: 'Small' },
        { const: 'm', title: 'Medium' },
        { const: 'l', title: 'Large' },
      ],
      default: 'm',
    },
    plan: {
      type: 'string',
      title: 'Plan',
      enum: ['free', 'pro', 'team'],
      enumNames: ['Free', 'Pro', 'Team'],
      default: 'pro',
    },
    languages: {
      type: 'array',
      title: 'Languages you use',
      minItems: 1,
      maxItems: 3,
      items: { type: 'string', enum: ['typescript', 'python', 'go', 'rust'] },
      default: ['typescript'],
    },
    interests: {
      type: 'array',
      title: 'Interests',
      items: {
        anyOf: [
          { const: 'forms', title: 'Forms' },
          { const: 'oauth', title: 'Sign-in' },
          { const: 'sampling', title: 'Sampling' },
        ],
      },
      default: ['forms', 'oauth'],
    },
  },
  required: ['name', 'email'],
};

/** The first field a zod error points at, for "the answer for X is invalid" messages. */
export function invalidField(error: z.ZodError): { field: string; problem: string } {
  const issue = error.issues[0];
  const field = issue && typeof issue.path[0] === 'string' ? issue.path[0] : 'form';
  return { field, problem: issue?.message ?? 'invalid value' };
}
