/**
 * The adapter port. The core speaks in neutral messages; each adapter (console, Slack, Discord)
 * renders them on its platform. A surface must be able to post to any conversation from its
 * stored key alone, because a paused turn may resume in a different process than the one that
 * started it.
 */
import type { Conversation } from './conversation.js';
import type { FormSpec } from './interactions/form.js';

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
   * 'consent': URL-mode elicitation — opening it is the person's consent (the adapter calls
   * `openLink`). 'signin': an OAuth sign-in link. 'retry': links from a -32042 error — the person
   * says when they are done and the call is retried.
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

export type OutboundMessage =
  | { kind: 'text'; text: string }
  | { kind: 'progress'; text: string }
  | { kind: 'form'; view: FormView }
  | { kind: 'link'; view: LinkView }
  | { kind: 'confirm'; view: ConfirmView }
  /** An interaction ended: adapters update its message so no dead buttons remain. */
  | { kind: 'closed'; id: string; outcome: InteractionOutcome };

export interface ChatSurface {
  readonly platform: string;
  post(conversation: Conversation, message: OutboundMessage): Promise<void>;
}
