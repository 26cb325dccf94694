/**
 * A validator of Slack's Block Kit limits, written from Slack's documentation (see the platform
 * notes) independently of the adapter's own builders, so a builder bug can't hide behind a shared
 * constant. The fake Slack runs it on every call that carries text, blocks or a view, and answers
 * `invalid_blocks` (as Slack does) when something breaks a rule; tests assert no violation at all.
 */

export type Violations = string[];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const len = (v: unknown): number => (typeof v === 'string' ? v.length : 0);

const MESSAGE_BLOCKS = 50;
const MODAL_BLOCKS = 100;
const HOME_BLOCKS = 100;
const MESSAGE_TEXT = 40_000;
/** `markdown` block: 12,000 characters, cumulative over all markdown blocks of one payload. */
const MARKDOWN_TEXT = 12_000;
/** Parley's own stricter ceiling per message, so long answers are split rather than truncated. */
export const PARLEY_MESSAGE_TEXT = 4_000;

const INPUT_ELEMENTS = new Set([
  'plain_text_input',
  'email_text_input',
  'url_text_input',
  'number_input',
  'datepicker',
  'datetimepicker',
  'timepicker',
  'static_select',
  'external_select',
  'multi_static_select',
  'multi_external_select',
  'radio_buttons',
  'checkboxes',
  'users_select',
  'conversations_select',
  'channels_select',
]);

type Surface = 'message' | 'modal' | 'home';

class Checker {
  readonly out: Violations = [];
  private readonly blockIds = new Set<string>();
  /** Per block: Slack asks action ids to be unique among the others of their containing block. */
  private actionIds = new Set<string>();

  fail(path: string, rule: string): void {
    this.out.push(`${path}: ${rule}`);
  }

  text(v: unknown, path: string, max: number, opts: { plainOnly?: boolean } = {}): void {
    if (!isObj(v)) return void this.fail(path, 'must be a text object');
    if (v.type !== 'plain_text' && v.type !== 'mrkdwn')
      return void this.fail(path, 'text type must be plain_text or mrkdwn');
    if (opts.plainOnly && v.type !== 'plain_text') this.fail(path, 'must be plain_text');
    if (typeof v.text !== 'string' || v.text.length === 0)
      return void this.fail(path, 'text must be a non-empty string');
    if (v.text.length > max) this.fail(path, `text is ${v.text.length} chars, max ${max}`);
  }

  id(kind: 'block_id' | 'action_id', v: unknown, path: string, seen?: Set<string>): void {
    if (v === undefined) return;
    if (typeof v !== 'string' || v.length === 0)
      return void this.fail(path, `${kind} must be a non-empty string`);
    if (v.length > 255) this.fail(path, `${kind} is ${v.length} chars, max 255`);
    if (seen) {
      if (seen.has(v)) this.fail(path, `duplicate ${kind} "${v}"`);
      seen.add(v);
    }
  }

  option(o: unknown, path: string, plainOnly: boolean): void {
    if (!isObj(o)) return void this.fail(path, 'option must be an object');
    this.text(o.text, `${path}.text`, 75, { plainOnly });
    if (typeof o.value !== 'string' || o.value.length === 0)
      this.fail(path, 'option value must be a non-empty string');
    else if (o.value.length > 150) this.fail(path, `option value is ${o.value.length} chars, max 150`);
    else if (o.value.length > 75)
      this.fail(path, `option value is ${o.value.length} chars, Parley keeps them ≤ 75`);
  }

  options(list: unknown, path: string, max: number, plainOnly: boolean): Obj[] {
    if (!Array.isArray(list) || list.length === 0) {
      this.fail(path, 'needs at least one option');
      return [];
    }
    if (list.length > max) this.fail(path, `${list.length} options, max ${max}`);
    for (const [i, o] of list.entries()) this.option(o, `${path}[${i}]`, plainOnly);
    return list.filter(isObj);
  }

