/**
 * Bad input from servers, generated: elicitation schemas and V1 payloads full of contradictions,
 * blank and repeated options, odd field names and values platforms refuse. Whatever comes in, the
 * core never throws; and every form it accepts for a surface (formProblem with that surface's
 * capabilities) renders as Slack views and Discord modals the fakes' limit validators pass.
 * A fixed seed in CI; PARLEY_FUZZ_RUNS and PARLEY_FUZZ_SEED to search further.
 */
import { disableValidators, enableValidators } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { buildModal, DISCORD_CAPABILITIES, planForm } from '../../adapters/discord/forms.js';
import { formText } from '../../adapters/discord/render.js';
import { splitMessage } from '../../adapters/discord/text.js';
import { formModal, SLACK_CAPABILITIES } from '../../adapters/slack/form-modal.js';
import { readSubmission } from '../../adapters/slack/form-submission.js';
import { confirmMessage, formMessage } from '../../adapters/slack/messages.js';
import { formProblem } from '../../src/interactions/capabilities.js';
import { type FormSpec, formDefaults, validateSubmission } from '../../src/interactions/form.js';
import { schemaToForm } from '../../src/interactions/schema.js';
import { findV1Payload, v1PayloadToForm } from '../../src/interactions/v1.js';
import { checkInteractionResponse, checkRestCall } from '../helpers/discord-limits.js';
import { checkMessage, checkView } from '../helpers/slack-limits.js';

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 5_000);
const SEED = Number(process.env.PARLEY_FUZZ_SEED ?? 20261130);

/** mulberry32: a small, well-known seeded PRNG (same sequence on every Node version). */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof prng>;

const NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'field_0',
  'field_1',
  'field_2_1',
  '#0',
  '',
  ' ',
  '__',
  'title',
  'due_date',
  'ÄÖÜ 名前',
  'x'.repeat(101),
  'y'.repeat(256),
] as const;
const TEXTS = [
  '',
  ' ',
  '   \n',
  'Size',
  'size',
  'SIZE',
  'a'.repeat(76),
  'b'.repeat(101),
  'c'.repeat(3001),
  '<!channel>',
];

function text(r: Rng): string {
  return r.chance(0.6) ? `${r.pick(['Opt', 'Label', 'v'])}${r.int(0, 9)}` : r.pick(TEXTS);
}
function number(r: Rng): unknown {
  return r.pick([0, 1, -1, 2, 3, 0.5, 1.5, 2.5, 10, 100, 3000, 3001, 4001, 1e21, -5, Number.NaN, '3', null]);
}
function maybe(r: Rng, o: Record<string, unknown>, key: string, make: () => unknown, p = 0.3): void {
  if (r.chance(p)) o[key] = make();
}

function options(r: Rng): string[] {
  const n = r.chance(0.02) ? r.int(95, 130) : r.chance(0.08) ? r.int(20, 30) : r.int(0, 12);
  return Array.from({ length: n }, (_, i) => (r.chance(0.1) ? text(r) : `v${i}`));
}

function property(r: Rng): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  const type = r.pick(['string', 'string', 'string', 'number', 'integer', 'boolean', 'array', 'object']);
  p.type = type;
  maybe(r, p, 'title', () => text(r));
  maybe(r, p, 'description', () => text(r));
  if (type === 'string') {
    const shape = r.int(0, 4);
    if (shape === 1) {
      p.enum = options(r);
      maybe(r, p, 'enumNames', () => (p.enum as string[]).map(() => text(r)));
    } else if (shape === 2) {
      p[r.pick(['oneOf', 'anyOf'])] = options(r).map((v) =>
        r.chance(0.5) ? { const: v, title: text(r) } : { const: v },
      );
    } else {
      maybe(r, p, 'format', () => r.pick(['email', 'uri', 'date', 'date-time', 'color']), 0.4);
      maybe(r, p, 'minLength', () => number(r));
      maybe(r, p, 'maxLength', () => number(r));
    }
    maybe(r, p, 'default', () =>
      r.pick([
        text(r),
        'v1',
        'a@b.co',
        'https://x.test',
        '2026-02-30',
        '2026-01-02',
        '2026-01-02T03:04:05Z',
        3,
      ]),
    );
  } else if (type === 'number' || type === 'integer') {
    maybe(r, p, 'minimum', () => number(r), 0.5);
    maybe(r, p, 'maximum', () => number(r), 0.5);
    maybe(r, p, 'default', () => number(r));
  } else if (type === 'boolean') {
    maybe(r, p, 'default', () => r.pick([true, false, 'yes']));
  } else if (type === 'array') {
    const values = options(r);
    p.items = r.chance(0.5)
      ? { type: 'string', enum: values }
      : { anyOf: values.map((v) => ({ const: v, title: text(r) })) };
    maybe(r, p, 'minItems', () => number(r), 0.4);
    maybe(r, p, 'maxItems', () => number(r), 0.4);
    maybe(r, p, 'default', () => (r.chance(0.7) ? values.slice(0, r.int(0, 4)) : 'v0'));
  }
  return p;
}

/** A schema as it arrives on the wire: JSON, so `__proto__` is an own key like any other. */
function schema(r: Rng): unknown {
  const names = Array.from({ length: r.chance(0.01) ? r.int(90, 120) : r.int(0, 6) }, () =>
    r.chance(0.5) ? r.pick(NAMES) : `f${r.int(0, 40)}`,
  );
  const props = names.map((n) => `${JSON.stringify(n)}:${JSON.stringify(property(r))}`).join(',');
  const required = names.filter(() => r.chance(0.4));
  if (r.chance(0.05)) required.push('toString');
  return JSON.parse(`{"type":"object","properties":{${props}},"required":${JSON.stringify(required)}}`);
}

