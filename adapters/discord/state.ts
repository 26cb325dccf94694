/**
 * What the Discord adapter keeps in the store, so any process can carry on from a key alone:
 * where a conversation's replies go (its route), the messages that show a pending interaction (so
 * whoever sees it end can edit them), a form's answers between modal pages, thread parents, and
 * marks against handling a message twice.
 *
 * Routes and tracked messages hold interaction tokens (each one posts as Parley for 15 minutes)
 * and the text of private messages (a sign-in link); page answers are what one person typed. All
 * three are stored only sealed (the core's Sealer port); ids and marks stay plain.
 */
import { type Conversation, sessionKey } from '../../src/conversation.js';
import type { Logger } from '../../src/logger.js';
import { SealedRecords, type Sealer, type Store } from '../../src/store/index.js';
import { ShowingViews } from '../../src/surface.js';
import type { InteractionHook } from './rest.js';

/** The `workspace` of a DM conversation (Discord's own name for the user's DM scope). */
export const DM = '@me';
/** Interaction tokens live 15 minutes; stop using one a little before. */
export const TOKEN_TTL_MS = 14 * 60_000;
/** A channel route (no token in it) is kept as long as a conversation is likely to go on. */
const ROUTE_TTL_MS = 7 * 24 * 3600_000;
const THREAD_TTL_MS = 30 * 24 * 3600_000;
const SEEN_TTL_MS = 10 * 60_000;
/** Tracked messages outlive their interaction by this much: the core closes expired ones then. */
const TRACK_GRACE_MS = 3600_000;

/** Where a conversation's replies go. */
export type Route =
  | (InteractionHook & {
      type: 'interaction';
      /** ms since epoch; the token is not used after it. */
      expiresAt: number;
      /** The command was answered privately: every reply is ephemeral. */
      ephemeral: boolean;
      /** 'open' while the deferred "thinking…" reply still waits for its first answer. */
      original: 'open' | 'done';
      channelId: string;
    })
  | { type: 'channel'; channelId: string; replyTo?: string };

/** A message that shows a pending interaction, so any process can edit it when it ends. */
export type MessageRef =
  | { via: 'channel'; channelId: string; messageId: string }
  | (InteractionHook & { via: 'webhook'; messageId: string; expiresAt: number });

export interface Tracked {
  ref: MessageRef;
  /** The content it was shown with, to which the outcome is appended. */
  content: string;
}

const K = {
  route: (c: Conversation) => `discord:route:${sessionKey(c)}`,
  thread: (id: string) => `discord:thread:${id}`,
  msgs: (id: string) => `discord:msgs:${id}`,
  form: (id: string) => `discord:form:${id}`,
  seen: (id: string) => `discord:seen:${id}`,
};

/** A form's answers between modal pages, and the pages the person has submitted. */
export interface PageState {
  values: Record<string, unknown>;
  submitted: number[];
}

export class DiscordState {
  /**
   * Interaction messages this process is posting and noting ({@link postTracked}, or a post and
   * its `track` run in `posting.show`): visible on Discord before they are noted, so
   * {@link takeTracked} waits for them rather than find nothing and leave live buttons.
   */
  readonly posting = new ShowingViews();
  private readonly routes: SealedRecords;
  private readonly messages: SealedRecords;
  private readonly forms: SealedRecords;

  constructor(
    private readonly store: Store,
    sealer: Sealer,
    private readonly now: () => number,
    logger?: Logger,
  ) {
    this.routes = new SealedRecords(store, sealer, logger, 'Discord route');
    this.messages = new SealedRecords(store, sealer, logger, 'Discord message');
    this.forms = new SealedRecords(store, sealer, logger, 'Discord form page');
  }

  /** The conversation's route; its channel (or thread) when none is stored. */
  async route(c: Conversation): Promise<Route> {
    return (
      (await this.routes.get<Route>(K.route(c))) ?? { type: 'channel', channelId: c.thread ?? c.channel }
    );
  }

  /** The route, falling back to the channel once an interaction token has run out. */
  async usableRoute(c: Conversation): Promise<Route> {
    const route = await this.route(c);
    if (route.type === 'interaction' && route.expiresAt <= this.now())
      return { type: 'channel', channelId: route.channelId || c.thread || c.channel };
    return route;
  }