  sameOption(initial: unknown, options: Obj[], path: string): void {
    if (!isObj(initial) || !isObj(initial.text))
      return void this.fail(path, 'initial option must be an option object');
    const text = initial.text as Obj;
    const match = options.some(
      (o) => o.value === initial.value && isObj(o.text) && (o.text as Obj).text === text.text,
    );
    if (!match) this.fail(path, 'initial option must exactly match one of the options');
  }

  button(e: Obj, path: string): void {
    this.text(e.text, `${path}.text`, 75, { plainOnly: true });
    this.id('action_id', e.action_id, `${path}.action_id`, this.actionIds);
    if (e.value !== undefined && len(e.value) > 2000) this.fail(path, 'button value max 2000 chars');
    if (e.url !== undefined) {
      if (typeof e.url !== 'string' || len(e.url) > 3000) this.fail(path, 'button url must be ≤ 3000 chars');
      else if (!/^https?:\/\//.test(e.url)) this.fail(path, 'button url must be http(s)');
    }
    if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
      this.fail(path, 'button style must be primary or danger');
  }

  element(e: unknown, path: string, inInput: boolean): void {
    if (!isObj(e)) return void this.fail(path, 'element must be an object');
    const type = String(e.type);
    if (type === 'button') {
      if (inInput) this.fail(path, 'a button cannot be an input');
      this.button(e, path);
      return;
    }
    if (inInput && !INPUT_ELEMENTS.has(type))
      return void this.fail(path, `"${type}" is not an input element`);
    this.id('action_id', e.action_id, `${path}.action_id`, inInput ? undefined : this.actionIds);
    if (e.placeholder !== undefined)
      this.text(e.placeholder, `${path}.placeholder`, 150, { plainOnly: true });
    switch (type) {
      case 'plain_text_input': {
        for (const k of ['min_length', 'max_length'] as const) {
          const v = e[k];
          if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 3000))
            this.fail(`${path}.${k}`, 'must be an integer 0–3000');
        }
        if (
          typeof e.min_length === 'number' &&
          typeof e.max_length === 'number' &&
          e.min_length > e.max_length
        )
          this.fail(path, 'min_length exceeds max_length');
        if (e.initial_value !== undefined && len(e.initial_value) > 3000)
          this.fail(path, 'initial_value too long');
        return;
      }
      case 'number_input': {
        if (typeof e.is_decimal_allowed !== 'boolean') this.fail(path, 'is_decimal_allowed is required');
        for (const k of ['min_value', 'max_value', 'initial_value'] as const) {
          const v = e[k];
          if (v === undefined) continue;
          if (typeof v !== 'string' || !Number.isFinite(Number(v)))
            this.fail(`${path}.${k}`, 'must be a numeric string');
          else if (e.is_decimal_allowed === false && !Number.isInteger(Number(v)))
            this.fail(`${path}.${k}`, 'must be a whole number when decimals are not allowed');
        }
        if (
          e.min_value !== undefined &&
          e.max_value !== undefined &&
          Number(e.min_value) > Number(e.max_value)
        )
          this.fail(path, 'min_value exceeds max_value');
        return;
      }
      case 'datepicker':
        if (e.initial_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(e.initial_date)))
          this.fail(path, 'initial_date must be YYYY-MM-DD');
        return;
      case 'datetimepicker':
        if (e.initial_date_time !== undefined && !Number.isInteger(e.initial_date_time))
          this.fail(path, 'initial_date_time must be unix seconds');
        return;
      case 'static_select':
      case 'multi_static_select': {
        const options = this.options(e.options, `${path}.options`, 100, true);
        if (e.initial_option !== undefined)
          this.sameOption(e.initial_option, options, `${path}.initial_option`);
        if (Array.isArray(e.initial_options))
          for (const [i, o] of e.initial_options.entries())
            this.sameOption(o, options, `${path}.initial_options[${i}]`);
        if (e.max_selected_items !== undefined && !(Number(e.max_selected_items) >= 1))
          this.fail(path, 'max_selected_items must be ≥ 1');
        return;
      }
      case 'radio_buttons':
      case 'checkboxes': {
        const options = this.options(e.options, `${path}.options`, 10, false);
        if (e.initial_option !== undefined)
          this.sameOption(e.initial_option, options, `${path}.initial_option`);
        if (Array.isArray(e.initial_options))
          for (const [i, o] of e.initial_options.entries())
            this.sameOption(o, options, `${path}.initial_options[${i}]`);
        return;
      }
      case 'external_select':
      case 'multi_external_select':
        if (e.options !== undefined) this.fail(path, 'external selects take no static options');
        if (e.min_query_length !== undefined && !(Number(e.min_query_length) >= 0))
          this.fail(path, 'min_query_length must be ≥ 0');
        if (e.initial_option !== undefined) this.option(e.initial_option, `${path}.initial_option`, true);
        return;
      default:
        return;
    }
  }

  /**
   * `feedback_buttons` (Block Kit reference, feedback buttons element): `positive_button` and
   * `negative_button` each with plain_text `text` ≤ 75, a `value` ≤ 2,000 and an optional
   * `accessibility_label` ≤ 75; `action_id` ≤ 255. Only inside a `context_actions` block.
   */
  feedbackButtons(e: Obj, path: string): void {
    this.id('action_id', e.action_id, `${path}.action_id`, this.actionIds);
    for (const side of ['positive_button', 'negative_button'] as const) {
      const b = e[side];
      const at = `${path}.${side}`;
      if (!isObj(b)) {
        this.fail(at, 'is required');
        continue;
      }
      this.text(b.text, `${at}.text`, 75, { plainOnly: true });
      if (typeof b.value !== 'string' || b.value.length === 0) this.fail(`${at}.value`, 'is required');
      else if (b.value.length > 2000) this.fail(`${at}.value`, `is ${b.value.length} chars, max 2000`);
      if (
        b.accessibility_label !== undefined &&
        (typeof b.accessibility_label !== 'string' || len(b.accessibility_label) > 75)
      )
        this.fail(`${at}.accessibility_label`, 'must be a string ≤ 75 chars');
      for (const key of Object.keys(b))
        if (!['text', 'value', 'accessibility_label'].includes(key)) this.fail(`${at}.${key}`, 'not a field');
    }
  }

  block(b: unknown, path: string, surface: Surface): void {
    if (!isObj(b)) return void this.fail(path, 'block must be an object');
    this.id('block_id', b.block_id, `${path}.block_id`, this.blockIds);
    this.actionIds = new Set();
    switch (b.type) {
      case 'section':
        if (b.text === undefined && b.fields === undefined) this.fail(path, 'section needs text or fields');
        if (b.text !== undefined) this.text(b.text, `${path}.text`, 3000);
        if (Array.isArray(b.fields)) {
          if (b.fields.length > 10) this.fail(path, 'section holds at most 10 fields');
          for (const [i, f] of b.fields.entries()) this.text(f, `${path}.fields[${i}]`, 2000);
        }
        if (b.accessory !== undefined) this.element(b.accessory, `${path}.accessory`, false);
        return;
      case 'context': {
        const els = Array.isArray(b.elements) ? b.elements : [];
        if (els.length === 0 || els.length > 10) this.fail(path, 'context needs 1–10 elements');
        els.forEach((e, i) => {
          if (isObj(e) && e.type === 'image') return;
          this.text(e, `${path}.elements[${i}]`, 3000);
        });
        return;
      }
      case 'actions': {
        const els = Array.isArray(b.elements) ? b.elements : [];
        if (els.length === 0 || els.length > 25) this.fail(path, 'actions needs 1–25 elements');
        for (const [i, e] of els.entries()) this.element(e, `${path}.elements[${i}]`, false);
        return;
      }
      case 'context_actions': {
        // Feedback and icon buttons under a message (Parley uses it in messages only).
        if (surface !== 'message') this.fail(path, 'context_actions blocks belong in messages');
        const els = Array.isArray(b.elements) ? b.elements : [];
        if (els.length === 0 || els.length > 5) this.fail(path, 'context_actions needs 1–5 elements');
        els.forEach((e, i) => {
          const at = `${path}.elements[${i}]`;
          if (isObj(e) && e.type === 'feedback_buttons') this.feedbackButtons(e, at);
          else if (isObj(e) && e.type === 'icon_button') {
            this.text(e.text, `${at}.text`, 75, { plainOnly: true });
            this.id('action_id', e.action_id, `${at}.action_id`, this.actionIds);
          } else this.fail(at, 'context_actions holds feedback_buttons and icon_button elements only');
        });
        return;
      }
      case 'header':
        this.text(b.text, `${path}.text`, 150, { plainOnly: true });
        return;
      case 'divider':
        return;
      case 'markdown':
        // Messages only (Slack's markdown block reference: "available in messages").
        if (surface !== 'message') this.fail(path, 'markdown blocks belong in messages');
        if (typeof b.text !== 'string' || b.text.length === 0)
          return void this.fail(`${path}.text`, 'text must be a non-empty string');
        if (b.text.length > MARKDOWN_TEXT)
          this.fail(`${path}.text`, `text is ${b.text.length} chars, max ${MARKDOWN_TEXT}`);
        for (const key of Object.keys(b))
          if (!['type', 'text', 'block_id'].includes(key))
            this.fail(`${path}.${key}`, 'not a markdown block field');
        return;
      case 'input':
        if (surface === 'message') this.fail(path, 'input blocks belong in modals and home tabs');
        this.text(b.label, `${path}.label`, 2000, { plainOnly: true });
        if (b.hint !== undefined) this.text(b.hint, `${path}.hint`, 2000, { plainOnly: true });
        if (b.optional !== undefined && typeof b.optional !== 'boolean')
          this.fail(path, 'optional must be boolean');
        this.element(b.element, `${path}.element`, true);
        return;
      default:
        this.fail(path, `unknown or unsupported block type "${String(b.type)}"`);
    }
  }
}

