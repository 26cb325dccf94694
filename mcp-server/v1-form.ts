/**
 * The "V1" form payload: the pre-elicitation way for a tool to ask for more input. The tool answers
 * with ONE text content block whose text is this JSON; the client renders the fields, then calls the
 * same tool again with its original arguments plus each answer under the field's `name`.
 *
 * This module is the contract between the demo server (which emits the payload) and Parley (which
 * parses it), so it exports both the TypeScript types and a zod schema of the payload.
 */
import { z } from 'zod';

export const V1_FORM_FIELD_TYPES = [
  'text',
  'number',
  'integer',
  'boolean',
  'select',
  'multiselect',
  'date',
] as const;
export type V1FormFieldType = (typeof V1_FORM_FIELD_TYPES)[number];

export interface V1FormOption {
  value: string;
  label: string;
}

interface V1FormFieldBase {
  /** The argument name the answer goes under when the client calls the tool again. */
  name: string;
  label: string;
  required: boolean;
  description?: string;
  default?: string | number | boolean | string[];
  /** For text fields. */
  min_length?: number;
  max_length?: number;
  /** For number and integer fields. */
  minimum?: number;
  maximum?: number;
  /** For text fields. */
  format?: 'email' | 'uri';
}

/** A field without choices; `options` never appears on it. */
export interface V1FormPlainField extends V1FormFieldBase {
  type: Exclude<V1FormFieldType, 'select' | 'multiselect'>;
  options?: never;
}

/** A single- or multi-choice field; the answer is an option's `value` (an array for multiselect). */
export interface V1FormChoiceField extends V1FormFieldBase {
  type: 'select' | 'multiselect';
  options: V1FormOption[];
}

export type V1FormField = V1FormPlainField | V1FormChoiceField;

export interface V1FormPayload {
  type: 'elicitation';
  elicitation_type: 'form';
  /** The tool to call again with the answers. */
  tool: string;
  message: string;
  fields: V1FormField[];
}

export const v1FormOptionSchema = z.object({ value: z.string(), label: z.string() });

const fieldBase = {
  name: z.string().min(1),
  label: z.string(),
  required: z.boolean(),
  description: z.string().optional(),
  default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
  min_length: z.number().int().min(0).optional(),
  max_length: z.number().int().min(0).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  format: z.enum(['email', 'uri']).optional(),
};

export const v1FormPlainFieldSchema = z.object({
  ...fieldBase,
  type: z.enum(['text', 'number', 'integer', 'boolean', 'date']),
  options: z.never().optional(),
});

export const v1FormChoiceFieldSchema = z.object({
  ...fieldBase,
  type: z.enum(['select', 'multiselect']),
  options: z.array(v1FormOptionSchema).min(1),
});

export const v1FormFieldSchema = z.union([v1FormPlainFieldSchema, v1FormChoiceFieldSchema]);

export const v1FormPayloadSchema = z.object({
  type: z.literal('elicitation'),
  elicitation_type: z.literal('form'),
  tool: z.string().min(1),
  message: z.string(),
  fields: z.array(v1FormFieldSchema),
});

/**
 * Reads a tool result's text as a V1 form payload. Returns `undefined` for any text that is not
 * one (plain prose, other JSON), so a client can call it on every text block it receives.
 */
export function parseV1FormPayload(text: string): V1FormPayload | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = v1FormPayloadSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

// Compile-time guard: the zod schema and the TypeScript types describe the same payload, so the
// two cannot drift apart unnoticed.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _typesAgree: Same<z.infer<typeof v1FormPayloadSchema>, V1FormPayload> = true;
