/**
 * MCP elicitation schemas → the neutral form. Only the restricted JSON Schema subset the MCP spec
 * allows for `requestedSchema` is read; anything else is refused with a reason, and the result is
 * made sound (rules.ts) before any surface sees it.
 */
import {
  type FieldKind,
  type FieldOption,
  type FormField,
  fieldRecord,
  humanize,
  MULTILINE_FROM_LENGTH,
  type SchemaResult,
} from './form.js';
import { soundForm } from './rules.js';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

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
 * Converts an elicitation `requestedSchema` (MCP 2025-06-18+ "Elicitation" §Requested Schema: a
 * flat object of primitive properties) into a sound form (see rules.ts), or says why it can't.
 *
 * The fields are shared: a tool asks with the same schema every time, so each distinct schema
 * is converted once and every form made from it holds the same frozen `fields` (issue 12 §2: a
 * thousand people waiting on one tool's form hold one copy of it, not a thousand).
 */
export function schemaToForm(schema: unknown, message: string, title = 'Information needed'): SchemaResult {
  const key = cacheKey(schema);
  let fields = key === undefined ? undefined : converted.get(key);
  if (fields === undefined) {
    fields = convert(schema);
    if (key !== undefined) remember(key, fields);
  }
  if (typeof fields === 'string') return { ok: false, reason: fields };
  return { ok: true, form: { title: title.trim() || 'Information needed', message, fields } };
}

/** Distinct schemas whose conversion is kept (least recently used dropped first). */
const CONVERTED_MAX = 256;
/** Larger schemas are converted each time rather than kept. */
const CACHED_SCHEMA_MAX_CHARS = 16_384;
const converted = new Map<string, readonly FormField[] | string>();

function cacheKey(schema: unknown): string | undefined {
  let key: string | undefined;
  try {
    key = JSON.stringify(schema);
  } catch {
    return undefined;
  }
  return key !== undefined && key.length <= CACHED_SCHEMA_MAX_CHARS ? key : undefined;
}

function remember(key: string, fields: readonly FormField[] | string): void {
  converted.delete(key);
  converted.set(key, fields);
  if (converted.size > CONVERTED_MAX) converted.delete(converted.keys().next().value as string);
}

/** The sound, frozen fields of a schema, or why it can't be shown. */
function convert(schema: unknown): readonly FormField[] | string {
  if (!isRecord(schema)) return 'the form schema is not an object';
  if (schema.type !== 'object') return 'the form schema must be of type "object"';
  const properties = schema.properties ?? {};
  if (!isRecord(properties)) return 'the form schema has no valid "properties"';
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [],
  );
  const fields: FormField[] = [];
  for (const [name, prop] of Object.entries(properties)) {
    const field = fieldFromProperty(name, prop, required.has(name));
    if (typeof field === 'string') return field;
    fields.push(field);
  }
  // Own keys only: "toString" is not a field just because every object has one.
  for (const r of required) {
    if (!Object.hasOwn(properties, r)) return `required field "${r}" is not defined`;
  }
  const sound = soundForm({ title: '', message: '', fields });
  if (!sound.ok) return sound.reason;
  for (const f of sound.form.fields) {
    for (const o of f.options ?? []) Object.freeze(o);
    Object.freeze(f.options);
    Object.freeze(f);
  }
  return Object.freeze(sound.form.fields);
}

/**
 * A form schema with the common off-spec shapes read as their authors meant, so strict
 * validators accept it: a multi-select whose `items` has an `enum` but no `type` (FastMCP) gets
 * `type: "string"` when every value is a string. Anything else is returned as it was. Never
 * throws. Properties are kept in a record without a prototype, so a field named `__proto__`
 * survives.
 */
export function readFormSchemaAsMeant(schema: unknown): unknown {
  if (!isRecord(schema) || !isRecord(schema.properties)) return schema;
  const properties = fieldRecord<unknown>();
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
