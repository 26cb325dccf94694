/**
 * Slack's AI-app surface (assistant threads, Bolt's `Assistant`): a thread opened in Parley's
 * assistant pane gets suggested prompts built from the tools the person may use; each message in
 * it names the thread (`setTitle`, from its first message) and goes to the core as a DM in that
 * thread. While a turn runs, the thread's status line says what Parley is doing (`setStatus`,
 * rendered by the surface from the core's progress). Workspaces that don't enable the assistant
 * view never send these events: mentions, DMs and /parley work as before.
 *
 * Bolt's `Assistant` takes every threaded DM message (its `isAssistantMessage`), so threaded DMs
 * reach Parley through here in any case, the same way as other DMs.
 */
import { Assistant } from '@slack/bolt';
import { describeError } from '../../src/errors.js';
import type { ParleyInbound } from '../../src/inbound.js';
import type { Logger } from '../../src/logger.js';
import type { Store } from '../../src/store/index.js';
import { truncate } from '../../src/text.js';
import type { MessageHandler } from './inbound.js';
import { PLATFORM } from './surface.js';

/** Slack shows at most four suggested prompts (assistant.threads.setSuggestedPrompts). */
export const MAX_PROMPTS = 4;
/** How long an assistant thread is remembered as one (its status goes to setStatus). */
const THREAD_TTL_MS = 7 * 24 * 3600_000;

export const assistantKeys = {
  thread: (channel: string, threadTs: string) => `slack:assistant:${channel}:${threadTs}`,
  titled: (channel: string, threadTs: string) => `slack:assistant-titled:${channel}:${threadTs}`,
};

/** Notes that a thread is an assistant thread. */
export function markAssistantThread(store: Store, channel: string, threadTs: string): Promise<void> {
  return store.set(assistantKeys.thread(channel, threadTs), '1', THREAD_TTL_MS);
}

export async function isAssistantThread(store: Store, channel: string, threadTs: string): Promise<boolean> {
  return (await store.get(assistantKeys.thread(channel, threadTs))) !== undefined;
}

/**
 * The suggested prompts for a person: one per tool they may call (`server__tool` names), the
 * first {@link MAX_PROMPTS} − 1, and a last one asking what Parley can do. Shapes as Slack takes
 * them: `{ title, message }`.
 */
export function suggestedPrompts(toolNames: string[]): Array<{ title: string; message: string }> {
  const prompts = toolNames.slice(0, MAX_PROMPTS - 1).map((name) => {
    const [server, tool] = name.includes('__') ? name.split('__', 2) : ['', name];
    const label = server ? `${server} · ${tool}` : (tool as string);
    return {
      title: truncate(`Use ${label}`, 75),
      message: `Help me use ${tool}${server ? ` on ${server}` : ''}.`,
    };
  });
  prompts.push({ title: 'What can you do?', message: 'What can you do for me, and with which tools?' });
  return prompts;
}

/**
 * The thread's status line for a progress text: "is thinking…" while the model works, "is calling
 * demo · create_ticket…" (with the tool's progress, if any) during a call.
 */
export function statusFor(progress: string): string {
  if (/^Working on it/.test(progress)) return 'is thinking…';
  const running = /^Running (.*)$/s.exec(progress);
  const said = running ? `calling ${running[1]}` : progress.charAt(0).toLowerCase() + progress.slice(1);
  return truncate(`is ${said.replace(/\s+/g, ' ')}`, 150);
}

/** The status while an interaction waits for the person. */
export function waitingStatus(kind: 'form' | 'confirm' | 'link'): string {
  return kind === 'form'
    ? 'is waiting for your form'
    : kind === 'confirm'
      ? 'is waiting for your answer'
      : 'is waiting for you to open the link';
}

export interface AssistantOptions {
  agent: ParleyInbound;
  store: Store;
  logger: Logger;
  /** The DM path of the inbound adapter (dedupes, then runs the turn). */
  onMessage: MessageHandler;
}

export function createAssistant(o: AssistantOptions): Assistant {
  const { store, logger } = o;
  const quietly = (what: string) => (err: unknown) =>
    logger.warn({ err: describeError(err) }, `Slack assistant: ${what} failed`);
  return new Assistant({
    threadStarted: async ({ event, body, setSuggestedPrompts }) => {
      const { channel_id: channel, thread_ts: threadTs, user_id: user } = event.assistant_thread;
      await markAssistantThread(store, channel, threadTs);
      const workspace = (body as { team_id?: string }).team_id ?? 'unknown';
      const names = await o.agent.toolNames({ platform: PLATFORM, workspace, user }).catch(() => []);
      await setSuggestedPrompts({ title: 'Try one of these:', prompts: suggestedPrompts(names) }).catch(
        quietly('setSuggestedPrompts'),
      );
    },
    // The context (which channel the person is looking at) isn't used: nothing to save.
    threadContextChanged: async () => undefined,
    userMessage: async ({ message, body, context, setTitle }) => {
      if (message.subtype !== undefined || !('user' in message) || !message.user) return;
      if ('bot_id' in message && message.bot_id) return;
      const threadTs = 'thread_ts' in message ? message.thread_ts : undefined;
      if (!threadTs) return;
      const text = message.text ?? '';
      // Only a thread Slack opened as an assistant thread (threadStarted) gets a title; other
      // threaded DMs are plain DMs.
      // The title is cosmetic: a store failure here must not cost the message itself.
      const titled = async () => {
        if (
          (await isAssistantThread(store, message.channel, threadTs)) &&
          (await store.setIfAbsent(assistantKeys.titled(message.channel, threadTs), '1', THREAD_TTL_MS))
        )
          await setTitle(truncate(text.replace(/\s+/g, ' ').trim() || 'Parley', 60));
      };
      await titled().catch(quietly('setTitle'));
      await o.onMessage(
        { channel: message.channel, ts: message.ts, thread: threadTs, user: message.user, text },
        body,
        context.retryNum,
      );
    },
  });
}
