/**
 * Neutral forms as Discord modals. A modal holds at most five top-level components and no modal
 * can follow a modal, so a form is planned into pages of up to five fields, each a Label around
 * the input that fits its kind (see the mapping in the platform notes). What Discord can show is
 * declared to the core as {@link DISCORD_CAPABILITIES}, which the core checks before it shows a
 * form; values typed into a modal are turned back into the neutral shape the core validates.
 */
import {
  type APIModalInteractionResponseCallbackData,
  type APIModalSubmission,
  CheckboxBuilder,
  CheckboxGroupBuilder,
  ComponentType,
  LabelBuilder,
  ModalBuilder,
  RadioGroupBuilder,
  StringSelectMenuBuilder,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import {
  type FieldOption,
  type FormField,
  type FormSpec,
  fieldRecord,
  ownValue,
} from '../../src/interactions/form.js';
import { type SurfaceCapabilities, UNLIMITED } from '../../src/surface.js';
import { modalId } from './ids.js';
import { clip } from './text.js';

/** Discord's limits for modals and their components. */
export const LIMITS = {
  modalComponents: 5,
  modalTitle: 45,
  label: 45,
  labelDescription: 100,
  textInput: 4000,
  placeholder: 100,
  selectOptions: 25,
  radioMin: 2,
  radioMax: 10,
  checkboxGroupMax: 10,
  optionText: 100,
  customId: 100,
} as const;

/**
 * What Discord shows faithfully, declared to the core, which checks each form against it before
 * showing it: every field kind; any number of fields (forms are paged, five to a modal); choices
 * of up to 25 options (a select menu) with labels of up to 100 characters; text up to 4,000.
 */
export const DISCORD_CAPABILITIES: SurfaceCapabilities = {
  fieldKinds: UNLIMITED.fieldKinds,
  maxFields: Number.POSITIVE_INFINITY,
  maxOptions: LIMITS.selectOptions,
  maxOptionLabel: LIMITS.optionText,
  maxTextLength: LIMITS.textInput,
};

/** How one field is shown. */
type Widget = 'text' | 'paragraph' | 'radio' | 'select' | 'checkbox' | 'yesno' | 'checkboxes' | 'multiselect';

export interface PlannedField {
  field: FormField;
  /** Position in the form, used for custom_ids of fields whose names don't fit. */
  index: number;
  widget: Widget;
  /** The input's custom_id: the field name when it fits, else `#<index>`. */
  inputId: string;
  label: string;
  description?: string;
  /** Option values as sent to Discord: the field's own, or indexes when a value is too long. */
  optionValues?: string[];
}

export interface FormPlan {
  pages: PlannedField[][];
  /** Text Discord can't hold in a label (long labels and help texts), shown in the message. */
  notes: string[];
}

export type PlanResult = { ok: true; plan: FormPlan } | { ok: false; reason: string };

const TEXT_KINDS = new Set(['text', 'email', 'url', 'date', 'datetime', 'number', 'integer']);

/** Plans a form into modal pages, or says why Discord can't show it faithfully. */
export function planForm(form: FormSpec): PlanResult {
  if (form.fields.length === 0) return { ok: false, reason: 'the form has no fields' };
  const planned: PlannedField[] = [];
  const notes: string[] = [];
  for (const [index, field] of form.fields.entries()) {
    const name = `"${field.label}"`;
    let widget: Widget;
    let optionValues: string[] | undefined;
    if (TEXT_KINDS.has(field.kind)) {
      if ((field.minLength ?? 0) > LIMITS.textInput)
        return {
          ok: false,
          reason: `field ${name} needs at least ${field.minLength} characters; Discord text inputs hold ${LIMITS.textInput}`,
        };
      widget =
        field.kind === 'text' && (field.multiline || (field.maxLength ?? 0) > 200) ? 'paragraph' : 'text';
    } else if (field.kind === 'boolean') {
      // A Discord checkbox cannot be required; a required yes/no is a two-option radio group.
      widget = field.required ? 'yesno' : 'checkbox';
    } else {
      const options = field.options ?? [];
      if (options.length === 0) return { ok: false, reason: `field ${name} has no options` };
      if (options.length > LIMITS.selectOptions)
        return {
          ok: false,
          reason: `field ${name} has ${options.length} options; Discord shows at most ${LIMITS.selectOptions}`,
        };
      const long = options.find((o) => o.label.length > LIMITS.optionText);
      if (long)
        return {
          ok: false,
          reason: `an option of field ${name} has a label longer than Discord's ${LIMITS.optionText} characters`,
        };
      // Values too long for Discord travel as their index and are mapped back on submit.
      optionValues = options.some((o) => o.value.length > LIMITS.optionText)
        ? options.map((_, i) => `#${i}`)
        : options.map((o) => o.value);
      if (field.kind === 'select') {
        widget = options.length >= LIMITS.radioMin && options.length <= LIMITS.radioMax ? 'radio' : 'select';
      } else {
        if ((field.minItems ?? 0) > options.length)
          return {
            ok: false,
            reason: `field ${name} asks for at least ${field.minItems} of ${options.length} options`,
          };
        widget = options.length <= LIMITS.checkboxGroupMax ? 'checkboxes' : 'multiselect';
      }
    }
    let label = field.label.trim() || field.name;
    let description = field.description?.trim() || undefined;
    if (label.length > LIMITS.label) {
      notes.push(`**${clip(label, LIMITS.label)}** is “${label}”`);
      label = clip(label, LIMITS.label);
    }
    if (description && description.length > LIMITS.labelDescription) {
      notes.push(`**${label}**: ${description}`);
      description = clip(description, LIMITS.labelDescription);
    }
    planned.push({
      field,
      index,
      widget,
      inputId: field.name.length <= LIMITS.customId && !field.name.startsWith('#') ? field.name : `#${index}`,
      label,
      ...(description && { description }),
      ...(optionValues && { optionValues }),
    });
  }
  const pages: PlannedField[][] = [];
  for (let i = 0; i < planned.length; i += LIMITS.modalComponents)
    pages.push(planned.slice(i, i + LIMITS.modalComponents));
  return { ok: true, plan: { pages, notes } };
}

/** What a person types for a field kind, as the input's placeholder. */
function placeholderFor(field: FormField): string | undefined {
  switch (field.kind) {
    case 'email':
      return 'name@example.com';
    case 'url':
      return 'https://…';
    case 'date':
      return 'YYYY-MM-DD';
    case 'datetime':
      return 'YYYY-MM-DDTHH:MM (UTC unless you add an offset)';
    case 'number':
    case 'integer': {
      const range =
        field.minimum !== undefined || field.maximum !== undefined
          ? ` ${field.minimum ?? '…'} to ${field.maximum ?? '…'}`
          : '';
      return clip(`${field.kind === 'integer' ? 'A whole number' : 'A number'}${range}`, LIMITS.placeholder);
    }
    default:
      return undefined;
  }
}

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(', ');
  return String(value);
}

