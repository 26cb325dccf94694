/**
 * Slack's message shortcut "Ask Parley about this" (⋯ on any message): a turn with the message's
 * text as its context. The person asked privately, so the answer is theirs alone: ephemeral in a
 * channel (through the shortcut's response_url where the bot isn't a member), plain in a DM with
 * Parley. Acknowledged at once, like the slash command; a redelivered shortcut runs once.
 */
import type { App, MessageShortcut } from '@slack/bolt';
import type { Conversation } from '../../src/conversation.js';
import type { Logger } from '../../src/logger.js';
import { askAboutText } from '../../src/text.js';
import { keys } from './keys.js';
import { remember } from './marks.js';
import { PLATFORM, type SlackSurface } from './surface.js';

/** The shortcut's callback_id (manifest.yml `shortcuts`). */
export const ASK_ABOUT_CALLBACK = 'parley_ask_about';

export interface ShortcutOptions {
  app: App;
  /** The once-only mark (marks.ts `firstSight`): true unless this shortcut was seen already. */
  firstTime: (key: string) => Promise<boolean>;
  logger: Logger;
  /** Keeps the shortcut's response_url (sealed). */
  surface: SlackSurface;
  run: (conversation: Conversation, text: string) => void;
}

export function registerShortcuts(o: ShortcutOptions): void {
  o.app.shortcut<MessageShortcut>(ASK_ABOUT_CALLBACK, async ({ shortcut, ack }) => {
    await ack();
    if (!(await o.firstTime(keys.seen(`sc:${shortcut.trigger_id}`)))) return;
    const conversation: Conversation = {
      platform: PLATFORM,
      workspace: shortcut.team?.id ?? shortcut.user.team_id ?? 'unknown',
      channel: shortcut.channel.id,
      user: shortcut.user.id,
    };
    // Kept for channels the bot can't post in (see send.ts).
    await remember(() => o.surface.rememberCommandResponseUrl(conversation, shortcut.response_url), o.logger);
    o.run(conversation, askAboutText(shortcut.message.text ?? ''));
  });
}
