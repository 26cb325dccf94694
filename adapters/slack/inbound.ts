/**
 * What comes in from Slack, turned into calls on the agent: mentions, DMs and the slash command
 * become messages; button clicks, modal submits and closes become answers. Handlers ack at once
 * (Slack wants it within 3 s) and run the agent's turn afterwards; a modal submit checks the
 * values (with the core's validator) before acking, because inline errors can only ride on the ack.
 */
import type { App, BlockAction, ButtonAction, SlackViewAction } from '@slack/bolt';
import type { Actor, Conversation } from '../../src/conversation.js';
import { describeError } from '../../src/errors.js';
import type { Answer, AnswerRefusal, AnswerReply, ParleyInbound } from '../../src/inbound.js';
import type { Logger } from '../../src/logger.js';
import type { Store } from '../../src/store/index.js';
import type { FormView } from '../../src/surface.js';
import { createAssistant } from './assistant.js';
import {
  ACTION,
  errorsByBlock,
  FORM_CALLBACK,
  fieldForBlock,
  formModal,
  INPUT_ACTION,
  type InputState,
  loadingModal,
  type ModalView,
  noticeModal,
  readSubmission,
  suggestOptions,
} from './blocks.js';
import { ModalChain } from './chain.js';
import { registerFeedback } from './feedback.js';
import { firstSight, remember } from './marks.js';
import { registerShortcuts } from './shortcuts.js';
import { keys, PLATFORM, type SlackSurface } from './surface.js';

export interface InboundOptions {
  app: App;
  agent: ParleyInbound;
  store: Store;
  surface: SlackSurface;
  logger: Logger;
  command: string;
  botUserId: string;
  dedupeTtlMs: number;
  /** Runs a turn in the background, tracked for shutdown and tests. */
  run: (conversation: Conversation, text: string) => void;
  /** Tracks other work that goes on after an ack. */
  background: (work: Promise<unknown>) => void;
  /** Resolves when heavy work may start (see WorkGate). */
  admit: () => Promise<void>;
}

/** Slack's markup in incoming text, back to what the person typed. */
export function cleanIncoming(text: string, botUserId?: string): string {
  let s = text;
  if (botUserId) s = s.replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), ' ');
  s = s
    .replace(/<(?:mailto:)?([^<>|]+)\|([^<>]*)>/g, (_m, target: string, label: string) =>
      target.startsWith('http') || target.includes('@') ? target : label,
    )
    .replace(/<((?:https?:\/\/|mailto:)[^<>]+)>/g, (_m, url: string) => url.replace(/^mailto:/, ''))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return s.trim();
}

/**
 * `/parley <subcommand>` → the agent's text commands (help, tools, call, login, logout, whoami,
 * reset); anything else is a prompt. An empty command shows the help. (Curly quotes Slack typed
 * into `/call` JSON are the core's to straighten.)
 */
