/**
 * Block Kit for Parley's neutral messages: the messages that offer a form, a confirmation or a
 * link, the modal built from a neutral form, and reading a modal's submitted state back into
 * values for the core. Every builder stays inside Slack's limits (see the platform notes): text is
 * clipped with an ellipsis, long option values are replaced by their index, and a form that can't
 * be shown faithfully is reported with a reason instead of being cut down.
 */
import type { types } from '@slack/bolt';
import { formProblem } from '../../src/interactions/capabilities.js';
import { type FormField, type FormSpec, fieldRecord, ownValue } from '../../src/interactions/form.js';
import {
  type ConfirmView,
  type FormView,
  type InteractionOutcome,
  type LinkView,
  type SurfaceCapabilities,
  UNLIMITED,
} from '../../src/surface.js';
import { honestLinks, truncate, unlinked } from '../../src/text.js';
import { button, context, LIMITS, minutesLeft, plain, section } from './kit.js';
import { defuseMentions, escapeMrkdwn, markdownToMrkdwn } from './mrkdwn.js';

export { LIMITS } from './kit.js';

type KnownBlock = types.KnownBlock;
export type ModalView = types.ModalView;
type Option = types.PlainTextOption;

export const ACTION = {
  formOpen: 'parley_form_open',
  formDecline: 'parley_form_decline',
  confirmYes: 'parley_confirm_yes',
  confirmNo: 'parley_confirm_no',
  linkOpen: 'parley_link_open',
  linkDone: 'parley_link_done',
  linkDecline: 'parley_link_decline',
} as const;

export const FORM_CALLBACK = 'parley_form';
/** Every input's action id; the block id names the field. */
export const INPUT_ACTION = 'value';

/** Blocks a form modal uses besides its inputs (the message and the origin line). */
const MODAL_FIXED_BLOCKS = 2;

// ───────────────────────────── messages ─────────────────────────────

/** A message and its plain fallback (notifications, screen readers). */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * Text as models write it (standard Markdown), for Slack to render: one `markdown` block, which
 * Slack renders itself (headings, lists, tables, links with parentheses, `__init__` as written),
 * and the same text converted to mrkdwn as the `text` fallback for notifications and clients that
 * show no blocks. `markdown` must fit {@link LIMITS.markdownText} (split it first); Slack's special
 * tokens (`<!channel>`, `<@U…>`) in it are defused so a model can't ping anyone.
 */
export function markdownMessage(markdown: string): SlackMessage {
  return {
    text: truncate(markdownToMrkdwn(markdown), LIMITS.fallbackText),
    // A link whose words name another host shows its real one (src/text.ts honestLinks).
    blocks: [
      { type: 'markdown', text: truncate(defuseMentions(honestLinks(markdown)), LIMITS.markdownText) },
    ],
  };
}

/** The headline kept with a posted interaction, so its message can be rewritten when it ends. */
export function formHeadline(view: FormView): string {
  return `📝 *${escapeMrkdwn(truncate(view.form.title, 150))}*`;
}

export function formMessage(view: FormView, owner: string, now = Date.now()): SlackMessage {
  const headline = formHeadline(view);
  const body = view.form.message ? `\n${markdownToMrkdwn(view.form.message)}` : '';
  return {
    text: truncate(
      view.form.title === view.origin
        ? `${view.origin} needs a few details.`
        : `${view.origin} needs a few details: ${view.form.title}`,
      LIMITS.fallbackText,
    ),
    blocks: [
      section(`${headline}${body}`),
      context(
        `For <@${owner}> · from ${escapeMrkdwn(view.origin)} · expires in ${minutesLeft(view.expiresAt, now)}`,
      ),
      {
        type: 'actions',
        elements: [
          button('Fill in', ACTION.formOpen, view.id, 'primary'),
          button('Decline', ACTION.formDecline, view.id),
        ],
      },
    ],
  };
}

export function confirmHeadline(view: ConfirmView): string {
  return `⚠️ *${escapeMrkdwn(truncate(view.title, 150))}*`;
}