function selected(p: PlannedField, value: unknown): Set<string> {
  const options = p.field.options ?? [];
  const wanted = new Set((Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String));
  const out = new Set<string>();
  options.forEach((o: FieldOption, i) => {
    if (wanted.has(o.value)) out.add(p.optionValues?.[i] ?? o.value);
  });
  return out;
}

/**
 * The modal for one page, pre-filled with `values` (earlier answers, or the form's defaults).
 * Built with discord.js builders; the caller has planned the form, so every part fits.
 */
export function buildModal(
  id: string,
  form: FormSpec,
  plan: FormPlan,
  page: number,
  values: Record<string, unknown>,
): APIModalInteractionResponseCallbackData {
  const fields = plan.pages[page] ?? [];
  const suffix = plan.pages.length > 1 ? ` (${page + 1}/${plan.pages.length})` : '';
  const modal = new ModalBuilder()
    .setCustomId(modalId(id, page))
    .setTitle(clip(form.title || 'Information needed', LIMITS.modalTitle - suffix.length) + suffix);
  for (const p of fields) {
    const label = new LabelBuilder().setLabel(p.label);
    if (p.description) label.setDescription(p.description);
    const value = ownValue(values, p.field.name);
    const options = p.field.options ?? [];
    const chosen = selected(p, value);
    switch (p.widget) {
      case 'text':
      case 'paragraph': {
        const input = new TextInputBuilder()
          .setCustomId(p.inputId)
          .setStyle(p.widget === 'paragraph' ? TextInputStyle.Paragraph : TextInputStyle.Short)
          .setRequired(p.field.required);
        const max = Math.min(p.field.maxLength ?? LIMITS.textInput, LIMITS.textInput);
        if (max >= 1) input.setMaxLength(max);
        if (p.field.minLength !== undefined && p.field.minLength > 0)
          input.setMinLength(Math.min(p.field.minLength, max));
        const placeholder = placeholderFor(p.field);
        if (placeholder) input.setPlaceholder(placeholder);
        const text = asText(value);
        if (text && text.length <= max) input.setValue(text);
        label.setTextInputComponent(input);
        break;
      }
      case 'checkbox':
        label.setCheckboxComponent(new CheckboxBuilder().setCustomId(p.inputId).setDefault(value === true));
        break;
      case 'yesno':
        label.setRadioGroupComponent(
          new RadioGroupBuilder()
            .setCustomId(p.inputId)
            .setRequired(true)
            .addOptions(
              { label: 'Yes', value: 'yes', ...(value === true && { default: true }) },
              { label: 'No', value: 'no', ...(value === false && { default: true }) },
            ),
        );
        break;
      case 'radio':
        label.setRadioGroupComponent(
          new RadioGroupBuilder()
            .setCustomId(p.inputId)
            .setRequired(p.field.required)
            .addOptions(
              options.map((o, i) => {
                const v = p.optionValues?.[i] ?? o.value;
                return { label: o.label, value: v, ...(chosen.has(v) && { default: true }) };
              }),
            ),
        );
        break;
      case 'checkboxes': {
        const group = new CheckboxGroupBuilder()
          .setCustomId(p.inputId)
          .setRequired(p.field.required)
          .setMinValues(p.field.required ? Math.max(1, p.field.minItems ?? 1) : 0)
          .setMaxValues(Math.min(p.field.maxItems ?? options.length, options.length))
          .addOptions(
            options.map((o, i) => {
              const v = p.optionValues?.[i] ?? o.value;
              return { label: o.label, value: v, ...(chosen.has(v) && { default: true }) };
            }),
          );
        label.setCheckboxGroupComponent(group);
        break;
      }
      case 'select':
      case 'multiselect': {
        const multi = p.widget === 'multiselect';
        const max = multi ? Math.min(p.field.maxItems ?? options.length, options.length) : 1;
        const min = p.field.required ? (multi ? Math.max(1, p.field.minItems ?? 1) : 1) : 0;
        const menu = new StringSelectMenuBuilder()
          .setCustomId(p.inputId)
          .setRequired(p.field.required)
          .setMinValues(min)
          .setMaxValues(max)
          .addOptions(
            options.map((o, i) => {
              const v = p.optionValues?.[i] ?? o.value;
              return { label: o.label, value: v, ...(chosen.has(v) && { default: true }) };
            }),
          );
        label.setStringSelectMenuComponent(menu);
        break;
      }
    }
    modal.addLabelComponents(label);
  }
  return modal.toJSON();
}

