/**
 * Slack's message shortcut "Ask Parley about this" (⋯ on any message): a turn with the message's
 * text as its context. The person asked privately, so the answer is theirs alone: ephemeral in a
 * channel (through the shortcut's response_url where the bot isn't a member), plain in a DM with
 * Parley. Acknowledged at once, like the slash command; a redelivered shortcut runs once.
 */
import type { App, MessageShortcut } from '@slack/bolt';
import type { Conversation } from '../../src/conversation.js';
import type { Store } from '../../src/store/index.js';
import { askAboutText } from '../../src/text.js';
import { keys } from './keys.js';
import { PLATFORM, type SlackSurface } from './surface.js';

/** The shortcut's callback_id (manifest.yml `shortcuts`). */
export const ASK_ABOUT_CALLBACK = 'parley_ask_about';

export interface ShortcutOptions {
  app: App;
  store: Store;
  /** Keeps the shortcut's response_url (sealed). */
  surface: SlackSurface;
  dedupeTtlMs: number;
  run: (conversation: Conversation, text: string) => void;
}

export function registerShortcuts(o: ShortcutOptions): void {
  o.app.shortcut<MessageShortcut>(ASK_ABOUT_CALLBACK, async ({ shortcut, ack }) => {
    await ack();
    if (!(await o.store.setIfAbsent(keys.seen(`sc:${shortcut.trigger_id}`), '1', o.dedupeTtlMs))) return;
    const conversation: Conversation = {
      platform: PLATFORM,
      workspace: shortcut.team?.id ?? shortcut.user.team_id ?? 'unknown',
      channel: shortcut.channel.id,
      user: shortcut.user.id,
    };
    // Kept for channels the bot can't post in (see send.ts).
    await o.surface.rememberCommandResponseUrl(conversation, shortcut.response_url);
    o.run(conversation, askAboutText(shortcut.message.text ?? ''));
  });
}
