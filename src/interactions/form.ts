/**
 * The neutral form model. MCP elicitation schemas (and the V1 legacy payload) are turned into a
 * {@link FormSpec} that every adapter renders its own way; submitted values come back to
 * {@link validateSubmission}, the single place where answers are checked against what the server
 * asked for. Anything the model can't represent faithfully is refused with a reason rather than
 * shown half-right.
 */

export type FieldKind =
  | 'text'
  | 'email'
  | 'url'
  | 'date'
  | 'datetime'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'select'
  | 'multiselect';

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
  fields: FormField[];
}

export type FormValue = string | number | boolean | string[];
export type FormContent = Record<string, FormValue>;

export type SchemaResult = { ok: true; form: FormSpec } | { ok: false; reason: string };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** "due_date" → "Due date". */
export function humanize(name: string): string {
  const spaced = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

function optionsFromEnum(values: unknown[], names: unknown): FieldOption[] | string {
  const labels = Array.isArray(names) ? names : undefined;
  const out: FieldOption[] = [];
  for (const [i, v] of values.entries()) {
    if (typeof v !== 'string') return 'enum values must be strings';
    const label = labels ? str(labels[i]) : undefined;
    out.push({ value: v, label: label ?? v });
  }
  return out;
}

function optionsFromConsts(list: unknown[]): FieldOption[] | string {
  const out: FieldOption[] = [];
  for (const item of list) {
    if (!isRecord(item) || typeof item.const !== 'string') return 'each option needs a string "const"';
    out.push({ value: item.const, label: str(item.title) ?? item.const });
  }
  return out;
}

function fieldFromProperty(name: string, prop: unknown, required: boolean): FormField | string {
  if (!isRecord(prop)) return `field "${name}" is not a schema object`;
  const base = {
    name,
    label: str(prop.title) ?? humanize(name),
    required,
    ...(str(prop.description) !== undefined && { description: str(prop.description) as string }),
  };
  const type = prop.type;
  switch (type) {
    case 'string': {
      let options: FieldOption[] | string | undefined;
      if (Array.isArray(prop.enum)) options = optionsFromEnum(prop.enum, prop.enumNames);
      else if (Array.isArray(prop.oneOf)) options = optionsFromConsts(prop.oneOf);
      else if (Array.isArray(prop.anyOf)) options = optionsFromConsts(prop.anyOf);
      if (typeof options === 'string') return `field "${name}": ${options}`;
      if (options) {
        if (options.length === 0) return `field "${name}" has no options`;
        const def = str(prop.default);
        return { ...base, kind: 'select', options, ...(def !== undefined && { default: def }) };
      }
      const format = prop.format;
      let kind: FieldKind = 'text';
      if (format === 'email') kind = 'email';
      else if (format === 'uri') kind = 'url';
      else if (format === 'date') kind = 'date';
      else if (format === 'date-time') kind = 'datetime';
      else if (format !== undefined) return `field "${name}" uses the unsupported format "${String(format)}"`;
      const def = str(prop.default);
      const minLength = num(prop.minLength);
      const maxLength = num(prop.maxLength);
      return {
        ...base,
        kind,
        ...(def !== undefined && { default: def }),
        ...(minLength !== undefined && { minLength }),
        ...(maxLength !== undefined && { maxLength }),
        ...(kind === 'text' &&
          maxLength !== undefined &&
          maxLength > MULTILINE_FROM_LENGTH && { multiline: true }),
      };
    }
    case 'number':
    case 'integer': {
      const def = num(prop.default);
      const minimum = num(prop.minimum);
      const maximum = num(prop.maximum);
      return {
        ...base,
        kind: type,
        ...(def !== undefined && { default: def }),
        ...(minimum !== undefined && { minimum }),
        ...(maximum !== undefined && { maximum }),
      };
    }
    case 'boolean':
      return {
        ...base,
        kind: 'boolean',
        ...(typeof prop.default === 'boolean' && { default: prop.default }),
      };
    case 'array': {
      const items = prop.items;
      if (!isRecord(items)) return `field "${name}" is a list without item options`;
      let options: FieldOption[] | string;
      if (Array.isArray(items.enum)) options = optionsFromEnum(items.enum, undefined);
      else if (Array.isArray(items.anyOf)) options = optionsFromConsts(items.anyOf);
      else if (Array.isArray(items.oneOf)) options = optionsFromConsts(items.oneOf);
      else return `field "${name}" is a list of free values, which can't be shown as a form field`;
      if (typeof options === 'string') return `field "${name}": ${options}`;
      if (options.length === 0) return `field "${name}" has no options`;
      const def = Array.isArray(prop.default)
        ? prop.default.filter((d): d is string => typeof d === 'string')
        : undefined;
      const minItems = num(prop.minItems);
      const maxItems = num(prop.maxItems);
      return {
        ...base,
        kind: 'multiselect',
        options,
        ...(def !== undefined && { default: def }),
        ...(minItems !== undefined && { minItems }),
        ...(maxItems !== undefined && { maxItems }),
      };
    }
    default:
      return `field "${name}" has the unsupported type "${String(type)}"`;
  }
}

/**
 * A form schema with the common off-spec shapes read as their authors meant, so strict
 * validators accept it: a multi-select whose `items` has an `enum` but no `type` (FastMCP) gets
 * `type: "string"` when every value is a string. Anything else is
 * returned as it was. Never throws.
 */
export function readFormSchemaAsMeant(schema: unknown): unknown {
  if (!isRecord(schema) || !isRecord(schema.properties)) return schema;
  const properties: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties)) {
    const items = isRecord(prop) ? prop.items : undefined;
    const values = isRecord(items) && Array.isArray(items.enum) ? items.enum : undefined;
    const stringsOnly =
      values !== undefined && values.length > 0 && values.every((v) => typeof v === 'string');
    properties[name] =
      isRecord(prop) && prop.type === 'array' && isRecord(items) && items.type === undefined && stringsOnly
        ? { ...prop, items: { ...items, type: 'string' } }
        : prop;
  }
  return { ...schema, properties };
}