function v1Text(r: Rng): string {
  const types = [
    'text',
    'string',
    'textarea',
    'number',
    'integer',
    'boolean',
    'select',
    'multiselect',
    'date',
    'email',
    'url',
  ];
  const fields = Array.from({ length: r.int(1, r.chance(0.01) ? 50 : 6) }, () => {
    const f: Record<string, unknown> = {
      name: r.pick([...NAMES.filter((n) => n.length > 0 && n.length <= 64), 'a', 'b']),
    };
    f.type = r.pick(types);
    maybe(r, f, 'label', () => text(r));
    maybe(r, f, 'required', () => r.chance(0.5));
    maybe(r, f, 'description', () => text(r));
    maybe(r, f, 'min_length', () => r.pick([0, 1, 5, 3001, 4001]));
    maybe(r, f, 'max_length', () => r.pick([0, 1, 4, 200, 3000, 5000]));
    maybe(r, f, 'minimum', () => r.pick([0, 1.5, 5, -3]));
    maybe(r, f, 'maximum', () => r.pick([0, 1.5, 2, 100]));
    maybe(r, f, 'format', () => r.pick(['email', 'uri', 'date', 'date-time']), 0.1);
    if (f.type === 'select' || f.type === 'multiselect' || r.chance(0.1))
      f.options = options(r).map((v) => (r.chance(0.5) ? v : { value: v, label: text(r) }));
    maybe(r, f, 'default', () => r.pick(['v0', 3, 2.5, true, ['v0', 'v1'], 'x@y.zz']));
    return f;
  });
  const payload: Record<string, unknown> = { type: 'elicitation', elicitation_type: 'form', fields };
  maybe(r, payload, 'title', () => text(r));
  maybe(r, payload, 'message', () => text(r));
  return JSON.stringify(payload);
}

/** Every way the form is shown, checked by the platforms' validators. */
function render(form: FormSpec): string[] {
  const problems: string[] = [];
  const view = { id: 'AAAAAAAAAAAAAAAAAAAAAA', form, origin: 'demo · tool', expiresAt: Date.now() + 600_000 };
  // Whatever a surface declines, the person's answer is still checked without a throw.
  validateSubmission(form, formDefaults(form));
  if (form.fields.length === 0) {
    // Approval-only: every surface shows it as a confirmation, never as a form.
    const confirm = {
      id: view.id,
      title: form.title,
      message: form.message || 'Approve?',
      origin: view.origin,
      expiresAt: view.expiresAt,
    };
    problems.push(...checkMessage(confirmMessage(confirm, 'U1')));
    return problems;
  }
  if (!formProblem(form, SLACK_CAPABILITIES, 'slack')) {
    const modal = formModal(view.id, form, view.origin);
    if (!modal.ok) problems.push(`slack refused a form the core accepted: ${modal.reason}`);
    else problems.push(...checkView(modal.view));
    problems.push(...checkMessage(formMessage(view, 'U1')));
    readSubmission(form, {});
  }
  if (!formProblem(form, DISCORD_CAPABILITIES, 'discord')) {
    const planned = planForm(form);
    if (!planned.ok) problems.push(`discord refused a form the core accepted: ${planned.reason}`);
    else {
      const values = formDefaults(form);
      planned.plan.pages.forEach((_p, i) => {
        const data = buildModal(view.id, form, planned.plan, i, values);
        problems.push(...checkInteractionResponse({ type: 9, data }));
      });
      // The surface splits the introduction into messages, as it does here.
      for (const content of splitMessage(formText(view, planned.plan, '<@1>')))
        problems.push(...checkRestCall('POST', '/channels/1/messages', { content }));
    }
  }
  return problems;
}

describe(`generated forms (${RUNS} schemas and ${RUNS} V1 payloads, seed ${SEED})`, () => {
  it('never throw, and every form accepted for a surface passes its limit validators', () => {
    const r = prng(SEED);
    const failures: string[] = [];
    let accepted = 0;
    // discord.js's own builder checks cost ~1 ms a modal; they stay on for the first runs (a throw
    // there would be a failure too), and the fake's validator judges every modal.
    const checked = Math.min(RUNS, 250);
    try {
      for (let run = 0; run < RUNS && failures.length < 5; run++) {
        if (run === checked) disableValidators();
        const input = schema(r);
        const result = schemaToForm(
          input,
          r.pick(['Tell me', '', '<!here> now']),
          r.pick(['demo · t', '', '  ']),
        );
        if (!result.ok) continue;
        accepted++;
        for (const p of render(result.form)) failures.push(`schema ${JSON.stringify(input)}\n  → ${p}`);
      }
    } finally {
      enableValidators();
    }
    try {
      for (let run = 0; run < RUNS && failures.length < 5; run++) {
        if (run === checked) disableValidators();
        const raw = v1Text(r);
        const found = findV1Payload([{ type: 'text', text: raw }]);
        if (!found || 'error' in found) continue;
        const form = v1PayloadToForm(found.payload, r.pick(['create_ticket', ' ']));
        if ('error' in form) continue;
        accepted++;
        for (const p of render(form)) failures.push(`v1 ${raw}\n  → ${p}`);
      }
    } finally {
      enableValidators();
    }
    expect(failures).toEqual([]);
    // The generator must reach the renderers, not only the refusals.
    expect(accepted).toBeGreaterThan(RUNS / 5);
  });
});