export function confirmMessage(view: ConfirmView, owner: string, now = Date.now()): SlackMessage {
  return {
    text: truncate(`${view.title} — waiting for your confirmation`, LIMITS.fallbackText),
    blocks: [
      section(`${confirmHeadline(view)}\n${markdownToMrkdwn(view.message)}`),
      context(
        `For <@${owner}> · from ${escapeMrkdwn(view.origin)} · expires in ${minutesLeft(view.expiresAt, now)}`,
      ),
      {
        type: 'actions',
        elements: [
          button('Confirm', ACTION.confirmYes, view.id, 'primary'),
          button('Cancel', ACTION.confirmNo, view.id),
        ],
      },
    ],
  };
}

export function linkHeadline(view: LinkView): string {
  const what =
    view.purpose === 'signin'
      ? 'Sign-in needed'
      : view.purpose === 'retry'
        ? 'A step in your browser'
        : 'Link';
  return `🔗 *${what}* · ${escapeMrkdwn(view.origin)}`;
}

/**
 * A link as a button showing its host. `url` may be a short redirect on Parley's own server when
 * the real one is longer than a button takes; the host shown is always the real destination's.
 */
export function linkMessage(view: LinkView, url: string, now = Date.now()): SlackMessage {
  const elements: types.Button[] = [
    {
      type: 'button',
      text: plain(`Open ${view.host}`, LIMITS.buttonText),
      action_id: ACTION.linkOpen,
      value: view.id,
      url,
      style: 'primary',
    },
  ];
  if (view.purpose === 'retry') elements.push(button('Done', ACTION.linkDone, view.id));
  elements.push(button('Decline', ACTION.linkDecline, view.id));
  const hint =
    view.purpose === 'consent'
      ? 'Opening the link lets the tool go on.'
      : view.purpose === 'retry'
        ? 'Press *Done* when you have finished there, and I’ll try again.'
        : 'Sign in there; I’ll carry on when you’re back.';
  // A consent message is the server's text: its link opens only through the button (opening is the
  // consent), so nothing in it is clickable — no Markdown links, no auto-linked URLs (verbatim).
  const consent = view.purpose === 'consent';
  const message = consent ? escapeMrkdwn(unlinked(view.message)) : markdownToMrkdwn(view.message);
  const body = section(`${linkHeadline(view)}\n${message}`);
  if (consent && body.type === 'section' && body.text?.type === 'mrkdwn') body.text.verbatim = true;
  return {
    text: truncate(`${view.origin}: ${message}`, LIMITS.fallbackText),
    blocks: [
      body,
      context(
        `Opens *${escapeMrkdwn(view.host)}* · only you can see this · ${hint} · expires in ${minutesLeft(view.expiresAt, now)}`,
      ),
      { type: 'actions', elements },
    ],
  };
}

const OUTCOME_TEXT: Record<InteractionOutcome, string> = {
  submitted: '✅ Submitted',
  declined: '🚫 Declined',
  cancelled: '✖️ Cancelled',
  expired: '⌛ Expired — ask again if you still need it',
  confirmed: '✅ Confirmed',
  opened: '🔗 Link opened — finish in your browser',
  done: '✅ Done',
};

/** The message an ended interaction becomes: what it was and what happened, no buttons. */
export function closedMessage(headline: string, outcome: InteractionOutcome): SlackMessage {
  const status = OUTCOME_TEXT[outcome] ?? outcome;
  return {
    // The fallback is plain text: only the bold markers go (underscores are part of tool names).
    text: truncate(`${headline.replace(/\*/g, '')} — ${status}`, LIMITS.fallbackText),
    blocks: [section(headline), context(status)],
  };
}

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

// ───────────────────────────── the form modal ─────────────────────────────

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
function byIndex(field: FormField): boolean {
  let known = indexed.get(field);
  if (known === undefined) {
    known = (field.options ?? []).some(
      (o) => o.value.length === 0 || o.value.length > LIMITS.optionValue || o.value.startsWith('#'),
    );
    indexed.set(field, known);
  }
  return known;
}

function optionFor(field: FormField, index: number): Option | undefined {
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