/** Converts an elicitation `requestedSchema` into a form, or says why it can't. */
export function schemaToForm(schema: unknown, message: string, title = 'Information needed'): SchemaResult {
  if (!isRecord(schema)) return { ok: false, reason: 'the form schema is not an object' };
  if (schema.type !== 'object') return { ok: false, reason: 'the form schema must be of type "object"' };
  const properties = schema.properties ?? {};
  if (!isRecord(properties)) return { ok: false, reason: 'the form schema has no valid "properties"' };
  const requiredList = Array.isArray(schema.required)
    ? schema.required.filter((r) => typeof r === 'string')
    : [];
  const fields: FormField[] = [];
  for (const [name, prop] of Object.entries(properties)) {
    const field = fieldFromProperty(name, prop, requiredList.includes(name));
    if (typeof field === 'string') return { ok: false, reason: field };
    fields.push(field);
  }
  for (const r of requiredList) {
    if (!(r in properties)) return { ok: false, reason: `required field "${r}" is not defined` };
  }
  return { ok: true, form: { title, message, fields } };
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

const TRUE = new Set(['true', 'yes', 'y', 'on', '1']);
const FALSE = new Set(['false', 'no', 'n', 'off', '0']);

function checkField(field: FormField, raw: unknown): { value?: FormValue; error?: string } {
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
      const s = String(raw);
      const options = field.options ?? [];
      const match =
        options.find((o) => o.value === s) ??
        options.find((o) => o.label.toLowerCase() === s.trim().toLowerCase());
      return match ? { value: match.value } : { error: 'Choose one of the listed options.' };
    }
    case 'multiselect': {
      const list = Array.isArray(raw)
        ? raw.map(String)
        : String(raw)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
      const options = field.options ?? [];
      const values: string[] = [];
      for (const item of list) {
        const match =
          options.find((o) => o.value === item) ??
          options.find((o) => o.label.toLowerCase() === item.toLowerCase());
        if (!match) return { error: `"${item}" is not one of the options.` };
        if (!values.includes(match.value)) values.push(match.value);
      }
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
  const content: FormContent = {};
  const errors: Record<string, string> = {};
  for (const field of form.fields) {
    const raw = values[field.name];
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
  const out: FormContent = {};
  for (const f of form.fields) if (f.default !== undefined) out[f.name] = f.default;
  return out;
}
