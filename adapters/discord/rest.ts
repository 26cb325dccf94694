/**
 * Every call Parley makes to Discord's REST API, in one place, through discord.js's own REST
 * client and `Routes`: interaction responses (gateway edge), an interaction's follow-ups and edits
 * (its webhook, valid 15 minutes, no bot token), and the bot's channel messages, threads and
 * typing indicator (bot token).
 */
import {
  type APIInteractionResponse,
  type APIMessage,
  type REST,
  type RESTPostAPIChannelThreadsResult,
  Routes,
} from 'discord.js';
import type { MessageBody } from './render.js';

/** An interaction's webhook: its application and token (the token lives 15 minutes). */
export interface InteractionHook {
  applicationId: string;
  token: string;
}

/** A channel message body; `message_reference` makes it a reply. */
export type ChannelMessage = MessageBody & {
  message_reference?: { message_id: string; fail_if_not_exists: boolean };
};

export class DiscordRest {
  constructor(private readonly rest: REST) {}

  /** The initial response to an interaction that came over the gateway. */
  async respond(interactionId: string, token: string, body: APIInteractionResponse): Promise<void> {
    await this.rest.post(Routes.interactionCallback(interactionId, token), { body, auth: false });
  }

  /** A follow-up message on an interaction (waits for it, to learn its id). */
  async followUp(hook: InteractionHook, message: MessageBody): Promise<APIMessage> {
    return (await this.rest.post(Routes.webhook(hook.applicationId, hook.token), {
      body: message,
      auth: false,
      query: new URLSearchParams({ wait: 'true' }),
    })) as APIMessage;
  }

  /** Edits an interaction's message: `@original` (its reply) or a follow-up's id. */
  async editReply(hook: InteractionHook, messageId: string, message: MessageBody): Promise<APIMessage> {
    return (await this.rest.patch(Routes.webhookMessage(hook.applicationId, hook.token, messageId), {
      body: message,
      auth: false,
    })) as APIMessage;
  }

  async createMessage(channelId: string, message: ChannelMessage): Promise<APIMessage> {
    return (await this.rest.post(Routes.channelMessages(channelId), { body: message })) as APIMessage;
  }

  async editMessage(channelId: string, messageId: string, message: MessageBody): Promise<void> {
    await this.rest.patch(Routes.channelMessage(channelId, messageId), { body: message });
  }

  async typing(channelId: string): Promise<void> {
    await this.rest.post(Routes.channelTyping(channelId));
  }

  /** Starts a thread on a message; `name` at most 100 characters, archived after a day idle. */
  async startThread(channelId: string, messageId: string, name: string): Promise<string> {
    const thread = (await this.rest.post(Routes.threads(channelId, messageId), {
      body: { name, auto_archive_duration: 1440 },
    })) as RESTPostAPIChannelThreadsResult;
    return thread.id;
  }
}
