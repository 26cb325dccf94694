/**
 * The surface port: what the core needs from a platform to show things. The core speaks in
 * neutral messages; each adapter (console, Slack, Discord) renders them.
 *
 * The contract every surface keeps:
 * - `post` may throw; it never has to catch for the core. A failed text is logged and the turn
 *   goes on; a failed interaction view (form, confirm, link) is declined by the core at once with
 *   the reason, which the person is told — nothing waits for a form nobody saw.
 * - A surface must post to any conversation from its stored key alone: a paused turn may resume
 *   in another process than the one that started it.
 * - `capabilities` is checked by the core *before* it pauses a turn or answers a server: a form
 *   the surface can't show faithfully is declined with the reason, the same on every platform.
 *   Whatever passes the check, `post` must be able to render.
 * - Approval-only forms (no fields) never reach a surface as forms: the core shows them as a
 *   confirmation (Approve/Decline), which every surface renders.
 */
import type { Actor, Conversation } from './conversation.js';
import { FIELD_KINDS, type FieldKind, type FormSpec } from './interactions/form.js';

export interface FormView {
  id: string;
  form: FormSpec;
  /** Which server/tool asked, for the person's context ("demo · create_ticket"). */
  origin: string;
  expiresAt: number;
}

export interface LinkView {
  id: string;
  url: string;
  host: string;
  message: string;
  origin: string;
  /**
   * 'consent': URL-mode elicitation — opening it is the person's consent (answer `open`).
   * 'signin': an OAuth sign-in link. 'retry': links from a -32042 error — the person answers
   * `done` when finished and the call is retried.
   */
  purpose: 'consent' | 'signin' | 'retry';
  expiresAt: number;
}

export interface ConfirmView {
  id: string;
  title: string;
  message: string;
  origin: string;
  expiresAt: number;
}

export type InteractionOutcome =
  | 'submitted'
  | 'declined'
  | 'cancelled'
  | 'expired'
  | 'confirmed'
  | 'opened'
  | 'done';

/**
 * A file a message carries (an image, audio or a binary resource from a tool's result). Bytes are
 * base64, at most {@link FILE_MAX_BYTES} decoded; `name` is a safe file name with an extension.
 */
export interface OutboundFile {
  name: string;
  mimeType: string;
  /** Base64 of the bytes. */
  data: string;
  /** Decoded size in bytes. */
  size: number;
  kind: 'image' | 'audio' | 'file';
  /** Where it came from (a resource URI), shown next to it. */
  title?: string;
}

/** Most bytes of one file Parley passes on (Discord's default upload limit is 10 MiB). */
export const FILE_MAX_BYTES = 8 * 1024 * 1024;
/** Most files one message carries (Discord takes 10 attachments per message). */
export const FILES_MAX = 10;

export type OutboundMessage =
  /**
   * Text, with files shown alongside it where the surface can (uploads, attachments, a path).
   * `answerId` is set on a model's final answer: surfaces with buttons put 👍/👎 under it, whose
   * clicks go to `ParleyInbound.feedback(answerId, …)`.
   */
  | { kind: 'text'; text: string; files?: OutboundFile[]; answerId?: string }
  | { kind: 'progress'; text: string }
  /** For the conversation's person only (ephemeral where the platform has it, else a message). */
  | { kind: 'notice'; text: string }
  | { kind: 'form'; view: FormView }
  | { kind: 'link'; view: LinkView }
  | { kind: 'confirm'; view: ConfirmView }
  /** An interaction ended: adapters update its message so no dead buttons remain. */
  | { kind: 'closed'; id: string; outcome: InteractionOutcome }
  /**
   * An answer as the model writes it (only to surfaces with `streams`). `append` carries the new
   * text, in order; `stop` carries the whole text, which the surface shows as it shows a `text`
   * (its final rendering) — one `stop` per stream, after its appends. A stream lives in one
   * process, so a surface may keep its state in memory and throttle as its platform needs.
   * `answerId` (on a `stop`) is the final answer's, as on `text`.
   */
  | { kind: 'stream'; id: string; phase: 'append' | 'stop'; text: string; answerId?: string };

/**
 * What a surface can show faithfully. Numbers are counts or characters; `Infinity` means no
 * limit the core must check (the surface pages, or offers type-ahead).
 */
export interface SurfaceCapabilities {
  /** Field kinds the surface has an input for. */
  fieldKinds: readonly FieldKind[];
  /** Most fields in one form. */
  maxFields: number;
  /** Most options of a single- or multi-choice field. */
  maxOptions: number;
  /** Longest option label shown whole. */
  maxOptionLabel: number;
  /** Longest text a text input accepts (a field needing more can't be answered). */
  maxTextLength: number;
}

/** No limits: the console, and the default for a surface that declares none. */
export const UNLIMITED: SurfaceCapabilities = {
  fieldKinds: FIELD_KINDS,
  maxFields: Number.POSITIVE_INFINITY,
  maxOptions: Number.POSITIVE_INFINITY,
  maxOptionLabel: Number.POSITIVE_INFINITY,
  maxTextLength: Number.POSITIVE_INFINITY,
};

export interface ChatSurface {
  readonly platform: string;
  /** What this surface can show; the core checks forms against it before showing them. */
  readonly capabilities?: SurfaceCapabilities;
  /** True when the surface shows answers as they are written (`stream` messages). */
  readonly streams?: boolean;
  post(conversation: Conversation, message: OutboundMessage): Promise<void>;
  /**
   * The person's home (`ParleyInbound.home`: servers, sign-ins, open interactions) may have
   * changed — a sign-in, a sign-out, a form shown or closed. A surface with a home page (Slack's
   * App Home) renders it again; it must return at once and never throw (the work is its own).
   */
  homeChanged?(actor: Actor): void;
}

/** The longest a close waits for its view's showing (ms): a platform call's own timeout, about. */
const SHOWING_WAIT_MS = 10_000;

/**
 * For surfaces: the views this process is still showing, by interaction id. A view's message is
 * visible on the platform before the surface has noted where it is, and a person (or another
 * process) can end the interaction in between; a `closed` for that id then waits for the
 * showing to end ({@link ShowingViews.settled}) instead of finding nothing to rewrite.
 */
export class ShowingViews {
  private readonly showing = new Map<string, Promise<unknown>>();

  /**
   * Runs `show` as the showing of view `id`; resolves or rejects as it does. A showing of an id
   * already being shown joins it: {@link settled} waits for both (the later one ending first must
   * not leave the earlier one's message unwaited for).
   */
  show<T>(id: string, show: Promise<T>): Promise<T> {
    const earlier = this.showing.get(id);
    const all = Promise.allSettled(earlier ? [earlier, show] : [show]);
    this.showing.set(id, all);
    void all.then(() => {
      if (this.showing.get(id) === all) this.showing.delete(id);
    });
    return show;
  }

  /**
   * Resolves once view `id` is no longer being shown here (at once when it isn't), or after
   * `maxWaitMs` (a showing stuck on a platform call must not hold the close, and the answer
   * waiting on it, for ever). Never rejects.
   */
  async settled(id: string, maxWaitMs = SHOWING_WAIT_MS): Promise<void> {
    const showing = this.showing.get(id);
    if (!showing) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      showing, // allSettled: never rejects
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, maxWaitMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