  saveRoute(c: Conversation, route: Route): Promise<void> {
    // An interaction's token is useless once it has run out: its route (and the token) go then,
    // and replies fall back to the conversation's channel, as they would after expiry anyway.
    const ttl = route.type === 'interaction' ? Math.max(route.expiresAt - this.now(), 1000) : ROUTE_TTL_MS;
    return this.routes.set(K.route(c), route, ttl);
  }

  /**
   * After a click that moves a turn on, the turn's replies may use the click's fresher token
   * (only when the conversation already replies through an interaction).
   */
  async refreshRoute(c: Conversation, hook: InteractionHook): Promise<void> {
    const route = await this.route(c);
    if (route.type !== 'interaction') return;
    await this.saveRoute(c, {
      ...route,
      applicationId: hook.applicationId,
      token: hook.token,
      expiresAt: this.now() + TOKEN_TTL_MS,
      original: 'done',
    });
  }

  /** A reference to a message sent through an interaction's webhook, usable while its token is. */
  webhookRef(hook: InteractionHook, messageId: string, expiresAt = this.now() + TOKEN_TTL_MS): MessageRef {
    return { via: 'webhook', applicationId: hook.applicationId, token: hook.token, messageId, expiresAt };
  }

  /** Notes a message that shows interaction `id`; `expiresAt` is the interaction's (ms). */
  async track(id: string, ref: MessageRef, content: string, expiresAt: number): Promise<void> {
    const list = (await this.messages.get<Tracked[]>(K.msgs(id))) ?? [];
    list.push({ ref, content });
    await this.messages.set(K.msgs(id), list, Math.max(expiresAt - this.now(), 0) + TRACK_GRACE_MS);
  }

  /**
   * Posts a message of interaction `id` (`post` resolves where it went) and notes it, as one
   * showing of `id`: a close meanwhile waits for the note (see {@link posting}).
   */
  postTracked(
    id: string,
    content: string,
    expiresAt: number,
    post: () => Promise<MessageRef>,
  ): Promise<void> {
    return this.posting.show(id, (async () => this.track(id, await post(), content, expiresAt))());
  }

  /**
   * The messages of an ended interaction, taken in one step (of two processes closing the same
   * interaction, only one edits), with its page answers dropped.
   */
  async takeTracked(id: string): Promise<Tracked[]> {
    await this.posting.settled(id);
    const tracked = (await this.messages.take<Tracked[]>(K.msgs(id))) ?? [];
    await this.store.delete(K.form(id));
    return tracked;
  }

  async pages(id: string): Promise<PageState> {
    const state = await this.forms.get<Partial<PageState>>(K.form(id));
    return { values: state?.values ?? {}, submitted: state?.submitted ?? [] };
  }

  async savePages(id: string, state: PageState, expiresAt: number): Promise<void> {
    await this.forms.set(K.form(id), state, Math.max(expiresAt - this.now(), 1000));
  }

  /** The parent channel of a thread Parley started; undefined for other channels. */
  threadParent(threadId: string): Promise<string | undefined> {
    return this.store.get(K.thread(threadId));
  }

  saveThread(threadId: string, parentId: string): Promise<void> {
    return this.store.set(K.thread(threadId), parentId, THREAD_TTL_MS);
  }

  /** True the first time a message id is seen (Discord may deliver a dispatch twice). */
  firstSight(messageId: string): Promise<boolean> {
    return this.store.setIfAbsent(K.seen(`m:${messageId}`), '1', SEEN_TTL_MS);
  }

  /**
   * True for the one process that claims interaction `id` first. Every process connected to the
   * gateway with the same shard receives the same INTERACTION_CREATE; only one may act on it
   * (Discord also accepts only one initial response). Interaction tokens live 15 minutes, so
   * the mark outlives any redelivery.
   */
  claimInteraction(id: string): Promise<boolean> {
    return this.store.setIfAbsent(K.seen(`i:${id}`), '1', TOKEN_TTL_MS + 60_000);
  }
}
