/**
 * Neutral interactions as Discord messages: the message that offers a form (Fill in / Decline),
 * confirmations, link steps, error lists with a Fix button, and the closed state. Only payloads
 * here — where they are sent (channel, interaction webhook, ephemeral) is the adapter's choice.
 */
import {
  ActionRowBuilder,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
} from 'discord.js';
import { type FormSpec, ownValue } from '../../src/interactions/form.js';
import type { ConfirmView, FormView, InteractionOutcome, LinkView } from '../../src/surface.js';
import { truncate, unlinked } from '../../src/text.js';
import type { FormPlan } from './forms.js';
import { buttonId } from './ids.js';
import { clip } from './text.js';

/** The parts of a message body Parley sends (create and edit alike). */
export interface MessageBody {
  content: string;
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  flags?: number;
  allowed_mentions?: { parse: []; users?: string[] };
}

/** Discord allows link buttons of up to 512 characters. */
export const LINK_URL_LIMIT = 512;
const BUTTON_LABEL = 80;

/** Mentions in model or tool text never ping anyone; only the form's owner may be named. */
export function noMentions(users: string[] = []): MessageBody['allowed_mentions'] {
  return users.length > 0 ? { parse: [], users } : { parse: [] };
}

function row(...buttons: ButtonBuilder[]): APIActionRowComponent<APIComponentInMessageActionRow> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(buttons).toJSON();
}

const button = (id: string, label: string, style: ButtonStyle) =>
  new ButtonBuilder().setCustomId(id).setLabel(clip(label, BUTTON_LABEL)).setStyle(style);

const linkButton = (url: string, label: string) =>
  new ButtonBuilder().setURL(url).setLabel(clip(label, BUTTON_LABEL)).setStyle(ButtonStyle.Link);