/** Raw values of a modal submit, by custom_id (text, selected values, or a checkbox's state). */
export function modalValues(data: APIModalSubmission): Map<string, string | string[] | boolean | null> {
  const out = new Map<string, string | string[] | boolean | null>();
  const take = (c: unknown) => {
    if (typeof c !== 'object' || c === null) return;
    const comp = c as { type?: number; custom_id?: string; value?: unknown; values?: unknown };
    if (typeof comp.custom_id !== 'string') return;
    if (Array.isArray(comp.values)) out.set(comp.custom_id, comp.values.map(String));
    else if (typeof comp.value === 'boolean' || typeof comp.value === 'string')
      out.set(comp.custom_id, comp.value);
    else if (comp.value === null) out.set(comp.custom_id, null);
  };
  for (const top of data.components ?? []) {
    if (top.type === ComponentType.Label) take(top.component);
    else if (top.type === ComponentType.ActionRow) for (const c of top.components) take(c);
  }
  return out;
}

/**
 * A page's answers in the neutral shape of a `submit` answer. Inputs left empty are absent, so the
 * core reports a missing required field as required; option indexes become values again.
 */
export function pageAnswers(
  page: PlannedField[],
  raw: Map<string, string | string[] | boolean | null>,
): Record<string, unknown> {
  const out = fieldRecord<unknown>();
  for (const p of page) {
    if (!raw.has(p.inputId)) continue;
    const v = raw.get(p.inputId);
    const toValue = (s: string) => {
      const i = p.optionValues?.indexOf(s) ?? -1;
      return i >= 0 ? (p.field.options?.[i]?.value ?? s) : s;
    };
    switch (p.widget) {
      case 'checkbox':
        out[p.field.name] = v === true;
        break;
      case 'yesno':
        if (v === 'yes' || v === 'no') out[p.field.name] = v === 'yes';
        break;
      case 'radio':
        if (typeof v === 'string' && v) out[p.field.name] = toValue(v);
        break;
      case 'select':
        if (Array.isArray(v) && v[0] !== undefined) out[p.field.name] = toValue(v[0]);
        break;
      case 'checkboxes':
      case 'multiselect':
        if (Array.isArray(v)) out[p.field.name] = v.map(toValue);
        break;
      default:
        if (typeof v === 'string' && v.trim() !== '') out[p.field.name] = v;
    }
  }
  return out;
}

/** Which page holds `fieldName`. */
export function pageOf(plan: FormPlan, fieldName: string): number {
  const i = plan.pages.findIndex((page) => page.some((p) => p.field.name === fieldName));
  return i < 0 ? 0 : i;
}