/** Checks a message's `text` and `blocks` (chat.postMessage, postEphemeral, update, response_url). */
export function checkMessage(args: { text?: unknown; blocks?: unknown }, path = 'message'): Violations {
  const c = new Checker();
  const blocks = args.blocks;
  if (blocks !== undefined && !Array.isArray(blocks)) c.fail(`${path}.blocks`, 'must be an array');
  const list = Array.isArray(blocks) ? blocks : [];
  if (len(args.text) === 0 && list.length === 0) c.fail(path, 'needs text or blocks');
  if (len(args.text) > MESSAGE_TEXT)
    c.fail(`${path}.text`, `text is ${len(args.text)} chars, Slack truncates past ${MESSAGE_TEXT}`);
  if (len(args.text) > PARLEY_MESSAGE_TEXT)
    c.fail(`${path}.text`, `text is ${len(args.text)} chars; split at ${PARLEY_MESSAGE_TEXT}`);
  if (list.length > MESSAGE_BLOCKS) c.fail(`${path}.blocks`, `${list.length} blocks, max ${MESSAGE_BLOCKS}`);
  for (const [i, b] of list.entries()) c.block(b, `${path}.blocks[${i}]`, 'message');
  const markdown = list.reduce<number>(
    (sum, b) => sum + (isObj(b) && b.type === 'markdown' ? len(b.text) : 0),
    0,
  );
  if (markdown > MARKDOWN_TEXT)
    c.fail(`${path}.blocks`, `markdown blocks hold ${markdown} chars together, max ${MARKDOWN_TEXT}`);
  return c.out;
}

