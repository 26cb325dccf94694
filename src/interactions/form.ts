/**
 * The neutral form model. MCP elicitation schemas (and the V1 legacy payload) are turned into a
 * {@link FormSpec} that every adapter renders its own way; submitted values come back to
 * {@link validateSubmission}, the single place where answers are checked against what the server
 * asked for. Anything the model can't represent faithfully is refused with a reason rather than
 * shown half-right.
 */

/** Every kind of field the neutral form model has (surfaces declare which they can show). */
export const FIELD_KINDS = [
  'text',
  'email',
  'url',
  'date',
  'datetime',
  'number',
  'integer',
  'boolean',
  'select',
  'multiselect',
] as const;

export type FieldKind = (typeof FIELD_KINDS)[number];

export interface FieldOption {
  value: string;
  label: string;
}

export interface FormField {
  name: string;
  kind: FieldKind;
  label: string;
  description?: string;
  required: boolean;
  default?: string | number | boolean | string[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  options?: FieldOption[];
  /**
   * A text field meant for several lines (a V1 `textarea`, or a long `maxLength`): surfaces offer
   * a multi-line input. A hint only — the value is checked like any text.
   */
  multiline?: boolean;
}

/** Text fields allowing more than this many characters get a multi-line input. */
export const MULTILINE_FROM_LENGTH = 300;

export interface FormSpec {
  /** Short title (adapters truncate to their limits). */
  title: string;
  /** The server's message to the person. */
  message: string;
  fields: readonly FormField[];
}

export type FormValue = string | number | boolean | string[];
export type FormContent = Record<string, FormValue>;

export type SchemaResult = { ok: true; form: FormSpec } | { ok: false; reason: string };

/** "due_date" → "Due date". */
export function humanize(name: string): string {
  const spaced = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/**
 * An empty record keyed by field names. Field names are the server's: `__proto__`, `constructor`
 * or `toString` must be ordinary keys, so the record has no prototype to collide with.
 */
export function fieldRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `values[name]` when `values` has it as its own key (never an inherited `toString`). */
export function ownValue(values: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(values, name) ? values[name] : undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDate(v: string): boolean {
  const m = DATE.exec(v);
  if (!m) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (typeof v === 'string' && v.trim() === '') ||
    (Array.isArray(v) && v.length === 0)
  );
}

/**
 * Finds an option by its value, or by its label ignoring case (what a person types). Built once
 * per field and kept, so checking answers is linear in the options however many are asked about.
 */
interface OptionIndex {
  find(answer: string): string | undefined;
}
const optionIndexes = new WeakMap<FormField, OptionIndex>();

function optionIndex(field: FormField): OptionIndex {
  const known = optionIndexes.get(field);
  if (known) return known;
  const byValue = new Set<string>();
  const byLabel = new Map<string, string>();
  for (const o of field.options ?? []) {
    byValue.add(o.value);
    const label = o.label.trim().toLowerCase();
    if (!byLabel.has(label)) byLabel.set(label, o.value);
  }
  const index: OptionIndex = {
    find: (answer) => (byValue.has(answer) ? answer : byLabel.get(answer.trim().toLowerCase())),
  };
  optionIndexes.set(field, index);
  return index;
}

const TRUE = new Set(['true', 'yes', 'y', 'on', '1']);
const FALSE = new Set(['false', 'no', 'n', 'off', '0']);

/** One value checked against its field: the value to send, or the person's error sentence. */
export function checkField(field: FormField, raw: unknown): { value?: FormValue; error?: string } {
  switch (field.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw };
      const s = String(raw).trim().toLowerCase();
      if (TRUE.has(s)) return { value: true };
      if (FALSE.has(s)) return { value: false };
      return { error: 'Answer yes or no.' };
    }
    case 'number':
    case 'integer': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isFinite(n)) return { error: 'Enter a number.' };
      if (field.kind === 'integer' && !Number.isInteger(n)) return { error: 'Enter a whole number.' };
      if (field.minimum !== undefined && n < field.minimum)
        return { error: `Must be at least ${field.minimum}.` };
      if (field.maximum !== undefined && n > field.maximum)
        return { error: `Must be at most ${field.maximum}.` };
      return { value: n };
    }
    case 'select': {
      const match = optionIndex(field).find(String(raw));
      return match !== undefined ? { value: match } : { error: 'Choose one of the listed options.' };
    }
    case 'multiselect': {
      const list = Array.isArray(raw)
        ? raw.map(String)
        : String(raw)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
      const index = optionIndex(field);
      const chosen = new Set<string>();
      for (const item of list) {
        const match = index.find(item);
        if (match === undefined) return { error: `"${item}" is not one of the options.` };
        chosen.add(match);
      }
      const values = [...chosen];
      if (field.minItems !== undefined && values.length < field.minItems)
        return { error: `Choose at least ${field.minItems}.` };
      if (field.maxItems !== undefined && values.length > field.maxItems)
        return { error: `Choose at most ${field.maxItems}.` };
      return { value: values };
    }
    default: {
      if (typeof raw !== 'string') return { error: 'Enter text.' };
      const s = field.kind === 'text' ? raw : raw.trim();
      if (field.minLength !== undefined && s.length < field.minLength)
        return { error: `Must be at least ${field.minLength} characters.` };
      if (field.maxLength !== undefined && s.length > field.maxLength)
        return { error: `Must be at most ${field.maxLength} characters.` };
      if (field.kind === 'email' && !EMAIL.test(s)) return { error: 'Enter a valid email address.' };
      if (field.kind === 'url') {
        try {
          const u = new URL(s);
          if (!/^https?:$/.test(u.protocol)) return { error: 'Enter an http(s) link.' };
        } catch {
          return { error: 'Enter a valid link (https://…).' };
        }
      }
      if (field.kind === 'date' && !validDate(s)) return { error: 'Enter a date as YYYY-MM-DD.' };
      if (field.kind === 'datetime') {
        const t = Date.parse(s);
        if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(s))
          return { error: 'Enter a date and time as YYYY-MM-DDTHH:MM.' };
        return { value: new Date(t).toISOString() };
      }
      return { value: s };
    }
  }
}

export type SubmissionResult =
  | { ok: true; content: FormContent }
  | { ok: false; errors: Record<string, string> };

/**
 * Checks submitted values against the form. Unknown keys are dropped (a tampered submission can't
 * smuggle extra fields to the server); errors are per field, in the person's language.
 */
export function validateSubmission(form: FormSpec, values: Record<string, unknown>): SubmissionResult {
  const content = fieldRecord<FormValue>();
  const errors = fieldRecord<string>();
  for (const field of form.fields) {
    const raw = ownValue(values, field.name);
    if (isEmpty(raw) && !(field.kind === 'boolean' && typeof raw === 'boolean')) {
      if (field.required) errors[field.name] = 'This field is required.';
      continue;
    }
    const { value, error } = checkField(field, raw);
    if (error) errors[field.name] = error;
    else if (value !== undefined) content[field.name] = value;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, content };
}

/** The values a form starts with (schema defaults), for "accept with defaults" flows. */
export function formDefaults(form: FormSpec): FormContent {
  const out = fieldRecord<FormValue>();
  for (const f of form.fields) if (f.default !== undefined) out[f.name] = f.default;
  return out;
}
