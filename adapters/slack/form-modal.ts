/**
 * The modal a neutral form becomes, and the notices that replace it (a refused or stale submit,
 * the wait for a wizard's next step). It declares what a Slack modal can show faithfully
 * ({@link SLACK_CAPABILITIES}); a form beyond that is reported with a reason instead of being cut
 * down. Long option values go to Slack as their index (decoded again in form-submission.ts).
 */
import type { types } from '@slack/bolt';
import { formProblem } from '../../src/interactions/capabilities.js';
import type { FormField, FormSpec } from '../../src/interactions/form.js';
import { type SurfaceCapabilities, UNLIMITED } from '../../src/surface.js';
import { truncate } from '../../src/text.js';
import { context, LIMITS, plain, section } from './kit.js';
import { escapeMrkdwn, markdownToMrkdwn } from './mrkdwn.js';

type KnownBlock = types.KnownBlock;
export type ModalView = types.ModalView;
export type Option = types.PlainTextOption;

export const FORM_CALLBACK = 'parley_form';
/** Every input's action id; the block id names the field. */
export const INPUT_ACTION = 'value';

/** Blocks a form modal uses besides its inputs (the message and the origin line). */
const MODAL_FIXED_BLOCKS = 2;

/**
 * Block ids: the field's own name when Slack takes it, its position otherwise — never one id twice,
 * even when a field is itself named like another's positional id ("field_1").
 */
export function blockIds(form: FormSpec): string[] {
  const names = new Set(form.fields.map((f) => f.name));
  const seen = new Set<string>();
  return form.fields.map((f, i) => {
    let id =
      f.name.length > 0 && f.name.length <= LIMITS.blockId && !seen.has(f.name) ? f.name : `field_${i}`;
    for (let n = 1; seen.has(id) || (id !== f.name && names.has(id)); n++) id = `field_${i}_${n}`;
    seen.add(id);
    return id;
  });
}

/**
 * Whether a choice field's options go to Slack by index (some value is too long to send as is).
 * Decided once per field: asking per option made building a 40,000-option form quadratic.
 */
const indexed = new WeakMap<FormField, boolean>();
export function byIndex(field: FormField): boolean {
  let known = indexed.get(field);
  if (known === undefined) {
    known = (field.options ?? []).some(
      (o) => o.value.length === 0 || o.value.length > LIMITS.optionValue || o.value.startsWith('#'),
    );
    indexed.set(field, known);
  }
  return known;
}

/** Option `index` of a choice field as Slack shows it (its value, or `#index`). */
export function optionFor(field: FormField, index: number): Option | undefined {
  const o = field.options?.[index];
  if (!o) return undefined;
  return {
    text: plain(o.label || o.value, LIMITS.optionText),
    value: byIndex(field) ? `#${index}` : o.value,
  };
}

/** The options as Slack shows them; only called for fields small enough to list (≤ 100). */
function optionsOf(field: FormField): Option[] {
  return (field.options ?? []).map((_o, i) => optionFor(field, i) as Option);
}

/**
 * What a Slack modal shows faithfully: every field kind; up to 98 inputs (100 blocks less the
 * message and origin lines); any number of options (beyond 100, type-ahead via external selects);
 * text inputs up to 3,000 characters. Option labels over 75 characters are cut with "…".
 */
export const SLACK_CAPABILITIES: SurfaceCapabilities = {
  ...UNLIMITED,
  maxFields: LIMITS.modalBlocks - MODAL_FIXED_BLOCKS,
  maxTextLength: LIMITS.textInputLength,
};

function isoDate(v: unknown): string | undefined {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined;
}

function initialOptionIndexes(field: FormField, value: unknown): number[] {
  const wanted = new Set(
    Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)],
  );
  const out: number[] = [];
  if (wanted.size === 0) return out;
  for (const [i, o] of (field.options ?? []).entries()) if (wanted.has(o.value)) out.push(i);
  return out;
}

