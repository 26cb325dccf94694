/**
 * What makes a form sound, whichever source it came from (an elicitation schema, a V1 payload):
 * no contradictions (a range with nothing in it, a choice that can't be made) and nothing a chat
 * platform refuses (blank or repeated options, fractional lengths). A form is either made sound
 * without changing its meaning — integer bounds rounded inwards, a blank label replaced by the
 * field's name, a default the form itself would reject dropped — or declined with a reason the
 * person is told. Every surface then renders only sound forms. Linear in fields and options.
 */
import { checkField, type FormField, type FormSpec, humanize, type SchemaResult } from './form.js';

const isCount = (n: number | undefined): boolean => n === undefined || (Number.isInteger(n) && n >= 0);

/**
 * Checks and normalises a form. Returns a new form (the input is not changed) or the first reason
 * it can't be shown, as a clause ("field “Size” has minimum 5 above maximum 1").
 */
export function soundForm(form: FormSpec, fallbackTitle = 'Information needed'): SchemaResult {
  const seen = new Set<string>();
  const fields: FormField[] = [];
  for (const raw of form.fields) {
    if (raw.name.trim() === '') return { ok: false, reason: 'a field has a blank name' };
    if (seen.has(raw.name)) return { ok: false, reason: `two fields are named "${raw.name}"` };
    seen.add(raw.name);
    const field = soundField(raw);
    if (typeof field === 'string') return { ok: false, reason: field };
    fields.push(field);
  }
  const title = form.title.trim() || fallbackTitle.trim() || 'Information needed';
  return { ok: true, form: { ...form, title, fields } };
}

function soundField(raw: FormField): FormField | string {
  const label = raw.label.trim() || humanize(raw.name) || raw.name.trim();
  const field: FormField = { ...raw, label };
  const name = `field “${label}”`;
  const { minLength, maxLength, minItems, maxItems } = field;
  if (!isCount(minLength) || !isCount(maxLength))
    return `${name} has a text length that isn’t a whole number of characters`;
  if (maxLength === 0) return `${name} accepts no text at all (maxLength 0)`;
  if (minLength !== undefined && maxLength !== undefined && minLength > maxLength)
    return `${name} needs at least ${minLength} characters but at most ${maxLength}`;
  if (field.kind === 'integer') {
    // A whole number in [1.5, 9.5] is one in [2, 9]: the same answers, and what platforms take.
    if (field.minimum !== undefined) field.minimum = Math.ceil(field.minimum);
    if (field.maximum !== undefined) field.maximum = Math.floor(field.maximum);
  }
  if (field.minimum !== undefined && field.maximum !== undefined && field.minimum > field.maximum)
    return field.kind === 'integer' &&
      raw.minimum !== undefined &&
      raw.maximum !== undefined &&
      raw.minimum <= raw.maximum
      ? `${name} asks for a whole number between ${raw.minimum} and ${raw.maximum}, and there is none`
      : `${name} asks for at least ${raw.minimum} and at most ${raw.maximum}`;
  if (field.kind === 'select' || field.kind === 'multiselect') {
    const options = soundOptions(field, name);
    if (typeof options === 'string') return options;
    field.options = options;
    if (field.kind === 'multiselect') {
      if (!isCount(minItems) || !isCount(maxItems))
        return `${name} has a choice count that isn’t a whole number`;
      if (maxItems === 0) return `${name} allows no choice at all (maxItems 0)`;
      if (minItems !== undefined && maxItems !== undefined && minItems > maxItems)
        return `${name} asks for at least ${minItems} choices but at most ${maxItems}`;
      if (minItems !== undefined && minItems > options.length)
        return `${name} asks for at least ${minItems} choices of ${options.length} options`;
    }
  }
  // A default the form itself would refuse is not offered (platforms reject such pre-fills).
  if (field.default !== undefined && checkField(field, field.default).error !== undefined)
    delete field.default;
  return field;
}

function soundOptions(field: FormField, name: string): NonNullable<FormField['options']> | string {
  const raw = field.options ?? [];
  if (raw.length === 0) return `${name} has no options`;
  const values = new Set<string>();
  const labels = new Set<string>();
  const out: NonNullable<FormField['options']> = [];
  for (const o of raw) {
    if (o.value.trim() === '') return `${name} has an option with a blank value`;
    if (values.has(o.value)) return `${name} lists the option "${o.value}" twice`;
    values.add(o.value);
    const label = o.label.trim() === '' ? o.value : o.label;
    // Answers typed as text are matched to labels ignoring case: two labels must differ beyond it.
    const key = label.trim().toLowerCase();
    if (labels.has(key)) return `${name} has two options labelled “${label.trim()}”`;
    labels.add(key);
    out.push(label === o.label ? o : { value: o.value, label });
  }
  return out;
}
