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

/** A file sent with a message (multipart `files[n]`, described in the payload's `attachments`). */
export interface UploadFile {
  name: string;
  data: Buffer;
  contentType: string;
}

/** The request data for a message, with its files when there are any. */
function withFiles(body: object, files: UploadFile[] | undefined) {
  if (!files?.length) return { body };
  return {
    body: { ...body, attachments: files.map((f, i) => ({ id: i, filename: f.name })) },
    files: files.map((f) => ({ name: f.name, data: f.data, contentType: f.contentType })),
  };
}

export class DiscordRest {
  constructor(private readonly rest: REST) {}

  /** The initial response to an interaction that came over the gateway. */
  async respond(interactionId: string, token: string, body: APIInteractionResponse): Promise<void> {
    await this.rest.post(Routes.interactionCallback(interactionId, token), { body, auth: false });
  }

  /** A follow-up message on an interaction (waits for it, to learn its id). */
  async followUp(hook: InteractionHook, message: MessageBody, files?: UploadFile[]): Promise<APIMessage> {
    return (await this.rest.post(Routes.webhook(hook.applicationId, hook.token), {
      ...withFiles(message, files),
      auth: false,
      query: new URLSearchParams({ wait: 'true' }),
    })) as APIMessage;
  }

  /** Edits an interaction's message: `@original` (its reply) or a follow-up's id. */
  async editReply(
    hook: InteractionHook,
    messageId: string,
    message: MessageBody,
    files?: UploadFile[],
  ): Promise<APIMessage> {
    return (await this.rest.patch(Routes.webhookMessage(hook.applicationId, hook.token, messageId), {
      ...withFiles(message, files),
      auth: false,
    })) as APIMessage;
  }

  async createMessage(channelId: string, message: ChannelMessage, files?: UploadFile[]): Promise<APIMessage> {
    return (await this.rest.post(Routes.channelMessages(channelId), withFiles(message, files))) as APIMessage;
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
