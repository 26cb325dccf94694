/**
 * Presentation: how interactions reach people. It records a pending interaction, checks a form
 * against the surface's declared capabilities, turns approval-only forms into confirmations, and
 * holds each view back until whatever receives its answer exists (the stored paused turn, or the
 * live waiter of a server request) — so an answer, however quick, always finds someone. A view a
 * surface fails to show is declined at once, with the reason told to the person.
 */
import type { Actor, Conversation } from '../conversation.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  type ChatSurface,
  type ConfirmView,
  type FormView,
  type LinkView,
  type OutboundMessage,
  UNLIMITED,
} from '../surface.js';
import { hostOf } from '../text.js';
import { formProblem } from './capabilities.js';
import type { FormSpec } from './form.js';
import type { PendingInteraction, PendingRoute, PendingStore } from './pending.js';

type ViewMessage = Extract<OutboundMessage, { view: unknown }>;

export type ShowRequest =
  | { kind: 'form'; form: FormSpec }
  | { kind: 'confirm'; title: string; message: string }
  | { kind: 'link'; url: string; message: string; purpose: LinkView['purpose']; elicitationId?: string };

export type Shown = { ok: true; record: PendingInteraction } | { ok: false; reason: string };

/** Most records this process remembers for fast answers (Slack's 3-second modal ack). */
const KNOWN_MAX = 5_000;

export interface PresenterOptions {
  pending: PendingStore;
  logger: Logger;
  now: () => number;
}

export class Presenter {
  private readonly surfaces = new Map<string, ChatSurface>();
  private readonly held = new Map<string, Array<[Conversation, ViewMessage]>>();
  /** Records shown for paused turns, stored with the turn (see {@link save}). */
  private readonly unsaved = new Map<string, PendingInteraction[]>();
  /** Records shown by this process: answers to them need no store read before the ack. */
  private readonly known = new Map<string, PendingInteraction>();
  /** Called when a surface failed to show a view: the interaction must be declined. */
  onUnshowable: (record: PendingInteraction, reason: string) => Promise<void> = async () => undefined;

  constructor(private readonly options: PresenterOptions) {}

  attach(surface: ChatSurface): void {
    this.surfaces.set(surface.platform, surface);
  }

  /** Posts a message. Never throws: a surface failure is logged (the contract in surface.ts). */
  async post(conversation: Conversation, message: OutboundMessage): Promise<boolean> {
    const surface = this.surfaces.get(conversation.platform);
    if (!surface) {
      this.options.logger.warn({ platform: conversation.platform }, 'no surface attached for platform');
      return false;
    }
    try {
      await surface.post(conversation, message);
    } catch (err) {
      this.options.logger.warn({ err: describeError(err), kind: message.kind }, 'posting failed');
      return false;
    }
    // An interaction shown or ended: the person's open interactions changed.
    if ('view' in message || message.kind === 'closed') this.homeChanged(conversation);
    return true;
  }

  /** Tells the person's surface their home may have changed (see ChatSurface.homeChanged). */
  homeChanged(actor: Actor): void {
    const who = { platform: actor.platform, workspace: actor.workspace, user: actor.user };
    try {
      this.surfaces.get(actor.platform)?.homeChanged?.(who);
    } catch (err) {
      this.options.logger.warn({ err: describeError(err) }, 'home refresh failed');
    }
  }

  /** True when the conversation's surface shows answers as they are written. */
  streams(conversation: Conversation): boolean {
    return this.surfaces.get(conversation.platform)?.streams === true;
  }

  say(conversation: Conversation, text: string): Promise<boolean> {
    return this.post(conversation, { kind: 'text', text });
  }

  /** A record this process showed and that is still open, if any. */
  knownRecord(id: string): PendingInteraction | undefined {
    const record = this.known.get(id);
    if (record && record.expiresAt <= this.options.now()) {
      this.known.delete(id);
      return undefined;
    }
    return record;
  }

  /** Forgets what this process showed, as a restart would (answers then read the store). */
  forgetShown(): void {
    this.known.clear();
  }

  /** Closes an interaction's message on its surface (and forgets it here). */
  async close(
    record: Pick<PendingInteraction, 'id' | 'conversation'>,
    outcome: Parameters<typeof closedOf>[1],
  ) {
    this.known.delete(record.id);
    await this.post(record.conversation, closedOf(record.id, outcome));
  }