/** The text that introduces a form; may exceed one message (the adapter splits it). */
export function formText(view: FormView, plan: FormPlan, ownerMention: string | undefined): string {
  const lines = [`📝 **${view.origin}** needs a few details.`];
  if (view.form.message.trim()) lines.push(view.form.message.trim());
  if (plan.notes.length > 0) lines.push(plan.notes.map((n) => `• ${n}`).join('\n'));
  const footer = [
    ownerMention ? `For ${ownerMention} only.` : '',
    plan.pages.length > 1 ? `${plan.pages.length} pages.` : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (footer) lines.push(`-# ${footer}`);
  return lines.join('\n\n');
}

export function formButtons(id: string): MessageBody['components'] {
  return [
    row(
      button(buttonId('fill', id, 0), 'Fill in', ButtonStyle.Primary),
      button(buttonId('decline', id), 'Decline', ButtonStyle.Secondary),
    ),
  ];
}

/** The core's sentence, then "• **Label**: error" lines in the form's order. */
function errorList(form: FormSpec, message: string, errors: Record<string, string>): string {
  const lines = form.fields
    .filter((f) => typeof ownValue(errors, f.name) === 'string')
    .map((f) => `• **${f.label}**: ${ownValue(errors, f.name)}`);
  return truncate(`⚠️ ${message}\n${lines.join('\n')}`, 2000);
}

/** 👍/👎 under a final answer (their clicks go to the core's feedback, by the answer's id). */
export function feedbackButtons(answerId: string): NonNullable<MessageBody['components']> {
  const vote = (action: 'good' | 'bad', emoji: string) =>
    new ButtonBuilder()
      .setCustomId(buttonId(action, answerId))
      .setEmoji({ name: emoji })
      .setStyle(ButtonStyle.Secondary);
  return [row(vote('good', '👍'), vote('bad', '👎'))];
}

/** The core's per-field errors, privately, with a Fix button that reopens page `page`. */
export function fixMessage(
  id: string,
  form: FormSpec,
  refusal: { message: string; errors: Record<string, string> },
  page: number,
): MessageBody {
  return {
    content: errorList(form, refusal.message, refusal.errors),
    components: [row(button(buttonId('fill', id, page), 'Fix', ButtonStyle.Primary))],
    flags: MessageFlags.Ephemeral,
    allowed_mentions: noMentions(),
  };
}

export function continueMessage(id: string, page: number, pages: number): MessageBody {
  return {
    content: `Page ${page} of ${pages} saved.`,
    components: [
      row(
        button(buttonId('fill', id, page), `Continue (${page + 1}/${pages})`, ButtonStyle.Primary),
        button(buttonId('decline', id), 'Decline', ButtonStyle.Secondary),
      ),
    ],
    flags: MessageFlags.Ephemeral,
    allowed_mentions: noMentions(),
  };
}

export function confirmMessage(view: ConfirmView, ownerMention: string | undefined): MessageBody {
  const who = ownerMention ? `\n-# For ${ownerMention} only.` : '';
  return {
    content: truncate(`⚠️ **${view.title}**\n${view.message}`, 1900) + who,
    components: [
      row(
        button(buttonId('yes', view.id), 'Approve', ButtonStyle.Danger),
        button(buttonId('no', view.id), 'Cancel', ButtonStyle.Secondary),
      ),
    ],
  };
}

/**
 * Consent for a URL step. The link itself is handed over privately by "Open link"; a DM (no owner
 * to name) may also show it as text (not clickable), a shared channel shows only its host.
 */
export function consentMessage(view: LinkView, ownerMention: string | undefined): MessageBody {
  const shared = ownerMention !== undefined;
  const url = !shared && view.url.length <= 1000 ? `\n\`${view.url}\`` : '';
  // The server's text is never a link: the page opens only through "Open link" (the consent).
  const message = unlinked(view.message, shared ? () => PRIVATE_LINK : undefined);
  const who = shared ? `\n-# For ${ownerMention} only.` : '';
  return {
    content: `🔗 **${view.origin}** wants you to open a page on **${view.host}**.\n${truncate(message, 600)}${url}${who}`,
    components: [
      row(
        button(buttonId('open', view.id), 'Open link', ButtonStyle.Primary),
        button(buttonId('decline', view.id), 'Decline', ButtonStyle.Secondary),
      ),
    ],
  };
}

const PRIVATE_LINK = '🔒 (private link)';

/** The server's or core's text with any links in it replaced, for a message others can see. */
function withoutLinks(text: string): string {
  return text.replace(/https?:\/\/\S+/g, PRIVATE_LINK);
}

function linkIntro(view: LinkView, opts: { hideLinks?: boolean } = {}): string {
  const verb = view.purpose === 'signin' ? 'needs you to sign in' : 'needs you to finish a step';
  const done = view.purpose === 'retry' ? '\nPress **Done** when you have finished.' : '';
  // The core's message may carry the links themselves; a shared channel must not show them.
  const message = opts.hideLinks ? withoutLinks(view.message) : view.message;
  return `🔐 **${view.origin}** ${verb} on **${view.host}**.\n${truncate(message, 1200)}${done}`;
}

/**
 * The private message with the link itself (sign-in, retry, or a consent link once opened).
 * `href` is the URL to put on the button: the original, or a short redirect when it is too long.
 */
export function privateLinkMessage(view: LinkView, href: string, opts: { answers: boolean }): MessageBody {
  const buttons = [
    linkButton(href, view.purpose === 'signin' ? `Sign in on ${view.host}` : `Open ${view.host}`),
  ];
  if (opts.answers) {
    if (view.purpose === 'retry')
      buttons.push(button(buttonId('done', view.id), 'Done', ButtonStyle.Success));
    buttons.push(button(buttonId('decline', view.id), 'Decline', ButtonStyle.Secondary));
  }
  return {
    content: linkIntro(view),
    components: [row(...buttons)],
    flags: MessageFlags.Ephemeral,
    allowed_mentions: noMentions(),
  };
}

/** In a shared channel without an interaction to answer privately: a button that reveals the link. */
export function revealMessage(view: LinkView, ownerMention: string): MessageBody {
  const buttons = [button(buttonId('reveal', view.id), 'Show my link', ButtonStyle.Primary)];
  if (view.purpose === 'retry') buttons.push(button(buttonId('done', view.id), 'Done', ButtonStyle.Success));
  buttons.push(button(buttonId('decline', view.id), 'Decline', ButtonStyle.Secondary));
  return {
    content: `${linkIntro(view, { hideLinks: true })}\n-# The link is only for ${ownerMention}: press **Show my link**.`,
    components: [row(...buttons)],
    allowed_mentions: noMentions(),
  };
}

/** The consent link once the person chose to open it. */
export function openedLinkMessage(url: string, host: string): MessageBody {
  return {
    content: `Here is your link to **${host}**.`,
    components: [row(linkButton(url, `Open ${host}`))],
    allowed_mentions: noMentions(),
  };
}

const OUTCOME: Record<InteractionOutcome, string> = {
  submitted: '✅ Submitted.',
  declined: '✖️ Declined.',
  cancelled: '✖️ Cancelled.',
  expired: '⌛ Expired.',
  confirmed: '✅ Approved.',
  opened: '🔗 Link opened.',
  done: '✅ Done.',
};

/** A message whose interaction ended: the same text, the outcome, and no buttons left. */
export function closedMessage(content: string, outcome: InteractionOutcome): MessageBody {
  const line = `\n\n**${OUTCOME[outcome]}**`;
  return { content: truncate(content, 2000 - line.length) + line, components: [] };
}
