/**
 * The App Home tab. Published (`views.publish`) when a person opens it (`app_home_opened`, tab
 * "home"), and again whenever the core says their home changed (a sign-in, a sign-out, a form
 * shown or answered) — for people who opened it in the last {@link HOME_SEEN_TTL_MS}, a mark in
 * the store, so nobody else costs an API call. What it shows is the core's (ParleyInbound.home);
 * home-view.ts renders it.
 *
 * Its buttons: Sign in asks the core for the same sign-in a tool call or `/parley login` starts —
 * the private start link, bound to the person, posted in their DM with Parley (a home tab can't
 * hold a message); Sign out asks the core to forget their tokens. The buttons of open forms are
 * the message buttons (Fill in, Decline, Confirm…) and are handled with them in inbound.ts.
 */
import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import { type Actor, identityKey } from '../../src/conversation.js';
import { describeError } from '../../src/errors.js';
import type { ParleyHttpServer } from '../../src/http.js';
import type { ParleyInbound } from '../../src/inbound.js';
import type { Logger } from '../../src/logger.js';
import type { Store } from '../../src/store/index.js';
import { HOME_ACTION, homeView } from './home-view.js';
import { keys } from './keys.js';
import { LIMITS } from './kit.js';
import { PLATFORM } from './surface.js';

/** How long after opening the home tab a person's home is kept current. */
export const HOME_SEEN_TTL_MS = 12 * 3600_000;

export interface SlackHomeOptions {
  agent: ParleyInbound;
  store: Store;
  logger: Logger;
  /** The Web API client (once the adapter has started). */
  web: () => webApi.WebClient;
  /** For `/l/:id` short links when a link is longer than a button takes. */
  http?: ParleyHttpServer | undefined;
  /** Background work, tracked for shutdown and tests. */
  track: (work: Promise<unknown>) => void;
  actorOf: (body: BlockAction) => Actor;
}

export class SlackHome {
  /** People whose home is being published now; `again`: it changed meanwhile, publish once more. */
  private readonly publishing = new Map<string, { again: boolean }>();

  constructor(private readonly o: SlackHomeOptions) {}

  register(app: App): void {
    const { agent, logger } = this.o;
    app.event('app_home_opened', async ({ event, body }) => {
      if (event.tab !== 'home') return;
      const actor: Actor = { platform: PLATFORM, workspace: body.team_id ?? 'unknown', user: event.user };
      await this.o.store.set(keys.home(identityKey(actor)), '1', HOME_SEEN_TTL_MS);
      this.refresh(actor);
    });
    const onButton = (actionId: string, work: (actor: Actor, server: string) => Promise<unknown>) =>
      app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action }) => {
        await ack();
        const actor = this.o.actorOf(body);
        this.o.track(
          work(actor, action.value ?? '').catch((err: unknown) =>
            logger.warn({ err: describeError(err), action: actionId }, 'Slack home button failed'),
          ),
        );
      });
    // The link goes where only the person reads it: their DM with Parley. The core's account
    // path tells the home it changed (a link now waits), and again when the sign-in ends.
    onButton(HOME_ACTION.signIn, async (actor, server) => {
      const opened = await this.o.web().conversations.open({ users: actor.user });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('Slack opened no DM with the person');
      await agent.signIn({ ...actor, channel }, server);
    });
    onButton(HOME_ACTION.signOut, (actor, server) => agent.signOut(actor, server));
  }

  /** The core's signal: publish again if the person has the home in view (see ChatSurface). */
  changed(actor: Actor): void {
    this.o.track(
      this.o.store
        .get(keys.home(identityKey(actor)))
        .then((seen) => {
          if (seen) this.refresh(actor);
        })
        .catch((err: unknown) => this.o.logger.debug({ err: describeError(err) }, 'home mark unreadable')),
    );
  }

  /** Publishes the person's home now; a change during a publish brings one more, never a pile. */
  refresh(actor: Actor): void {
    const key = identityKey(actor);
    const running = this.publishing.get(key);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: true };
    this.publishing.set(key, state);
    const loop = async () => {
      try {
        while (state.again) {
          state.again = false;
          await this.publish(actor).catch((err: unknown) =>
            this.o.logger.warn({ err: describeError(err) }, 'publishing the Slack home failed'),
          );
        }
      } finally {
        this.publishing.delete(key);
      }
    };
    this.o.track(loop());
  }

  private async publish(actor: Actor): Promise<void> {
    const model = await this.o.agent.home(actor);
    const hrefs = new Map<string, string>();
    for (const { interaction } of model.open)
      if (interaction.kind === 'link' && interaction.view.url.length > LIMITS.buttonUrl && this.o.http) {
        const { view } = interaction;
        hrefs.set(
          view.id,
          await this.o.http.shortLink(view.url, Math.max(60_000, view.expiresAt - Date.now())),
        );
      }
    await this.o.web().views.publish({ user_id: actor.user, view: homeView(model, { hrefs }) });
  }
}