function elementFor(field: FormField, initial: unknown): types.InputBlockElement {
  const base = { action_id: INPUT_ACTION };
  switch (field.kind) {
    case 'text': {
      const long =
        field.multiline === true ||
        (field.maxLength ?? 0) > 150 ||
        /descr|detail|body|notes?|comment|message|summary/i.test(field.name);
      const minLength = field.minLength !== undefined && field.minLength > 0 ? field.minLength : undefined;
      const maxLength =
        field.maxLength !== undefined && field.maxLength <= LIMITS.textInputLength
          ? field.maxLength
          : undefined;
      return {
        type: 'plain_text_input',
        ...base,
        multiline: long,
        ...(minLength !== undefined && { min_length: minLength }),
        ...(maxLength !== undefined && maxLength > 0 && { max_length: maxLength }),
        ...(typeof initial === 'string' &&
          initial !== '' && { initial_value: truncate(initial, LIMITS.textInputLength) }),
      };
    }
    case 'email':
      return {
        type: 'email_text_input',
        ...base,
        ...(typeof initial === 'string' && initial !== '' && { initial_value: initial }),
      };
    case 'url':
      return {
        type: 'url_text_input',
        ...base,
        ...(typeof initial === 'string' && initial !== '' && { initial_value: initial }),
      };
    case 'date': {
      const d = isoDate(initial);
      return { type: 'datepicker', ...base, ...(d && { initial_date: d }) };
    }
    case 'datetime': {
      const t = typeof initial === 'string' ? Date.parse(initial) : Number.NaN;
      return {
        type: 'datetimepicker',
        ...base,
        ...(Number.isFinite(t) && { initial_date_time: Math.floor(t / 1000) }),
      };
    }
    case 'number':
    case 'integer':
      return {
        type: 'number_input',
        ...base,
        is_decimal_allowed: field.kind === 'number',
        ...(field.minimum !== undefined && { min_value: String(field.minimum) }),
        ...(field.maximum !== undefined && { max_value: String(field.maximum) }),
        ...(typeof initial === 'number' && Number.isFinite(initial) && { initial_value: String(initial) }),
      };
    case 'boolean': {
      const yes: Option = { text: plain('Yes', LIMITS.optionText), value: 'true' };
      return {
        type: 'checkboxes',
        ...base,
        options: [yes],
        ...(initial === true && { initial_options: [yes] }),
      };
    }
    case 'select': {
      // Past 100 options Slack asks for them as the person types: none are listed in the view.
      const count = field.options?.length ?? 0;
      const [first] = initialOptionIndexes(field, initial);
      const initialOption = first === undefined ? undefined : optionFor(field, first);
      if (count <= LIMITS.choiceButtons)
        return {
          type: 'radio_buttons',
          ...base,
          options: optionsOf(field),
          ...(initialOption && { initial_option: initialOption }),
        };
      if (count <= LIMITS.staticOptions)
        return {
          type: 'static_select',
          ...base,
          options: optionsOf(field),
          placeholder: plain('Choose…', LIMITS.placeholder),
          ...(initialOption && { initial_option: initialOption }),
        };
      return {
        type: 'external_select',
        ...base,
        min_query_length: 0,
        placeholder: plain('Type to search…', LIMITS.placeholder),
        ...(initialOption && { initial_option: initialOption }),
      };
    }
    case 'multiselect': {
      const count = field.options?.length ?? 0;
      const initialOptions = initialOptionIndexes(field, initial).map((i) => optionFor(field, i) as Option);
      const maxItems =
        field.maxItems !== undefined && field.maxItems >= 1 ? { max_selected_items: field.maxItems } : {};
      if (count <= LIMITS.choiceButtons)
        return {
          type: 'checkboxes',
          ...base,
          options: optionsOf(field),
          ...(initialOptions.length > 0 && { initial_options: initialOptions }),
        };
      if (count <= LIMITS.staticOptions)
        return {
          type: 'multi_static_select',
          ...base,
          options: optionsOf(field),
          placeholder: plain('Choose…', LIMITS.placeholder),
          ...maxItems,
          ...(initialOptions.length > 0 && { initial_options: initialOptions }),
        };
      return {
        type: 'multi_external_select',
        ...base,
        min_query_length: 0,
        placeholder: plain('Type to search…', LIMITS.placeholder),
        ...maxItems,
        ...(initialOptions.length > 0 && { initial_options: initialOptions }),
      };
    }
  }
}

function hintFor(field: FormField): string | undefined {
  const parts: string[] = [];
  if (field.description?.trim()) parts.push(field.description.trim());
  if (field.kind === 'multiselect') {
    if (field.minItems !== undefined && field.minItems > 0) parts.push(`Choose at least ${field.minItems}.`);
  }
  if (field.kind === 'text' && field.maxLength !== undefined && field.maxLength > LIMITS.textInputLength)
    parts.push(`Up to ${field.maxLength} characters.`);
  return parts.length ? parts.join(' ') : undefined;
}

/**
 * The modal for a form. `private_metadata` carries only the pending interaction's id: everything
 * else is looked up again on submit, so a tampered view can't change what the core checks against.
 */
export function formModal(
  id: string,
  form: FormSpec,
  origin: string,
): { ok: true; view: ModalView } | { ok: false; reason: string } {
  const problem = formProblem(form, SLACK_CAPABILITIES, 'slack');
  if (problem) return { ok: false, reason: problem };
  const ids = blockIds(form);
  const blocks: KnownBlock[] = [];
  if (form.message.trim()) blocks.push(section(markdownToMrkdwn(form.message)));
  blocks.push(context(`From ${escapeMrkdwn(origin)} · only you can see this form`));
  form.fields.forEach((field, i) => {
    const initial = field.default;
    const hint = hintFor(field);
    blocks.push({
      type: 'input',
      block_id: ids[i] as string,
      label: plain(field.label || field.name, LIMITS.inputLabel),
      element: elementFor(field, initial),
      // A required checkbox would force the box to be ticked: booleans are always optional.
      optional: field.kind === 'boolean' ? true : !field.required,
      ...(hint && { hint: plain(hint, LIMITS.inputHint) }),
    });
  });
  return {
    ok: true,
    view: {
      type: 'modal',
      callback_id: FORM_CALLBACK,
      title: plain(form.title || 'Parley', LIMITS.modalTitle),
      submit: plain('Submit', LIMITS.modalButton),
      close: plain('Cancel', LIMITS.modalButton),
      private_metadata: id,
      notify_on_close: true,
      blocks,
    },
  };
}

// ───────────────────────────── notices that replace the form ─────────────────────────────

/** A notice in a modal (a refused or stale submit), replacing the form. */
export function noticeModal(message: string): ModalView {
  return {
    type: 'modal',
    title: plain('Parley', LIMITS.modalTitle),
    close: plain('Close', LIMITS.modalButton),
    blocks: [section(message)],
  };
}

/** A submitted step's modal while the next step may still come (see chain.ts). */
export function loadingModal(): ModalView {
  return {
    ...noticeModal('⏳ Sent. Loading the next step, if there is one…'),
    callback_id: LOADING_CALLBACK,
  };
}

/** The loading modal's callback id: an accepted submit, told apart from a refusal's notice. */
export const LOADING_CALLBACK = 'parley_loading';
