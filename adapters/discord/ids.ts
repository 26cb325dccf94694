/**
 * custom_id values of Parley's buttons and modals. Each carries the pending interaction's id (22
 * characters) or, for 👍/👎, the answer's (16), so any process can act on a click from the store
 * alone; Discord allows 100.
 */

export type ButtonAction =
  /** Opens page `page` of a form's modal (Fill in, Continue, Fix). */
  | 'fill'
  | 'decline'
  | 'yes'
  | 'no'
  /** Consent for a URL step: answers with the link. */
  | 'open'
  /** Shows a sign-in link privately (when the message itself could not be ephemeral). */
  | 'reveal'
  /** The person finished a link step ('retry'). */
  | 'done'
  /** 👍 / 👎 on a final answer: the id is the answer's (ParleyInbound.feedback). */
  | 'good'
  | 'bad';

const ACTIONS = new Set<string>(['fill', 'decline', 'yes', 'no', 'open', 'reveal', 'done', 'good', 'bad']);
const PREFIX = 'parley';

export function buttonId(action: ButtonAction, id: string, page?: number): string {
  return page === undefined ? `${PREFIX}:${action}:${id}` : `${PREFIX}:${action}:${id}:${page}`;
}

export function modalId(id: string, page: number): string {
  return `${PREFIX}:modal:${id}:${page}`;
}

export type ParsedId =
  | { type: 'button'; action: ButtonAction; id: string; page: number }
  | { type: 'modal'; id: string; page: number };

/** Parses a custom_id of ours; undefined for anything else (old or foreign components). */
export function parseCustomId(customId: string): ParsedId | undefined {
  const [prefix, action, id, pageText] = customId.split(':');
  if (prefix !== PREFIX || !action || !id) return undefined;
  const page = pageText === undefined ? 0 : Number(pageText);
  if (!Number.isInteger(page) || page < 0) return undefined;
  if (action === 'modal') return { type: 'modal', id, page };
  if (!ACTIONS.has(action)) return undefined;
  return { type: 'button', action: action as ButtonAction, id, page };
}