export function mapSlashCommand(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '/help';
  const [first = '', ...rest] = trimmed.split(/\s+/);
  const sub = first.toLowerCase().replace(/^\//, '');
  const args = trimmed.slice(first.length).trim();
  switch (sub) {
    case 'help':
    case 'tools':
    case 'reset':
    case 'whoami':
      return rest.length === 0 ? `/${sub}` : trimmed;
    case 'call':
    case 'login':
    case 'logout':
      return `/${sub}${args ? ` ${args}` : ''}`;
    default:
      return trimmed;
  }
}

export type AnyBody = Record<string, unknown> & {
  team?: { id?: string } | null;
  team_id?: string;
  user?: { id: string; team_id?: string };
};

function workspaceOf(body: AnyBody): string {
  return body.team?.id ?? body.user?.team_id ?? body.team_id ?? 'unknown';
}

/** Who acted, from any interaction payload (block_actions, view_submission, shortcuts). */
export function actorOf(body: AnyBody): Actor {
  return { platform: PLATFORM, workspace: workspaceOf(body), user: body.user?.id ?? 'unknown' };
}

const SENT = '✅ Sent. The answer continues in the conversation — you can close this.';
const FAILED = 'Something went wrong on my side. Please try again.';

/**
 * Registers every listener: messages, the slash command, buttons and modals here; assistant
 * threads (assistant.ts, sharing the message path), the message shortcut (shortcuts.ts) and the
 * 👍/👎 under answers (feedback.ts). The App Home registers its own (home.ts).
 */
export function registerInbound(o: InboundOptions): void {
  const finish = (viewId: string, view: ModalView) => o.surface.updateModal(viewId, view);
  const { app, agent, store, surface, logger } = o;
  const firstTime = (key: string) => firstSight(store, key, o.dedupeTtlMs, logger);

  /**
   * A mention or a DM (which may carry the agent's commands too: `@Parley /call …`), handled once
   * per message. One mark on channel + ts covers Slack's retries (same message) and the overlap of
   * `app_mention` and `message.im` (two events, one message).
   */
  async function onMessage(
    m: { channel: string; ts: string; thread?: string | undefined; user: string; text: string },
    body: unknown,
    retry: number | undefined,
  ): Promise<void> {
    if (!(await firstTime(keys.seen(`msg:${m.channel}:${m.ts}`)))) {
      logger.debug({ channel: m.channel, ts: m.ts, retry }, 'duplicate Slack event ignored');
      return;
    }
    const conversation: Conversation = {
      platform: PLATFORM,
      workspace: (body as { team_id?: string }).team_id ?? 'unknown',
      channel: m.channel,
      ...(m.thread && { thread: m.thread }),
      user: m.user,
    };
    o.run(conversation, cleanIncoming(m.text, o.botUserId));
  }

  app.event('app_mention', async ({ event, body, context }) => {
    if ('bot_id' in event && event.bot_id) return;
    if (!event.user) return;
    // The thread is the session: a mention at the top level starts one.
    const thread = event.thread_ts ?? event.ts;
    await onMessage(
      { channel: event.channel, ts: event.ts, thread, user: event.user, text: event.text },
      body,
      context.retryNum,
    );
  });

  app.message(async ({ message, body, context }) => {
    if (message.channel_type !== 'im') return;
    if (message.subtype !== undefined || !('user' in message) || !message.user) return;
    if ('bot_id' in message && message.bot_id) return;
    const thread = 'thread_ts' in message ? message.thread_ts : undefined;
    await onMessage(
      { channel: message.channel, ts: message.ts, thread, user: message.user, text: message.text ?? '' },
      body,
      context.retryNum,
    );
  });

  app.command(o.command, async ({ command, ack }) => {
    // A retried or replayed delivery of one command (same trigger_id) runs once.
    if (!(await firstTime(keys.seen(`cmd:${command.trigger_id}`)))) {
      await ack();
      logger.debug({ trigger: command.trigger_id }, 'duplicate Slack command ignored');
      return;
    }
    const text = mapSlashCommand(command.text);
    const slow = !/^\/(help|reset|whoami)$/.test(text);
    await ack(slow ? { response_type: 'ephemeral', text: '⏳ Working on it…' } : undefined);
    const conversation: Conversation = {
      platform: PLATFORM,
      workspace: command.team_id,
      channel: command.channel_id,
      user: command.user_id,
    };
    // Kept for channels the bot can't post in (see SlackSurface.send).
    await remember(() => surface.rememberCommandResponseUrl(conversation, command.response_url), logger);
    o.run(conversation, text);
  });

  // ───────────────────────────── buttons ─────────────────────────────

  /** The clicked interaction id, and the click's response_url noted for ephemeral messages. */
  async function clicked(body: BlockAction, action: ButtonAction): Promise<string> {
    const id = action.value ?? '';
    // Only a way to rewrite the ephemeral offer later: a store failure here must not cost the click.
    const url = body.response_url;
    if (body.container?.is_ephemeral === true && url)
      await remember(() => surface.rememberResponseUrl(id, url), logger);
    return id;
  }

  /** Tells only the person who clicked why their click did nothing; rewrites stale messages. */
  async function refused(body: BlockAction, id: string, reply: Extract<AnswerReply, { ok: false }>) {
    if (reply.code === 'expired') await surface.close(id, 'expired', ephemeralUrl(body));
    if (body.response_url)
      await surface.respond(body.response_url, { text: reply.message, replace_original: false });
    // A click on the App Home has no response_url: the home itself is published again, without
    // what can no longer be answered, rather than leaving the click to do nothing visible.
    else if (body.container?.type === 'view') surface.homeChanged(actorOf(body as unknown as AnyBody));
  }

  function ephemeralUrl(body: BlockAction): string | undefined {
    return body.container?.is_ephemeral === true ? body.response_url : undefined;
  }

  function onButton(
    actionId: string,
    handle: (id: string, actor: Actor, body: BlockAction) => Promise<AnswerReply | undefined>,
  ): void {
    // Acked on arrival; this runs when the receive path's gate lets the click through (receive.ts).
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action }) => {
      await ack();
      try {
        const id = await clicked(body, action);
        const reply = await handle(id, actorOf(body as unknown as AnyBody), body);
        if (reply && !reply.ok) await refused(body, id, reply);
      } catch (err) {
        logger.warn({ action: actionId, err: describeError(err) }, 'Slack button handler failed');
      }
    });
  }

  /** The form behind an id, for its owner (the core answers from memory when it showed it). */
  async function formOf(id: string, actor: Actor): Promise<{ ok: true; view: FormView } | AnswerRefusal> {
    const found = await agent.lookup(id, actor);
    if (!found.ok) return found;
    if (found.interaction.kind !== 'form')
      return { ok: false, code: 'invalid', message: 'This isn’t a form.' };
    return { ok: true, view: found.interaction.view };
  }

  onButton(ACTION.formOpen, async (id, actor, body) => {
    const found = await formOf(id, actor);
    if (!found.ok) return found;
    const built = formModal(id, found.view.form, found.view.origin);
    // The core checked the form against this surface's capabilities before showing it.
    if (!built.ok) throw new Error(`a form the core passed can't be built: ${built.reason}`);
    await app.client.views.open({ trigger_id: body.trigger_id, view: built.view });
    return undefined;
  });
  /**
   * Checks a click's answer with the core, then hands it on. A refusal met while handing it on
   * (the store failed, the form expired meanwhile) the core tells the person itself, as a notice —
   * all but "another answer was first" (see `Received`) — so it comes back as nothing to tell.
   */
  async function settle(id: string, actor: Actor, answer: Answer): Promise<AnswerReply | undefined> {
    const received = await agent.receive(id, actor, answer);
    if (!received.ok) return received;
    const reply = await received.deliver();
    return !reply.ok && reply.code !== 'used' ? undefined : reply;
  }

  onButton(ACTION.formDecline, (id, actor) => settle(id, actor, { action: 'decline' }));
  onButton(ACTION.confirmYes, (id, actor) => settle(id, actor, { action: 'approve' }));
  onButton(ACTION.confirmNo, (id, actor) => settle(id, actor, { action: 'decline' }));
  onButton(ACTION.linkOpen, async (id, actor) => {
    // The browser opens the URL itself; for URL elicitation the click is also the consent.
    const found = await agent.lookup(id, actor);
    if (!found.ok) return found;
    if (found.interaction.kind !== 'link' || found.interaction.view.purpose !== 'consent') return undefined;
    return settle(id, actor, { action: 'open' });
  });
  onButton(ACTION.linkDone, (id, actor) => settle(id, actor, { action: 'done' }));
  onButton(ACTION.linkDecline, (id, actor) => settle(id, actor, { action: 'decline' }));

  // ───────────────────────────── the form modal ─────────────────────────────

  app.view<SlackViewAction>(
    { callback_id: FORM_CALLBACK, type: 'view_submission' },
    async ({ ack, body, view }) => {
      const id = view.private_metadata;
      const actor = actorOf(body as unknown as AnyBody);
      try {
        // Slack gives a modal 3 seconds, and inline errors can only ride on the ack: the core
        // checks (owner, values, once-only) now, and hands the answer on after the ack.
        const found = await formOf(id, actor);
        if (!found.ok) {
          await ack({ response_action: 'update', view: noticeModal(found.message) });
          return;
        }
        const values = readSubmission(
          found.view.form,
          view.state.values as Record<string, Record<string, InputState>>,
        );
        const received = await agent.receive(id, actor, { action: 'submit', values });
        if (!received.ok) {
          const errors = received.errors ? errorsByBlock(found.view.form, received.errors) : {};
          if (Object.keys(errors).length > 0) await ack({ response_action: 'errors', errors });
          else await ack({ response_action: 'update', view: noticeModal(received.message) });
          return;
        }
        // The modal stays open as "loading": a wizard's next step opens in it (chain.ts).
        await ack({ response_action: 'update', view: loadingModal() });
        const chainKey = ModalChain.key(actor);
        const viewId = body.view.id;
        o.surface.chain.expect(chainKey, viewId);
        o.background(
          o.admit().then(async () => {
            // A refusal after the ack is told to the person by the core itself.
            const reply = await received.deliver().catch((err: unknown) => {
              o.surface.chain.settle(chainKey, viewId, finish, noticeModal(FAILED), true);
              throw err;
            });
            o.surface.chain.settle(
              chainKey,
              viewId,
              finish,
              noticeModal(reply.ok ? SENT : reply.message),
              !reply.ok,
            );
          }),
        );
      } catch (err) {
        logger.warn({ err: describeError(err) }, 'Slack form submit failed');
        await ack({
          response_action: 'update',
          view: noticeModal('Something went wrong on my side. Please try again.'),
        });
      }
    },
  );

  // notify_on_close: closing the modal is a cancel, which the tool hears about.
  app.view<SlackViewAction>(
    { callback_id: FORM_CALLBACK, type: 'view_closed' },
    async ({ ack, body, view }) => {
      await ack();
      const reply = await agent.answer(view.private_metadata, actorOf(body as unknown as AnyBody), {
        action: 'cancel',
      });
      if (!reply.ok) logger.debug({ code: reply.code }, 'modal closed after its form ended');
    },
  );

  // Type-ahead for choices with more options than a static menu holds (external_select).
  app.options(INPUT_ACTION, async ({ ack, body }) => {
    const id = body.view?.private_metadata ?? '';
    const actor = actorOf(body as unknown as AnyBody);
    const found = await formOf(id, actor);
    const field = found.ok ? fieldForBlock(found.view.form, body.block_id) : undefined;
    await ack({ options: field ? suggestOptions(field, body.value) : [] });
  });

  registerShortcuts({ app, surface, firstTime, logger, run: o.run });
  registerFeedback({
    app,
    agent,
    logger,
    actorOf: (body) => actorOf(body as unknown as AnyBody),
    tell: (url, text) => surface.respond(url, { text, replace_original: false }),
  });
  app.assistant(createAssistant({ agent, store, logger, onMessage }));

  app.error(async (err) => {
    logger.warn({ err: describeError(err) }, 'Slack listener failed');
  });
}

export type MessageHandler = (
  m: { channel: string; ts: string; thread?: string | undefined; user: string; text: string },
  body: unknown,
  retry: number | undefined,
) => Promise<void>;