/** Checks a modal view (views.open, update, push, and `response_action: update|push`). */
export function checkView(view: unknown, path = 'view'): Violations {
  const c = new Checker();
  if (!isObj(view)) return [`${path}: must be an object`];
  if (view.type !== 'modal') c.fail(path, 'type must be modal');
  c.text(view.title, `${path}.title`, 24, { plainOnly: true });
  if (view.submit !== undefined) c.text(view.submit, `${path}.submit`, 24, { plainOnly: true });
  if (view.close !== undefined) c.text(view.close, `${path}.close`, 24, { plainOnly: true });
  if (len(view.private_metadata) > 3000) c.fail(`${path}.private_metadata`, 'max 3000 chars');
  if (
    view.callback_id !== undefined &&
    (typeof view.callback_id !== 'string' || view.callback_id.length > 255)
  )
    c.fail(`${path}.callback_id`, 'must be a string ≤ 255 chars');
  const blocks = Array.isArray(view.blocks) ? view.blocks : [];
  if (!Array.isArray(view.blocks)) c.fail(`${path}.blocks`, 'must be an array');
  if (blocks.length > MODAL_BLOCKS) c.fail(`${path}.blocks`, `${blocks.length} blocks, max ${MODAL_BLOCKS}`);
  const hasInput = blocks.some((b) => isObj(b) && b.type === 'input');
  if (hasInput && view.submit === undefined) c.fail(path, 'a modal with inputs needs a submit button');
  for (const [i, b] of blocks.entries()) c.block(b, `${path}.blocks[${i}]`, 'modal');
  return c.out;
}

