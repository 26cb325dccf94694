/**
 * One dispatcher for everything a server asks of Parley while a tool runs: the input requests of
 * an MRTR round (2026-07-28) and live server requests (2025-11-25) go through the same code and
 * fail the same way. Requests that need no person (sampling, roots) are answered at once; an
 * elicitation becomes a form or link view for the person of the call it belongs to — or, when it
 * can't be shown faithfully, a `decline` with the reason told to the person.
 */
import type { Conversation } from '../conversation.js';
import { describeError, toParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CallContext } from '../mcp/connection.js';
import { safeUrl } from '../text.js';
import type { PendingInteraction, PendingRoute } from './pending.js';
import type { Presenter } from './presenter.js';
import type { Sampler } from './sampling.js';
import { schemaToForm } from './schema.js';

export interface ServerRequest {
  method: string;
  params?: Record<string, unknown> | undefined;
}

export type Dispatched =
  /** Answered without the person: `result` is the request's result. */
  | { kind: 'answered'; result: Record<string, unknown> }
  /** Could not be answered: the era decides how the server hears it (an error, or text). */
  | { kind: 'failed'; message: string }
  /** Shown to the person: the answer will come to `record`'s route. */
  | { kind: 'asking'; record: PendingInteraction };

export class InputRequests {
  /** URL elicitations awaiting their completion notice (in memory: it only words a message). */
  private readonly urlElicitations = new Map<string, { conversation: Conversation; until: number }>();

  constructor(
    private readonly presenter: Presenter,
    private readonly sampler: Sampler,
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {}

  /** Answers or shows one server request of the call `ctx`. Never throws for a person's reasons. */
  async dispatch(ctx: CallContext, request: ServerRequest, route: PendingRoute): Promise<Dispatched> {
    const params = request.params ?? {};
    switch (request.method) {
      case 'sampling/createMessage':
        try {
          return { kind: 'answered', result: { ...(await this.sampler.sample(ctx, params)) } };
        } catch (err) {
          this.logger.warn({ server: ctx.server, err: describeError(err) }, 'sampling failed');
          return { kind: 'failed', message: `Sampling failed: ${toParleyError(err).userMessage}` };
        }
      case 'roots/list':
        return { kind: 'answered', result: { roots: [] } };
      case 'elicitation/create':
        return this.elicit(ctx, params, route);
      default:
        return { kind: 'answered', result: { action: 'decline' } };
    }
  }

  private async elicit(
    ctx: CallContext,
    params: Record<string, unknown>,
    route: PendingRoute,
  ): Promise<Dispatched> {
    const { conversation } = ctx;
    const origin = `${ctx.server} · ${ctx.tool}`;
    const declined = async (why: string): Promise<Dispatched> => {
      await this.presenter.say(conversation, `⚠️ ${origin} ${why}, so I declined it.`);
      return { kind: 'answered', result: { action: 'decline' } };
    };
    const message = typeof params.message === 'string' ? params.message : 'The tool needs some information.';
    if (params.mode === 'url') {
      const url = typeof params.url === 'string' ? params.url : '';
      if (!safeUrl(url)) return declined('sent a link I won’t show (it isn’t a valid http(s) URL)');
      const elicitationId = typeof params.elicitationId === 'string' ? params.elicitationId : undefined;
      const shown = await this.presenter.show(conversation, origin, route, {
        kind: 'link',
        url,
        message,
        purpose: 'consent',
        ...(elicitationId && { elicitationId }),
      });
      if (!shown.ok) return declined(`sent a link I can’t show (${shown.reason})`);
      if (elicitationId) this.rememberUrlElicitation(elicitationId, conversation);
      return { kind: 'asking', record: shown.record };
    }
    const converted = schemaToForm(params.requestedSchema, message, origin);
    if (!converted.ok) return declined(`asked for a form I can’t show (${converted.reason})`);
    const shown = await this.presenter.show(conversation, origin, route, {
      kind: 'form',
      form: converted.form,
    });
    if (!shown.ok) return declined(`asked for a form I can’t show here (${shown.reason})`);
    return { kind: 'asking', record: shown.record };
  }

  private rememberUrlElicitation(elicitationId: string, conversation: Conversation): void {
    // Completions that never come must not pile up: forget any older than the interaction TTL.
    const now = this.now();
    for (const [id, entry] of this.urlElicitations) if (entry.until < now) this.urlElicitations.delete(id);
    this.urlElicitations.set(elicitationId, { conversation, until: now + this.ttlMs });
  }

  /** `notifications/elicitation/complete`; unknown ids are ignored, as the spec requires. */
  elicitationComplete(elicitationId: string): void {
    const conversation = this.urlElicitations.get(elicitationId)?.conversation;
    if (!conversation) return;
    this.urlElicitations.delete(elicitationId);
    void this.presenter.say(conversation, '✅ The link step is complete.');
  }
}
