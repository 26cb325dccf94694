/**
 * What Slack sends back from an open form modal: type-ahead queries for long option lists, the
 * submitted state read back into values by field name (for the core to validate, never trusted),
 * and the core's per-field errors put back on the modal's blocks.
 */
import { type FormField, type FormSpec, fieldRecord, ownValue } from '../../src/interactions/form.js';
import { truncate } from '../../src/text.js';
import { blockIds, byIndex, INPUT_ACTION, type Option, optionFor } from './form-modal.js';
import { LIMITS } from './kit.js';

/** Maps a submitted option value back to the field's real option value. */
function decodeOption(field: FormField, value: string): string {
  if (!byIndex(field)) return value;
  const m = /^#(\d+)$/.exec(value);
  const o = m ? field.options?.[Number(m[1])] : undefined;
  return o ? o.value : value;
}

/** Each option's label and value in lower case, made once per field rather than per keystroke. */
const searchable = new WeakMap<FormField, string[]>();

/** Options matching a type-ahead query, for `external_select` (at most 100, as Slack requires). */
export function suggestOptions(field: FormField, query: string): Option[] {
  const q = query.trim().toLowerCase();
  const options = field.options ?? [];
  let haystack = searchable.get(field);
  if (!haystack) {
    haystack = options.map((o) => `${o.label.toLowerCase()}\u0000${o.value.toLowerCase()}`);
    searchable.set(field, haystack);
  }
  const out: Option[] = [];
  for (let i = 0; i < options.length && out.length < LIMITS.staticOptions; i++) {
    if (q && !(haystack[i] as string).includes(q)) continue;
    out.push(optionFor(field, i) as Option);
  }
  return out;
}

/** The state of one input as Slack sends it in `view.state.values`. */
export interface InputState {
  value?: string | null;
  selected_date?: string | null;
  selected_date_time?: number | null;
  selected_option?: { value: string } | null;
  selected_options?: Array<{ value: string }>;
}

/** Reads a submitted modal back into values by field name, for the core to validate. */
export function readSubmission(
  form: FormSpec,
  state: Record<string, Record<string, InputState>>,
): Record<string, unknown> {
  const ids = blockIds(form);
  const out = fieldRecord<unknown>();
  form.fields.forEach((field, i) => {
    const block = ownValue(state, ids[i] as string) as Record<string, InputState> | undefined;
    const input = block ? (ownValue(block, INPUT_ACTION) as InputState | undefined) : undefined;
    if (!input) return;
    switch (field.kind) {
      case 'date':
        out[field.name] = input.selected_date ?? '';
        return;
      case 'datetime':
        out[field.name] =
          typeof input.selected_date_time === 'number'
            ? new Date(input.selected_date_time * 1000).toISOString()
            : '';
        return;
      case 'boolean':
        out[field.name] = (input.selected_options ?? []).some((o) => o.value === 'true');
        return;
      case 'select':
        out[field.name] = input.selected_option ? decodeOption(field, input.selected_option.value) : '';
        return;
      case 'multiselect':
        out[field.name] = (input.selected_options ?? []).map((o) => decodeOption(field, o.value));
        return;
      default:
        out[field.name] = input.value ?? '';
    }
  });
  return out;
}

/** The core's per-field errors, keyed by block id as `response_action: errors` wants them. */
export function errorsByBlock(form: FormSpec, errors: Record<string, string>): Record<string, string> {
  const ids = blockIds(form);
  const out = fieldRecord<string>();
  form.fields.forEach((field, i) => {
    const message = ownValue(errors, field.name);
    if (typeof message === 'string' && message) out[ids[i] as string] = truncate(message, LIMITS.inputHint);
  });
  return out;
}

/** The field an external select's block belongs to. */
export function fieldForBlock(form: FormSpec, blockId: string): FormField | undefined {
  const i = blockIds(form).indexOf(blockId);
  return i >= 0 ? form.fields[i] : undefined;
}