  /**
   * Records an interaction and holds its view until {@link release} (a paused turn's record is
   * stored by {@link save}, with the turn). A form the person's surface
   * can't show faithfully is refused here, before anything waits for it; an approval-only form
   * (no fields) becomes a confirmation.
   */
  async show(
    conversation: Conversation,
    origin: string,
    route: PendingRoute,
    request: ShowRequest,
  ): Promise<Shown> {
    const { pending, now } = this.options;
    let record: PendingInteraction;
    if (request.kind === 'form' && request.form.fields.length === 0) {
      const { title, message } = request.form;
      return this.show(conversation, origin, route, {
        kind: 'confirm',
        title,
        message: message || 'Approve?',
      });
    }
    if (request.kind === 'form') {
      const surface = this.surfaces.get(conversation.platform);
      const problem = formProblem(request.form, surface?.capabilities ?? UNLIMITED, conversation.platform);
      if (problem) return { ok: false, reason: problem };
      record = pending.draft({ conversation, kind: 'form', origin, route, form: request.form }, now());
    } else if (request.kind === 'confirm') {
      const confirm = { title: request.title, message: request.message };
      record = pending.draft({ conversation, kind: 'confirm', origin, route, confirm }, now());
    } else {
      const { url, message, purpose, elicitationId } = request;
      const link = { url, message, purpose, host: hostOf(url), ...(elicitationId && { elicitationId }) };
      record = pending.draft({ conversation, kind: 'link', origin, route, link }, now());
    }
    // A paused turn's record is stored with the turn (`save`, one round trip for both): nobody
    // can answer it before, since its view is held until then. A live one is stored now.
    if (route.type === 'turn') {
      const key = holdKey(route);
      this.unsaved.set(key, [...(this.unsaved.get(key) ?? []), record]);
    } else await pending.save(record);
    this.hold(record, viewMessage(record));
    return { ok: true, record };
  }

  /** Stores the records shown for a paused turn (see {@link show}); throws when the store fails. */
  async save(key: string): Promise<void> {
    const records = this.unsaved.get(key) ?? [];
    this.unsaved.delete(key);
    await Promise.all(records.map((r) => this.options.pending.save(r)));
  }

  /** Holds the view of a record made elsewhere (a sign-in link) like one made by {@link show}. */
  hold(record: PendingInteraction, message: ViewMessage = viewMessage(record)): void {
    this.remember(record);
    const key = holdKey(record.route, record.id);
    const list = this.held.get(key) ?? [];
    list.push([record.conversation, message]);
    this.held.set(key, list);
  }

  /** Posts the views held under `key`; a view that fails to show is declined with the reason. */
  async release(key: string): Promise<void> {
    const list = this.held.get(key) ?? [];
    this.held.delete(key);
    for (const [conversation, message] of list) {
      if (await this.post(conversation, message)) continue;
      const record = this.known.get(message.view.id);
      if (record) await this.onUnshowable(record, 'I couldn’t show it here');
    }
  }

  /** Drops held views (what would have received their answers never came to be). */
  drop(key: string): void {
    this.held.delete(key);
    this.unsaved.delete(key);
  }

  private remember(record: PendingInteraction): void {
    if (this.known.size >= KNOWN_MAX) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.known.set(record.id, record);
  }
}

/** Where held views wait: per paused turn, or per live (server-initiated) interaction. */
export function holdKey(route: PendingRoute, interactionId?: string): string {
  return route.type === 'turn' ? `turn:${route.turnId}` : `live:${interactionId}`;
}

function closedOf(
  id: string,
  outcome: Extract<OutboundMessage, { kind: 'closed' }>['outcome'],
): OutboundMessage {
  return { kind: 'closed', id, outcome };
}

/** The view of a stored interaction, as surfaces render it. */
export function viewMessage(record: PendingInteraction): ViewMessage {
  const { id, origin, expiresAt } = record;
  if (record.kind === 'form') {
    const view: FormView = { id, form: record.form as FormSpec, origin, expiresAt };
    return { kind: 'form', view };
  }
  if (record.kind === 'confirm') {
    const view: ConfirmView = {
      id,
      origin,
      expiresAt,
      title: record.confirm?.title ?? '',
      message: record.confirm?.message ?? '',
    };
    return { kind: 'confirm', view };
  }
  const link = record.link as NonNullable<PendingInteraction['link']>;
  const view: LinkView = {
    id,
    origin,
    expiresAt,
    url: link.url,
    host: link.host,
    message: link.message,
    purpose: link.purpose,
  };
  return { kind: 'link', view };
}
