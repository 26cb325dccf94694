/**
 * The App Home tab as Block Kit: the core's home read model (ParleyInbound.home) rendered, and
 * nothing decided here — which servers, whose sign-ins and which forms are the core's. A home view
 * holds at most 100 blocks (Slack's home tab view reference), so each list is capped with a line
 * saying how many more there are.
 */
import type { types } from '@slack/bolt';
import type { SignInStatus } from '../../src/auth/commands.js';
import type { HomeInteraction, HomeModel, HomeServer } from '../../src/inbound.js';
import { button, context, minutesLeft, plain, section } from './kit.js';
import { ACTION } from './messages.js';
import { escapeMrkdwn } from './mrkdwn.js';

type KnownBlock = types.KnownBlock;
export type HomeView = types.HomeView;

/** The home's own buttons (its forms reuse the message buttons' ACTION ids and handlers). */
export const HOME_ACTION = {
  signIn: 'parley_home_sign_in',
  signOut: 'parley_home_sign_out',
} as const;

/** Most blocks a home view holds. */
export const HOME_BLOCKS = 100;
/** Lines per list; with the fixed blocks, the whole view stays under {@link HOME_BLOCKS}. */
const MAX_SERVERS = 25;
const MAX_SIGN_INS = 20;
/** Each open interaction takes two blocks (what it is, its buttons). */
const MAX_OPEN = 15;

const STATUS: Record<HomeServer['status'], string> = {
  up: '🟢 Up',
  unreachable: '🔴 Unreachable',
  needs_sign_in: '🔑 Needs sign-in',
};

/**
 * The person's home. `hrefs` maps a link interaction's id to its button's address when that is not
 * the link itself (a short link on Parley's server: Slack's buttons take 3,000 characters);
 * `now` is for "expires in".
 */
export function homeView(
  model: HomeModel,
  opts: { hrefs?: Map<string, string>; now?: number } = {},
): HomeView {
  const now = opts.now ?? Date.now();
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain('Parley', 150) },
    context(
      'Your MCP tools in Slack. Ask me in a DM, mention me in a channel, or use `/parley`. Only you see this page.',
    ),
    { type: 'divider' },
    { type: 'header', text: plain('Servers', 150) },
    ...capped(model.servers, MAX_SERVERS, serverBlock, 'servers'),
  ];
  if (model.servers.length === 0) blocks.push(section('_No MCP servers are configured._'));
  if (model.signIns.length > 0) {
    blocks.push({ type: 'divider' }, { type: 'header', text: plain('Your sign-ins', 150) });
    blocks.push(...capped(model.signIns, MAX_SIGN_INS, signInBlock, 'servers with sign-in'));
  }
  blocks.push({ type: 'divider' }, { type: 'header', text: plain('Waiting for you', 150) });
  if (model.open.length === 0) blocks.push(section('_Nothing is waiting for you._'));
  for (const open of model.open.slice(0, MAX_OPEN)) blocks.push(...openBlocks(open, now, opts.hrefs));
  const more = model.moreOpen + Math.max(0, model.open.length - MAX_OPEN);
  if (more > 0) blocks.push(context(`…and ${more} more, in the conversations they were asked in.`));
  const at = Math.floor(now / 1000);
  blocks.push(context(`Updated <!date^${at}^{date_short_pretty} at {time}|just now>`));
  return { type: 'home', blocks };
}

/** The first `max` items as blocks, then one line saying how many were left out. */
function capped<T>(items: T[], max: number, render: (item: T) => KnownBlock, what: string): KnownBlock[] {
  const blocks = items.slice(0, max).map(render);
  if (items.length > max) blocks.push(context(`…and ${items.length - max} more ${what}.`));
  return blocks;
}

function serverBlock(s: HomeServer): KnownBlock {
  const tools =
    s.status === 'up' && s.tools !== undefined ? ` · ${s.tools} tool${s.tools === 1 ? '' : 's'}` : '';
  const detail = s.detail ? `\n${escapeMrkdwn(s.detail)}` : '';
  return section(
    `*${escapeMrkdwn(s.title)}* (\`${escapeMrkdwn(s.name)}\`)\n${STATUS[s.status]}${tools}${detail}`,
  );
}

function signInBlock(s: SignInStatus): KnownBlock {
  const title = `*${escapeMrkdwn(s.title)}*`;
  if (s.state === 'signed_in')
    return withButton(
      `${title}\n✅ Signed in${s.scope ? ` · access: ${escapeMrkdwn(s.scope)}` : ''}`,
      button('Sign out', HOME_ACTION.signOut, s.server, 'danger'),
    );
  if (s.state === 'waiting')
    return withButton(
      `${title}\n⏳ A sign-in link is waiting in your messages with Parley.`,
      button('Send the link again', HOME_ACTION.signIn, s.server),
    );
  return withButton(`${title}\nNot signed in.`, button('Sign in', HOME_ACTION.signIn, s.server, 'primary'));
}

function withButton(text: string, accessory: types.Button): KnownBlock {
  const block = section(text);
  return block.type === 'section' ? { ...block, accessory } : block;
}

/** Where an interaction was asked: the channel (Slack shows its name), or the DM. */
function place(open: HomeInteraction): string {
  const { channel, thread } = open.conversation;
  if (channel.startsWith('D')) return 'in your messages with Parley';
  return `in <#${channel}>${thread ? ' (in a thread)' : ''}`;
}

/** An open interaction: what it is, where and until when, and the buttons its message has. */
function openBlocks(open: HomeInteraction, now: number, hrefs?: Map<string, string>): KnownBlock[] {
  const { interaction } = open;
  const v = interaction.view;
  const where = `from ${escapeMrkdwn(v.origin)} · ${place(open)} · expires in ${minutesLeft(v.expiresAt, now)}`;
  let head: string;
  let buttons: types.Button[];
  if (interaction.kind === 'form') {
    head = `📝 *${escapeMrkdwn(interaction.view.form.title)}*`;
    buttons = [
      button('Fill in', ACTION.formOpen, v.id, 'primary'),
      button('Decline', ACTION.formDecline, v.id),
    ];
  } else if (interaction.kind === 'confirm') {
    head = `⚠️ *${escapeMrkdwn(interaction.view.title)}* — waiting for your confirmation`;
    buttons = [
      button('Confirm', ACTION.confirmYes, v.id, 'primary'),
      button('Cancel', ACTION.confirmNo, v.id),
    ];
  } else {
    const link = interaction.view;
    head = `🔗 *A step in your browser* at ${escapeMrkdwn(link.host)}`;
    buttons = [
      {
        ...button(`Open ${link.host}`, ACTION.linkOpen, v.id, 'primary'),
        url: hrefs?.get(link.id) ?? link.url,
      },
    ];
    if (link.purpose === 'retry') buttons.push(button('Done', ACTION.linkDone, v.id));
    buttons.push(button('Decline', ACTION.linkDecline, v.id));
  }
  return [section(`${head}\n${where}`), { type: 'actions', elements: buttons }];
}
