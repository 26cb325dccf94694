/**
 * The inbound port: the one way an adapter calls into the core. Every platform event that says
 * something is one call here — a message is {@link ParleyInbound.message}, every click, modal
 * submit or close that answers an interaction is {@link ParleyInbound.answer} with a neutral
 * {@link Answer}. Owner checks, validation, the once-only claim and every sentence a person sees
 * live behind this port; adapters only translate and acknowledge.
 */
import type { Actor, Conversation } from './conversation.js';
import type { FeedbackReply, FeedbackValue } from './feedback.js';
import type { HomeModel } from './home.js';
import type { ConfirmView, FormView, LinkView } from './surface.js';

export type { FeedbackReply, FeedbackValue } from './feedback.js';
export type { HomeInteraction, HomeModel, HomeServer } from './home.js';

/** What a person did with an interaction, in platform-neutral form. */
export type Answer =
  /** Filled-in form values, as the platform read them (checked by the core, never trusted). */
  | { action: 'submit'; values: Record<string, unknown> }
  /** Approve on a confirmation, or on an approval-only form (one with no fields). */
  | { action: 'approve' }
  /** The person opened a consent link (URL-mode elicitation): their consent. */
  | { action: 'open' }
  /** The person says they finished the link steps of a -32042 error. */
  | { action: 'done' }
  | { action: 'decline' }
  /** Closed without answering (a modal's close button, Esc). */
  | { action: 'cancel' };

export type AnswerRefusal = {
  ok: false;
  /**
   * `expired`: nothing waits any more; `not_yours`: someone else's interaction; `used`: already
   * answered; `invalid`: the answer doesn't fit (see `errors` for per-field messages);
   * `unavailable`: the store failed — nothing was consumed, the person may try again.
   */
  code: 'expired' | 'not_yours' | 'used' | 'invalid' | 'unavailable';
  /** The one sentence to show the person. */
  message: string;
  /** Per-field messages (field name → sentence) for inline display. */
  errors?: Record<string, string>;
};

/** What an adapter gets back for an answer. `url` is set for an accepted `open`. */
export type AnswerReply = { ok: true; url?: string } | AnswerRefusal;

/**
 * An answer that passed the checks (owner, kind, validation, not yet answered) and is claimed for
 * this caller. `deliver` hands it on — consume, route to the waiting call, close the message —
 * and is meant to run after the platform's acknowledgement (Slack's 3 seconds). A refusal that
 * `deliver` meets (the form expired meanwhile, the store failed) is told to the person by the
 * core as a `notice`, since the platform's reply channel has closed by then.
 */
export type Received = { ok: true; deliver(): Promise<AnswerReply> } | AnswerRefusal;

/** An interaction as its owner may see it again (to open a modal, page a form, reveal a link). */
export type InteractionView =
  | { kind: 'form'; view: FormView }
  | { kind: 'confirm'; view: ConfirmView }
  | { kind: 'link'; view: LinkView };

export type LookupReply = { ok: true; interaction: InteractionView } | AnswerRefusal;

export interface ParleyInbound {
  /** A message or command from a person. Never throws: failures become a clear reply. */
  message(conversation: Conversation, text: string): Promise<void>;
  /** An answer, checked and handed on in one call. */
  answer(id: string, actor: Actor, answer: Answer): Promise<AnswerReply>;
  /** The same answer in two phases, for platforms that must acknowledge before the hand-on. */
  receive(id: string, actor: Actor, answer: Answer): Promise<Received>;
  /** Read-only: the interaction for its owner, from this process's memory when it showed it. */
  lookup(id: string, actor: Actor): Promise<LookupReply>;
  /** The `server__tool` names this person may call (allow/deny applied), for autocomplete. */
  toolNames(actor: Actor): Promise<string[]>;
  /** The configured servers' names, for autocomplete. */
  serverNames(): string[];
  /**
   * The person's home, read-only: the servers and how each is doing for them, their sign-ins,
   * their open interactions — theirs alone. Surfaces with a home page render it as it is.
   */
  home(actor: Actor): Promise<HomeModel>;
  /**
   * Signs the conversation's person in to `server`, as `/login` does (the same private, bound
   * sign-in link a tool call would send): posted in `conversation`, which should be private to
   * them (a DM). Never throws: failures become a sentence there.
   */
  signIn(conversation: Conversation, server: string): Promise<void>;
  /** Forgets the person's tokens for `server`, as `/logout` does; the sentence to show them. */
  signOut(actor: Actor, server: string): Promise<string>;
  /**
   * A person's 👍 (`good`) or 👎 (`bad`) on a final answer (its `answerId`). The first per person
   * per answer counts; the reply's sentence is for that person only. Never throws.
   */
  feedback(answerId: string, actor: Actor, value: FeedbackValue): Promise<FeedbackReply>;
}
