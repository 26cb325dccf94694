/**
 * Discord's documented limits, checked over every payload the tests see Parley send (the fake
 * Discord REST API runs this on each call and answers a violation with Discord's own 400
 * "Invalid Form Body"). One wrong component makes Discord reject the whole message, so this is
 * deliberately stricter than discord.js's builders, which e.g. don't cap a modal at 5 components.
 */

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const T = {
  ActionRow: 1,
  Button: 2,
  StringSelect: 3,
  TextInput: 4,
  TextDisplay: 10,
  Label: 18,
  RadioGroup: 21,
  CheckboxGroup: 22,
  Checkbox: 23,
} as const;

class Checker {
  readonly problems: string[] = [];
  private ids = new Set<string>();

  fail(where: string, what: string): void {
    this.problems.push(`${where}: ${what}`);
  }

  text(where: string, v: unknown, max: number, opts: { min?: number; required?: boolean } = {}): void {
    if (v === undefined || v === null) {
      if (opts.required) this.fail(where, 'is required');
      return;
    }
    if (typeof v !== 'string') {
      this.fail(where, 'must be a string');
      return;
    }
    if (v.length > max) this.fail(where, `is ${v.length} characters; the limit is ${max}`);
    if (v.length < (opts.min ?? 0)) this.fail(where, `is shorter than ${opts.min}`);
  }

  int(where: string, v: unknown, min: number, max: number): void {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(where, `must be an integer from ${min} to ${max} (got ${String(v)})`);
  }

  customId(where: string, v: unknown): void {
    this.text(`${where}.custom_id`, v, 100, { min: 1, required: true });
    const id = str(v);
    if (id === undefined) return;
    if (this.ids.has(id)) this.fail(`${where}.custom_id`, `"${id}" is used twice`);
    this.ids.add(id);
  }

  options(where: string, list: unknown, min: number, max: number): number {
    const opts = arr(list);
    if (opts.length < min || opts.length > max)
      this.fail(where, `has ${opts.length} options; allowed ${min}–${max}`);
    const values = new Set<string>();
    let defaults = 0;
    opts.forEach((o, i) => {
      if (!isObj(o)) {
        this.fail(`${where}[${i}]`, 'is not an object');
        return;
      }
      this.text(`${where}[${i}].label`, o.label, 100, { min: 1, required: true });
      this.text(`${where}[${i}].value`, o.value, 100, { min: 1, required: true });
      this.text(`${where}[${i}].description`, o.description, 100);
      const v = str(o.value);
      if (v !== undefined && values.has(v)) this.fail(`${where}[${i}].value`, `"${v}" repeats`);
      if (v !== undefined) values.add(v);
      if (o.default === true) defaults++;
    });
    return defaults;
  }

  messageComponents(where: string, rows: unknown): void {
    const list = arr(rows);
    if (list.length > 5) this.fail(where, `has ${list.length} action rows; the limit is 5`);
    list.forEach((r, i) => {
      const w = `${where}[${i}]`;
      if (!isObj(r) || r.type !== T.ActionRow) {
        this.fail(w, 'must be an action row');
        return;
      }
      const items = arr(r.components);
      if (items.length < 1 || items.length > 5) this.fail(w, `has ${items.length} components; allowed 1–5`);
      const selects = items.filter((c) => isObj(c) && c.type !== T.Button).length;
      if (selects > 0 && items.length > 1) this.fail(w, 'a select menu must be alone in its row');
      items.forEach((c, j) => {
        const cw = `${w}.components[${j}]`;
        if (!isObj(c)) {
          this.fail(cw, 'is not an object');
          return;
        }
        if (c.type === T.Button) this.button(cw, c);
        else if (c.type === T.StringSelect) this.stringSelect(cw, c, false);
        else this.fail(cw, `type ${String(c.type)} can't be in a message action row`);
      });
    });
  }

