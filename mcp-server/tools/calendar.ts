/**
 * URL-mode elicitation: a consent page on the demo auth server. Legacy uses `elicitInput({ mode:
 * "url" })` and the -32042 error; modern rides an `input_required` round.
 */
import {
  type CallToolResult,
  type ElicitResult,
  inputRequired,
  inputResponse,
  type ServerContext,
  UrlElicitationRequiredError,
} from '@modelcontextprotocol/server';
import { callerId } from '../identity.js';
import {
  clientCan,
  elicitationFailed,
  failure,
  humanWait,
  noUrlSupport,
  refusal,
  type ToolKit,
  type ToolResult,
  text,
} from './kit.js';

const CONSENT_MESSAGE = 'Open this page to let the Parley demo read your calendar.';

/** Registers these tools on the kit's server instance. */
export function registerCalendarTools(kit: ToolKit): void {
  const { server, era, readState } = kit;
  const { calendar, stateCodec, logger } = kit.deps;

  server.registerTool(
    'connect_calendar',
    {
      title: 'Connect calendar',
      description: 'Connects your calendar: you approve access on a consent page in your browser.',
    },
    async (ctx): Promise<ToolResult> => {
      const caller = callerId(ctx);
      if (calendar.isConnected(caller)) return text('Calendar connected (it already was).');
      if (!clientCan(ctx, server, 'url')) return noUrlSupport();

      if (era === 'legacy') {
        const elicitationId = calendar.newElicitationId();
        let answer: ElicitResult;
        try {
          answer = await ctx.mcpReq.elicitInput(
            { mode: 'url', message: CONSENT_MESSAGE, url: calendar.consentUrl(elicitationId), elicitationId },
            humanWait(ctx),
          );
        } catch (err) {
          return elicitationFailed(err);
        }
        if (answer.action !== 'accept') return text(`Calendar not connected: you ${refusal(answer.action)}.`);
        return finishConsent(ctx, caller, elicitationId, () => text('Calendar connected.'));
      }

      const state = readState(ctx, 'connect_calendar');
      return consentRoundModern(ctx, caller, 'connect_calendar', state?.elicitationId, () =>
        text('Calendar connected.'),
      );
    },
  );

  server.registerTool(
    'calendar_events',
    {
      title: 'Calendar events',
      description:
        'Lists your upcoming calendar events. Until your calendar is connected it asks you to open a ' +
        'consent page (legacy clients get the URL-elicitation-required error -32042; retry afterwards).',
      annotations: { readOnlyHint: true },
    },
    async (ctx): Promise<ToolResult> => {
      const caller = callerId(ctx);
      const events = (): CallToolResult => {
        const list = calendar.eventsFor(caller);
        return {
          content: [{ type: 'text', text: list.map((e) => `${e.start} – ${e.end}: ${e.title}`).join('\n') }],
          structuredContent: { events: list },
        };
      };
      if (calendar.isConnected(caller)) return events();

      if (era === 'legacy') {
        const shown = calendar.pendingFor(caller);
        if (shown !== undefined) {
          const status = await calendar.status(shown, ctx.mcpReq.signal);
          if (status === 'approved') {
            calendar.markConnected(caller);
            await notifyElicitationComplete(ctx, shown);
            return events();
          }
          if (status === 'pending') throw consentRequired(shown);
        }
        const elicitationId = calendar.newElicitationId();
        calendar.rememberPending(caller, elicitationId);
        throw consentRequired(elicitationId);
      }

      // The 2026-07-28 revision has no -32042: the URL elicitation rides an input_required round.
      if (!clientCan(ctx, server, 'url')) return noUrlSupport();
      const state = readState(ctx, 'calendar_events');
      return consentRoundModern(ctx, caller, 'calendar_events', state?.elicitationId, events);
    },
  );

  function consentRequired(elicitationId: string): UrlElicitationRequiredError {
    return new UrlElicitationRequiredError(
      [{ mode: 'url', message: CONSENT_MESSAGE, url: calendar.consentUrl(elicitationId), elicitationId }],
      'Connect your calendar first: open the consent page, then call calendar_events again.',
    );
  }

  async function consentRoundModern(
    ctx: ServerContext,
    caller: string,
    tool: 'connect_calendar' | 'calendar_events',
    elicitationId: string | undefined,
    onApproved: () => CallToolResult,
  ): Promise<ToolResult> {
    // The caller has checked that the client can open a URL.
    const view = inputResponse(ctx.mcpReq.inputResponses, 'consent');
    if (elicitationId === undefined || view.kind !== 'elicit') {
      // The id is not a claim of consent: the auth-mock is asked about it before anything is granted.
      const id = elicitationId ?? calendar.newElicitationId();
      return inputRequired({
        inputRequests: {
          consent: inputRequired.elicitUrl({ message: CONSENT_MESSAGE, url: calendar.consentUrl(id) }),
        },
        requestState: await stateCodec.mint({ tool, elicitationId: id }, ctx),
      });
    }
    if (view.action !== 'accept') return text(`Calendar not connected: you ${refusal(view.action)}.`);
    // On this revision the completion notification no longer exists: this result is the completion.
    return finishConsent(ctx, caller, elicitationId, onApproved);
  }

  async function finishConsent(
    ctx: ServerContext,
    caller: string,
    elicitationId: string,
    onApproved: () => CallToolResult,
  ): Promise<CallToolResult> {
    // A client that asked for progress hears from us while the person decides, so it can keep
    // the call open past its usual request timeout (resetTimeoutOnProgress).
    const progressToken = ctx.mcpReq._meta?.progressToken;
    const onWaiting =
      progressToken === undefined
        ? undefined
        : async (waitedMs: number) => {
            await ctx.mcpReq
              .notify({
                method: 'notifications/progress',
                params: {
                  progressToken,
                  progress: Math.round(waitedMs / 1000),
                  message: 'Waiting for you to allow or deny access on the consent page.',
                },
              })
              .catch((err: unknown) => logger.debug({ err }, 'could not send progress'));
          };
    const decision = await calendar.waitForDecision(elicitationId, ctx.mcpReq.signal, onWaiting);
    switch (decision) {
      case 'approved':
        calendar.markConnected(caller);
        if (era === 'legacy') await notifyElicitationComplete(ctx, elicitationId);
        return onApproved();
      case 'denied':
        if (era === 'legacy') await notifyElicitationComplete(ctx, elicitationId);
        return text('Calendar not connected: access was denied on the consent page.');
      case 'timeout':
        return failure('Calendar not connected: nobody approved or denied access in time. Try again.');
      case 'aborted':
        return failure('Calendar not connected: the request was cancelled.');
    }
  }

  async function notifyElicitationComplete(ctx: ServerContext, elicitationId: string): Promise<void> {
    try {
      // Related to this call, so it travels on the call's own stream before the result.
      await server.server.createElicitationCompletionNotifier(elicitationId, {
        relatedRequestId: ctx.mcpReq.id,
      })();
    } catch (err) {
      logger.warn({ err }, 'could not send notifications/elicitation/complete');
    }
  }
}
