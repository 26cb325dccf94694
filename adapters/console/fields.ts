/**
 * How the console asks one form field: the lines shown before its prompt (what the server says
 * the field is for, the allowed values with their titles, how to skip it) and how a typed line
 * becomes the value sent to the core, which checks it (src/interactions/form.ts).
 */
import type { FormField } from '../../src/interactions/form.js';

/** Lines printed above a field's prompt, each without indentation. */
export function fieldHelp(field: FormField): string[] {
  const lines: string[] = [];
  if (field.description) lines.push(...field.description.split('\n'));
  const options = field.options ?? [];
  if (field.kind === 'select' || field.kind === 'multiselect') {
    lines.push(
      field.kind === 'select'
        ? 'Choose one — type its number or its name:'
        : `Choose any — numbers or names, separated by commas${range(field.minItems, field.maxItems, 'choice')}:`,
    );
    options.forEach((o, i) => {
      lines.push(`  ${i + 1}) ${o.label}${o.label === o.value ? '' : ` (${o.value})`}`);
    });
  }
  const hint = kindHint(field);
  if (hint) lines.push(hint);
  if (!field.required && field.default === undefined) lines.push('Optional — press Enter to skip.');
  if (field.default !== undefined) lines.push(`Enter keeps ${shown(field.default, field)}.`);
  return lines;
}

/** The prompt itself: `Label *: ` for a required field, `Label (optional): ` otherwise. */
export function fieldPrompt(field: FormField): string {
  return `${field.label}${field.required ? ' *' : ' (optional)'}: `;
}

/**
 * The value to send for a typed line: the default for an empty line, option numbers turned into
 * option values. Anything else goes as typed — the core validates and answers with per-field
 * errors. `undefined` means "no answer" (an optional field skipped).
 */
export function answerValue(field: FormField, line: string): unknown {
  const typed = line.trim();
  if (typed === '') return field.default;
  const options = field.options ?? [];
  const byNumber = (item: string): string => {
    // A number picks an option only where no option is called that, so "2" stays "2" if it's a value.
    if (!/^\d+$/.test(item) || options.some((o) => o.value === item || o.label === item)) return item;
    return options[Number(item) - 1]?.value ?? item;
  };
  if (field.kind === 'select') return byNumber(typed);
  if (field.kind === 'multiselect')
    return typed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(byNumber);
  return field.kind === 'text' ? line : typed;
}

function kindHint(field: FormField): string | undefined {
  switch (field.kind) {
    case 'boolean':
      return 'Answer y or n.';
    case 'date':
      return 'A date as YYYY-MM-DD.';
    case 'datetime':
      return 'A date and time as YYYY-MM-DDTHH:MM.';
    case 'email':
      return 'An email address.';
    case 'url':
      return 'A link (https://…).';
    case 'number':
    case 'integer': {
      const what = field.kind === 'integer' ? 'A whole number' : 'A number';
      if (field.minimum !== undefined && field.maximum !== undefined)
        return `${what} from ${field.minimum} to ${field.maximum}.`;
      if (field.minimum !== undefined) return `${what}, at least ${field.minimum}.`;
      if (field.maximum !== undefined) return `${what}, at most ${field.maximum}.`;
      return `${what}.`;
    }
    case 'text': {
      const r = range(field.minLength, field.maxLength, 'character');
      return r ? `Text${r}.` : undefined;
    }
    default:
      return undefined;
  }
}

function range(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined) return ` (${min}–${max} ${unit}s)`;
  if (min !== undefined) return ` (at least ${min} ${unit}${min === 1 ? '' : 's'})`;
  if (max !== undefined) return ` (at most ${max} ${unit}${max === 1 ? '' : 's'})`;
  return '';
}

function shown(value: NonNullable<FormField['default']>, field: FormField): string {
  const label = (v: string) => field.options?.find((o) => o.value === v)?.label ?? v;
  if (Array.isArray(value)) return value.length ? value.map(label).join(', ') : 'nothing chosen';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return `“${label(String(value))}”`;
}