/**
 * Checks a Home tab view (views.publish; Slack's home tab view reference): `type: home`, at most
 * 100 blocks, `private_metadata` ≤ 3,000, `callback_id` and `external_id` ≤ 255; no title or
 * buttons of a modal; every block as Slack allows it in a home tab.
 */
export function checkHomeView(view: unknown, path = 'view'): Violations {
  const c = new Checker();
  if (!isObj(view)) return [`${path}: must be an object`];
  if (view.type !== 'home') c.fail(path, 'type must be home');
  for (const key of ['title', 'submit', 'close', 'notify_on_close', 'clear_on_close'])
    if (view[key] !== undefined) c.fail(`${path}.${key}`, 'not a home tab field (modals only)');
  if (len(view.private_metadata) > 3000) c.fail(`${path}.private_metadata`, 'max 3000 chars');
  for (const key of ['callback_id', 'external_id'] as const) {
    const v = view[key];
    if (v !== undefined && (typeof v !== 'string' || v.length > 255))
      c.fail(`${path}.${key}`, 'must be a string ≤ 255 chars');
  }
  if (!Array.isArray(view.blocks)) return [...c.out, `${path}.blocks: must be an array`];
  if (view.blocks.length > HOME_BLOCKS)
    c.fail(`${path}.blocks`, `${view.blocks.length} blocks, max ${HOME_BLOCKS}`);
  for (const [i, b] of view.blocks.entries()) c.block(b, `${path}.blocks[${i}]`, 'home');
  return c.out;
}

/** Checks `response_action: errors` against the view it answers: keys must name input blocks. */
export function checkErrors(errors: unknown, view: unknown, path = 'errors'): Violations {
  if (!isObj(errors)) return [`${path}: must be an object`];
  const inputs = new Set(
    (isObj(view) && Array.isArray(view.blocks) ? view.blocks : [])
      .filter((b): b is Obj => isObj(b) && b.type === 'input')
      .map((b) => String(b.block_id)),
  );
  const out: Violations = [];
  if (Object.keys(errors).length === 0) out.push(`${path}: must name at least one block`);
  for (const [k, v] of Object.entries(errors)) {
    if (!inputs.has(k)) out.push(`${path}.${k}: not an input block of the view`);
    if (typeof v !== 'string' || v.length === 0) out.push(`${path}.${k}: must be a non-empty string`);
  }
  return out;
}

/** Checks an options response for an external select. */
export function checkOptions(body: unknown, path = 'options'): Violations {
  const c = new Checker();
  if (!isObj(body)) return [`${path}: must be an object`];
  if (!Array.isArray(body.options)) return [`${path}: needs an options array`];
  if (body.options.length > 100) c.fail(path, `${body.options.length} options, max 100`);
  for (const [i, o] of body.options.entries()) c.option(o, `${path}[${i}]`, true);
  return c.out;
}
