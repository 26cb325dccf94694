/**
 * Modal paging: a Discord modal holds five inputs, so a longer form is answered page by page. The
 * answers of each page are kept in the store between modals (any process may receive the next
 * page); once every page has been submitted, the whole answer goes to the core, which checks it.
 * Its per-field errors come back as a private list with a Fix button that reopens the page of the
 * first error, pre-filled with what was typed; a fixed page goes straight back to the core.
 */
import {
  type APIModalInteractionResponseCallbackData,
  type APIModalSubmitInteraction,
  MessageFlags,
} from 'discord.js';
import type { Actor } from '../../src/conversation.js';
import type { ParleyInbound } from '../../src/inbound.js';
import { fieldRecord, formDefaults, ownValue } from '../../src/interactions/form.js';
import type { FormView } from '../../src/surface.js';
import { buildModal, type FormPlan, modalValues, pageAnswers, pageOf, planForm } from './forms.js';
import { continueMessage, fixMessage, type MessageBody } from './render.js';
import type { DiscordRest, InteractionHook } from './rest.js';
import type { DiscordState } from './state.js';
import { body } from './surface.js';

export interface FormPagesOptions {
  agent: ParleyInbound;
  state: DiscordState;
  rest: DiscordRest;
}

/** What the person submitted: one page of a form, from a modal submit interaction. */
export interface PageSubmit {
  interaction: APIModalSubmitInteraction;
  actor: Actor;
  view: FormView;
  page: number;
  /** Called once the core took the answer, before it is handed on (the turn's replies may follow). */
  accepted: () => Promise<void>;
}

/** The form's plan; the core only shows forms that fit DISCORD_CAPABILITIES, so it plans. */
function planOf(view: FormView): FormPlan {
  const planned = planForm(view.form);
  if (!planned.ok) throw new Error(`a form the core passed can't be paged on Discord: ${planned.reason}`);
  return planned.plan;
}

export class FormPages {
  constructor(private readonly o: FormPagesOptions) {}

  /** The modal for `page` (clamped to the last), pre-filled with the answers so far or the defaults. */
  async modal(view: FormView, page: number): Promise<APIModalInteractionResponseCallbackData> {
    const plan = planOf(view);
    const kept = await this.o.state.pages(view.id);
    const values = Object.assign(fieldRecord<unknown>(), formDefaults(view.form), kept.values);
    return buildModal(view.id, view.form, plan, Math.min(page, plan.pages.length - 1), values);
  }

  /**
   * Keeps a submitted page's answers; offers the next page not yet answered, or, when every page
   * has been, hands the whole answer to the core. Replies go privately to the person.
   */
  async submit(s: PageSubmit): Promise<void> {
    const { agent, state } = this.o;
    const { view, page } = s;
    const hook: InteractionHook = { applicationId: s.interaction.application_id, token: s.interaction.token };
    const plan = planOf(view);
    const fields = plan.pages[page];
    if (!fields) return void (await this.tell(hook, 'That page of the form doesn’t exist.'));
    const kept = await state.pages(view.id);
    // A page's inputs left empty are absent from its answers: earlier values of them go too.
    for (const p of fields) delete kept.values[p.field.name];
    // Into a record without a prototype: a field named "__proto__" is an answer like any other.
    kept.values = Object.assign(
      fieldRecord<unknown>(),
      kept.values,
      pageAnswers(fields, modalValues(s.interaction.data)),
    );
    if (!kept.submitted.includes(page)) kept.submitted.push(page);
    await state.savePages(view.id, kept, view.expiresAt);
    const next = plan.pages.findIndex((_, n) => !kept.submitted.includes(n));
    if (next >= 0) return this.offer(hook, view, continueMessage(view.id, next, plan.pages.length));

    const received = await agent.receive(view.id, s.actor, { action: 'submit', values: kept.values });
    if (!received.ok) {
      const errors = received.errors ?? {};
      const first = view.form.fields.find((f) => typeof ownValue(errors, f.name) === 'string');
      if (!first) return void (await this.tell(hook, received.message));
      const fix = fixMessage(
        view.id,
        view.form,
        { message: received.message, errors },
        pageOf(plan, first.name),
      );
      return this.offer(hook, view, fix);
    }
    await s.accepted();
    // A refusal met while handing on (expired meanwhile, the store failed) is told by the core;
    // one that another answer was first is not.
    const reply = await received.deliver();
    if (!reply.ok && reply.code === 'used') await this.tell(hook, reply.message);
  }

  /** A private follow-up with a button, tracked so it is closed with the interaction. */
  private async offer(hook: InteractionHook, view: FormView, message: MessageBody): Promise<void> {
    const { state, rest } = this.o;
    await state.postTracked(view.id, message.content, view.expiresAt, async () =>
      state.webhookRef(hook, (await rest.followUp(hook, message)).id),
    );
  }

  private async tell(hook: InteractionHook, text: string): Promise<void> {
    await this.o.rest.followUp(hook, { ...body(text), flags: MessageFlags.Ephemeral });
  }
}
