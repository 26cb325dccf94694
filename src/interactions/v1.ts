/**
 * The V1 "stateless re-entry" form payload (from the proof of concept): a tool returns, as text,
 * `{"type":"elicitation","elicitation_type":"form","fields":[…]}` and expects to be called again
 * with its original arguments plus the answers. The format is documented in the README; this is
 * the client side's reading of it, lenient about extras and strict about what it renders.
 */
import { z } from 'zod';
import { type FieldKind, type FormField, type FormSpec, humanize, MULTILINE_FROM_LENGTH } from './form.js';
import { soundForm } from './rules.js';

const option = z.union([
  z.string().transform((s) => ({ value: s, label: s })),
  z
    .object({ value: z.string(), label: z.string().optional() })
    .transform((o) => ({ value: o.value, label: o.label ?? o.value })),
]);

const field = z.object({
  name: z.string().min(1).max(64),
  label: z.string().optional(),
  type: z.enum([
    'text',
    'string',
    'textarea',
    'number',
    'integer',
    'boolean',
    'select',
    'multiselect',
    'date',
    'email',
    'url',
  ]),
  required: z.boolean().default(false),
  description: z.string().optional(),
  default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
  min_length: z.number().int().min(0).optional(),
  max_length: z.number().int().min(0).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  format: z.enum(['email', 'uri', 'date', 'date-time']).optional(),
  options: z.array(option).optional(),
});

export const v1PayloadSchema = z.object({
  type: z.literal('elicitation'),
  elicitation_type: z.literal('form'),
  tool: z.string().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  fields: z.array(field).min(1).max(50),
});

export type V1Payload = z.infer<typeof v1PayloadSchema>;

/**
 * Looks for a V1 payload in a tool result's text content. Returns undefined for ordinary results,
 * and an error string for something that claims to be a V1 form but is malformed.
 */
export function findV1Payload(content: unknown): { payload: V1Payload } | { error: string } | undefined {
  if (!Array.isArray(content)) return undefined;
  for (const block of content) {
    if (typeof block !== 'object' || block === null) continue;
    const { type, text } = block as { type?: unknown; text?: unknown };
    if (type !== 'text' || typeof text !== 'string' || !text.includes('"elicitation"')) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      continue;
    }
    if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'elicitation')
      continue;
    const parsed = v1PayloadSchema.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return {
        error: `the tool asked for a form Parley can't read (${first?.path.join('.') || 'payload'}: ${first?.message})`,
      };
    }
    return { payload: parsed.data };
  }
  return undefined;
}

/**
 * The neutral form for a V1 payload, made sound like every form (rules.ts: duplicate names, empty
 * ranges and blank options are refused), or `{ error }` saying why it can't be shown.
 */
export function v1PayloadToForm(payload: V1Payload, toolTitle: string): FormSpec | { error: string } {
  const fields: FormField[] = [];
  for (const f of payload.fields) {
    let kind: FieldKind;
    switch (f.type) {
      case 'text':
      case 'string':
      case 'textarea':
        kind =
          f.format === 'email'
            ? 'email'
            : f.format === 'uri'
              ? 'url'
              : f.format === 'date'
                ? 'date'
                : f.format === 'date-time'
                  ? 'datetime'
                  : 'text';
        break;
      case 'url':
        kind = 'url';
        break;
      default:
        kind = f.type;
    }
    if ((kind === 'select' || kind === 'multiselect') && (!f.options || f.options.length === 0)) {
      return { error: `field "${f.name}" is a choice without options` };
    }
    fields.push({
      name: f.name,
      kind,
      label: f.label ?? humanize(f.name),
      required: f.required,
      ...(f.description !== undefined && { description: f.description }),
      ...(f.default !== undefined && { default: f.default }),
      ...(f.min_length !== undefined && { minLength: f.min_length }),
      ...(f.max_length !== undefined && { maxLength: f.max_length }),
      ...(f.minimum !== undefined && { minimum: f.minimum }),
      ...(f.maximum !== undefined && { maximum: f.maximum }),
      ...(f.options !== undefined && { options: f.options }),
      ...(kind === 'text' &&
        (f.type === 'textarea' || (f.max_length ?? 0) > MULTILINE_FROM_LENGTH) && { multiline: true }),
    });
  }
  const sound = soundForm(
    {
      title: payload.title ?? toolTitle,
      message: payload.message ?? `${toolTitle} needs a few more details.`,
      fields,
    },
    toolTitle,
  );
  return sound.ok ? sound.form : { error: sound.reason };
}