  button(where: string, b: Json): void {
    this.text(`${where}.label`, b.label, 80);
    if (b.label === undefined && b.emoji === undefined) this.fail(where, 'needs a label or an emoji');
    if (b.style === 5) {
      this.text(`${where}.url`, b.url, 512, { min: 1, required: true });
      const url = str(b.url);
      if (url && !/^(https?|discord):\/\//.test(url))
        this.fail(`${where}.url`, `"${url}" is not an http(s) URL`);
      if (b.custom_id !== undefined) this.fail(where, 'a link button has no custom_id');
    } else if (b.style === 6) {
      if (!b.sku_id) this.fail(where, 'a premium button needs sku_id');
    } else {
      if (![1, 2, 3, 4].includes(Number(b.style)))
        this.fail(`${where}.style`, `unknown style ${String(b.style)}`);
      this.customId(where, b.custom_id);
      if (b.url !== undefined) this.fail(where, 'only link buttons have a url');
    }
  }

  stringSelect(where: string, s: Json, inModal: boolean): void {
    this.customId(where, s.custom_id);
    const defaults = this.options(`${where}.options`, s.options, 1, 25);
    this.text(`${where}.placeholder`, s.placeholder, 150);
    const n = arr(s.options).length;
    this.int(`${where}.min_values`, s.min_values, 0, 25);
    this.int(`${where}.max_values`, s.max_values, 1, 25);
    const min = typeof s.min_values === 'number' ? s.min_values : 1;
    const max = typeof s.max_values === 'number' ? s.max_values : 1;
    if (min > max) this.fail(where, 'min_values exceeds max_values');
    if (max > n) this.fail(where, `max_values ${max} exceeds its ${n} options`);
    if (defaults > max) this.fail(where, `${defaults} options are default but max_values is ${max}`);
    if (!inModal && s.required !== undefined) this.fail(where, '"required" only applies in modals');
  }

  modal(where: string, m: Json): void {
    this.text(`${where}.title`, m.title, 45, { min: 1, required: true });
    this.text(`${where}.custom_id`, m.custom_id, 100, { min: 1, required: true });
    const comps = arr(m.components);
    if (comps.length < 1 || comps.length > 5)
      this.fail(`${where}.components`, `has ${comps.length}; allowed 1–5`);
    comps.forEach((c, i) => {
      const w = `${where}.components[${i}]`;
      if (!isObj(c)) {
        this.fail(w, 'is not an object');
        return;
      }
      if (c.type === T.TextDisplay) {
        this.text(`${w}.content`, c.content, 4000, { min: 1, required: true });
        return;
      }
      if (c.type === T.ActionRow) {
        const inner = arr(c.components);
        if (inner.length !== 1 || !isObj(inner[0]) || inner[0].type !== T.TextInput) {
          this.fail(w, 'a modal action row holds exactly one text input');
          return;
        }
        this.text(`${w}.components[0].label`, inner[0].label, 45, { min: 1, required: true });
        this.textInput(`${w}.components[0]`, inner[0]);
        return;
      }
      if (c.type !== T.Label) {
        this.fail(w, `type ${String(c.type)} can't be top-level in a modal`);
        return;
      }
      this.text(`${w}.label`, c.label, 45, { min: 1, required: true });
      this.text(`${w}.description`, c.description, 100);
      const inner = c.component;
      const iw = `${w}.component`;
      if (!isObj(inner)) {
        this.fail(iw, 'is required');
        return;
      }
      switch (inner.type) {
        case T.TextInput:
          if (inner.label !== undefined) this.fail(iw, 'a text input inside a Label has no label of its own');
          this.textInput(iw, inner);
          return;
        case T.StringSelect:
          this.stringSelect(iw, inner, true);
          return;
        case T.RadioGroup: {
          this.customId(iw, inner.custom_id);
          const defaults = this.options(`${iw}.options`, inner.options, 2, 10);
          if (defaults > 1) this.fail(iw, 'a radio group has at most one default option');
          return;
        }
        case T.CheckboxGroup: {
          this.customId(iw, inner.custom_id);
          const defaults = this.options(`${iw}.options`, inner.options, 1, 10);
          const n = arr(inner.options).length;
          this.int(`${iw}.min_values`, inner.min_values, 0, 10);
          this.int(`${iw}.max_values`, inner.max_values, 1, 10);
          const min = typeof inner.min_values === 'number' ? inner.min_values : 1;
          const max = typeof inner.max_values === 'number' ? inner.max_values : n;
          if (min > max) this.fail(iw, 'min_values exceeds max_values');
          if (max > n) this.fail(iw, `max_values ${max} exceeds its ${n} options`);
          if (defaults > max) this.fail(iw, `${defaults} defaults exceed max_values ${max}`);
          if (inner.required === true && min === 0)
            this.fail(iw, 'a required checkbox group needs min_values ≥ 1');
          return;
        }
        case T.Checkbox:
          this.customId(iw, inner.custom_id);
          if ('required' in inner) this.fail(iw, 'a checkbox cannot be required');
          return;
        default:
          this.fail(iw, `type ${String(inner.type)} can't be inside a Label`);
      }
    });
  }

  textInput(where: string, t: Json): void {
    this.customId(where, t.custom_id);
    if (t.style !== 1 && t.style !== 2) this.fail(`${where}.style`, 'must be 1 (short) or 2 (paragraph)');
    this.int(`${where}.min_length`, t.min_length, 0, 4000);
    this.int(`${where}.max_length`, t.max_length, 1, 4000);
    this.text(`${where}.placeholder`, t.placeholder, 100);
    this.text(`${where}.value`, t.value, 4000);
    const max = typeof t.max_length === 'number' ? t.max_length : 4000;
    const min = typeof t.min_length === 'number' ? t.min_length : 0;
    if (min > max) this.fail(where, 'min_length exceeds max_length');
    const value = str(t.value);
    if (value !== undefined && value.length > max)
      this.fail(`${where}.value`, `is longer than max_length ${max}`);
  }

  message(where: string, m: Json, opts: { edit: boolean }): void {
    this.text(`${where}.content`, m.content, 2000);
    if (!opts.edit && !str(m.content) && arr(m.components).length === 0 && arr(m.embeds).length === 0)
      this.fail(where, 'a message needs content, components or embeds');
    if (m.components !== undefined) this.messageComponents(`${where}.components`, m.components);
    if (m.flags !== undefined && typeof m.flags === 'number' && (m.flags & ~(64 | 4 | 4096)) !== 0)
      this.fail(`${where}.flags`, `unexpected flags ${m.flags}`);
  }

  command(where: string, c: Json): void {
    const name = str(c.name) ?? '';
    // Where a command may be installed (0 guild, 1 user) and used (0 guild, 1 bot DM, 2 private).
    for (const t of arr(c.integration_types))
      if (t !== 0 && t !== 1) this.fail(`${where}.integration_types`, `has ${JSON.stringify(t)}`);
    for (const t of arr(c.contexts))
      if (t !== 0 && t !== 1 && t !== 2) this.fail(`${where}.contexts`, `has ${JSON.stringify(t)}`);
    const type = c.type ?? 1;
    if (type === 2 || type === 3) {
      // User and message commands (context menus): any case and spaces, no description or options.
      if (name.length < 1 || name.length > 32 || name.trim() !== name)
        this.fail(`${where}.name`, `"${name}" is not a valid context-menu command name`);
      if (c.description !== undefined && c.description !== '')
        this.fail(`${where}.description`, 'must be empty for a context-menu command');
      if (arr(c.options).length > 0) this.fail(`${where}.options`, 'a context-menu command has none');
      return;
    }
    if (type !== 1) this.fail(`${where}.type`, `${JSON.stringify(type)} is not a command type`);
    if (!/^[-_\p{Ll}\p{Lo}\p{N}]{1,32}$/u.test(name))
      this.fail(`${where}.name`, `"${name}" is not a valid command name`);
    this.text(`${where}.description`, c.description, 100, { min: 1, required: true });
    const opts = arr(c.options);
    if (opts.length > 25) this.fail(`${where}.options`, `has ${opts.length}; the limit is 25`);
    let optionalSeen = false;
    opts.forEach((o, i) => {
      const w = `${where}.options[${i}]`;
      if (!isObj(o)) {
        this.fail(w, 'is not an object');
        return;
      }
      if (!/^[-_\p{Ll}\p{Lo}\p{N}]{1,32}$/u.test(str(o.name) ?? ''))
        this.fail(`${w}.name`, 'is not a valid option name');
      this.text(`${w}.description`, o.description, 100, { min: 1, required: true });
      if (o.required === true && optionalSeen)
        this.fail(w, 'required options must come before optional ones');
      if (o.required !== true) optionalSeen = true;
      if (o.autocomplete === true && arr(o.choices).length > 0)
        this.fail(w, 'autocomplete and choices exclude each other');
      if (arr(o.choices).length > 25) this.fail(`${w}.choices`, 'has more than 25');
    });
  }
}

/** Everything wrong with an interaction response (initial callback). */
export function checkInteractionResponse(body: unknown): string[] {
  const c = new Checker();
  if (!isObj(body)) return ['response: is not an object'];
  const data = isObj(body.data) ? body.data : undefined;
  switch (body.type) {
    case 1:
    case 5:
    case 6:
      if (body.type === 5 && data) c.message('response.data', { content: 'x', ...data }, { edit: true });
      break;
    case 4:
    case 7:
      if (!data) c.fail('response.data', 'is required');
      else c.message('response.data', data, { edit: body.type === 7 });
      break;
    case 8: {
      const choices = arr(data?.choices);
      if (choices.length > 25) c.fail('response.data.choices', `has ${choices.length}; the limit is 25`);
      choices.forEach((ch, i) => {
        if (!isObj(ch)) {
          c.fail(`choices[${i}]`, 'is not an object');
          return;
        }
        c.text(`choices[${i}].name`, ch.name, 100, { min: 1, required: true });
        c.text(`choices[${i}].value`, typeof ch.value === 'string' ? ch.value : '', 100);
      });
      break;
    }
    case 9:
      if (!data) c.fail('response.data', 'is required');
      else c.modal('modal', data);
      break;
    default:
      c.fail('response.type', `unknown type ${String(body.type)}`);
  }
  return c.problems;
}

/** Everything wrong with a REST call's body, by route. */
export function checkRestCall(method: string, path: string, body: unknown): string[] {
  const c = new Checker();
  const p = path.replace(/^\/api/, '').replace(/^\/v\d+/, '');
  if (/^\/interactions\/[^/]+\/[^/]+\/callback$/.test(p)) return checkInteractionResponse(body);
  if (/^\/applications\/[^/]+(\/guilds\/[^/]+)?\/commands$/.test(p) && method === 'PUT') {
    const list = arr(body);
    if (list.length > 100) c.fail('commands', `has ${list.length}; the limit is 100`);
    list.forEach((cmd, i) => {
      if (isObj(cmd)) c.command(`commands[${i}]`, cmd);
      else c.fail(`commands[${i}]`, 'is not an object');
    });
    return c.problems;
  }
  if (/^\/channels\/[^/]+\/messages\/[^/]+\/threads$/.test(p)) {
    c.text('thread.name', isObj(body) ? body.name : undefined, 100, { min: 1, required: true });
    return c.problems;
  }
  if (/^\/channels\/[^/]+\/typing$/.test(p)) return c.problems;
  if (/\/messages(\/[^/]+)?$/.test(p) || /^\/webhooks\/[^/]+\/[^/]+$/.test(p)) {
    if (!isObj(body)) return ['message: is not an object'];
    c.message('message', body, { edit: method === 'PATCH' });
    return c.problems;
  }
  return c.problems;
}
