/**
 * The Slack messages Parley posts: a model's answer (Markdown, which Slack renders itself), the
 * messages that offer a form, a confirmation or a link with their buttons, and the message an
 * ended interaction becomes. Every builder stays inside Slack's limits (see the platform notes):
 * text is clipped with an ellipsis. The form's modal is in form-modal.ts.
 */
import type { types } from '@slack/bolt';
import type { ConfirmView, FormView, InteractionOutcome, LinkView } from '../../src/surface.js';
import { honestLinks, truncate, unlinked } from '../../src/text.js';
import { button, context, LIMITS, minutesLeft, plain, section } from './kit.js';
import { defuseMentions, escapeMrkdwn, markdownToMrkdwn } from './mrkdwn.js';

type KnownBlock = types.KnownBlock;

/** Action ids of the buttons on these messages (the inbound handlers route clicks by them). */
export const ACTION = {
  formOpen: 'parley_form_open',
  formDecline: 'parley_form_decline',
  confirmYes: 'parley_confirm_yes',
  confirmNo: 'parley_confirm_no',
  linkOpen: 'parley_link_open',
  linkDone: 'parley_link_done',
  linkDecline: 'parley_link_decline',
} as const;

/** A message and its plain fallback (notifications, screen readers). */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * Text as models write it (standard Markdown), for Slack to render: one `markdown` block, which
 * Slack renders itself (headings, lists, tables, links with parentheses, `__init__` as written),
 * and the same text converted to mrkdwn as the `text` fallback for notifications and clients that
 * show no blocks. `markdown` must fit {@link LIMITS.markdownText} (split it first); Slack's special
 * tokens (`<!channel>`, `<@U…>`) in it are defused so a model can't ping anyone.
 */
export function markdownMessage(markdown: string): SlackMessage {
  return {
    text: truncate(markdownToMrkdwn(markdown), LIMITS.fallbackText),
    // A link whose words name another host shows its real one (src/text.ts honestLinks).
    blocks: [
      { type: 'markdown', text: truncate(defuseMentions(honestLinks(markdown)), LIMITS.markdownText) },
    ],
  };
}

/** The headline kept with a posted interaction, so its message can be rewritten when it ends. */
export function formHeadline(view: FormView): string {
  return `📝 *${escapeMrkdwn(truncate(view.form.title, 150))}*`;
}

export function formMessage(view: FormView, owner: string, now = Date.now()): SlackMessage {
  const headline = formHeadline(view);
  const body = view.form.message ? `\n${markdownToMrkdwn(view.form.message)}` : '';
  return {
    text: truncate(
      view.form.title === view.origin
        ? `${view.origin} needs a few details.`
        : `${view.origin} needs a few details: ${view.form.title}`,
      LIMITS.fallbackText,
    ),
    blocks: [
      section(`${headline}${body}`),
      context(
        `For <@${owner}> · from ${escapeMrkdwn(view.origin)} · expires in ${minutesLeft(view.expiresAt, now)}`,
      ),
      {
        type: 'actions',
        elements: [
          button('Fill in', ACTION.formOpen, view.id, 'primary'),
          button('Decline', ACTION.formDecline, view.id),
        ],
      },
    ],
  };
}

export function confirmHeadline(view: ConfirmView): string {
  return `⚠️ *${escapeMrkdwn(truncate(view.title, 150))}*`;
}

export function confirmMessage(view: ConfirmView, owner: string, now = Date.now()): SlackMessage {
  return {
    text: truncate(`${view.title} — waiting for your confirmation`, LIMITS.fallbackText),
    blocks: [
      section(`${confirmHeadline(view)}\n${markdownToMrkdwn(view.message)}`),
      context(
        `For <@${owner}> · from ${escapeMrkdwn(view.origin)} · expires in ${minutesLeft(view.expiresAt, now)}`,
      ),
      {
        type: 'actions',
        elements: [
          button('Confirm', ACTION.confirmYes, view.id, 'primary'),
          button('Cancel', ACTION.confirmNo, view.id),
        ],
      },
    ],
  };
}

export function linkHeadline(view: LinkView): string {
  const what =
    view.purpose === 'signin'
      ? 'Sign-in needed'
      : view.purpose === 'retry'
        ? 'A step in your browser'
        : 'Link';
  return `🔗 *${what}* · ${escapeMrkdwn(view.origin)}`;
}

/**
 * A link as a button showing its host. `url` may be a short redirect on Parley's own server when
 * the real one is longer than a button takes; the host shown is always the real destination's.
 */
export function linkMessage(view: LinkView, url: string, now = Date.now()): SlackMessage {
  const elements: types.Button[] = [
    {
      type: 'button',
      text: plain(`Open ${view.host}`, LIMITS.buttonText),
      action_id: ACTION.linkOpen,
      value: view.id,
      url,
      style: 'primary',
    },
  ];
  if (view.purpose === 'retry') elements.push(button('Done', ACTION.linkDone, view.id));
  elements.push(button('Decline', ACTION.linkDecline, view.id));
  const hint =
    view.purpose === 'consent'
      ? 'Opening the link lets the tool go on.'
      : view.purpose === 'retry'
        ? 'Press *Done* when you have finished there, and I’ll try again.'
        : 'Sign in there; I’ll carry on when you’re back.';
  // A consent message is the server's text: its link opens only through the button (opening is the
  // consent), so nothing in it is clickable — no Markdown links, no auto-linked URLs (verbatim).
  const consent = view.purpose === 'consent';
  const message = consent ? escapeMrkdwn(unlinked(view.message)) : markdownToMrkdwn(view.message);
  const body = section(`${linkHeadline(view)}\n${message}`);
  if (consent && body.type === 'section' && body.text?.type === 'mrkdwn') body.text.verbatim = true;
  return {
    text: truncate(`${view.origin}: ${message}`, LIMITS.fallbackText),
    blocks: [
      body,
      context(
        `Opens *${escapeMrkdwn(view.host)}* · only you can see this · ${hint} · expires in ${minutesLeft(view.expiresAt, now)}`,
      ),
      { type: 'actions', elements },
    ],
  };
}

const OUTCOME_TEXT: Record<InteractionOutcome, string> = {
  submitted: '✅ Submitted',
  declined: '🚫 Declined',
  cancelled: '✖️ Cancelled',
  expired: '⌛ Expired — ask again if you still need it',
  confirmed: '✅ Confirmed',
  opened: '🔗 Link opened — finish in your browser',
  done: '✅ Done',
};

/** The message an ended interaction becomes: what it was and what happened, no buttons. */
export function closedMessage(headline: string, outcome: InteractionOutcome): SlackMessage {
  const status = OUTCOME_TEXT[outcome] ?? outcome;
  return {
    // The fallback is plain text: only the bold markers go (underscores are part of tool names).
    text: truncate(`${headline.replace(/\*/g, '')} — ${status}`, LIMITS.fallbackText),
    blocks: [section(headline), context(status)],
  };
}
