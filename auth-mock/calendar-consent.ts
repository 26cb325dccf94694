/**
 * The `connect_calendar` consent: a third-party-style page the demo MCP server sends a person to
 * through an MCP URL-mode elicitation, and the status endpoint that server polls.
 *
 * The elicitation id is the only thing that ties a page to a tool call, so it acts as a capability:
 * whoever holds it can decide. That is acceptable here because the MCP server makes it (opaque and
 * unguessable) and only shows it to the person it asks. The first decision for an id is final.
 */
import { createHash } from 'node:crypto';
import express, { type Request, type Response, Router } from 'express';
import type { Logger } from 'pino';
import { calendarConsentPage, calendarDonePage, errorPage, sendPage } from './pages.js';

/** What the status endpoint reports for an elicitation id. */
export type CalendarConsentStatus = 'pending' | 'approved' | 'denied';

/** Longest accepted elicitation id; anything longer is refused rather than stored. */
export const MAX_ELICITATION_ID_LENGTH = 256;

/** Options of {@link CalendarConsentStore}. */
export interface CalendarConsentStoreOptions {
  /** How long a decision is kept; after that the id reads as pending again. Default one hour. */
  ttlMs?: number;
  /** Most decisions kept at once; the oldest go first. Default 1000. */
  maxEntries?: number;
  now?: () => number;
}

/** Decisions by elicitation id, bounded in time and count. */
export class CalendarConsentStore {
  readonly #decisions = new Map<string, { status: 'approved' | 'denied'; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: CalendarConsentStoreOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#decisions.size;
  }

  status(id: string): CalendarConsentStatus {
    const entry = this.#decisions.get(id);
    if (!entry) return 'pending';
    if (entry.expiresAt <= this.#now()) {
      this.#decisions.delete(id);
      return 'pending';
    }
    return entry.status;
  }

  /** Records a decision unless one is already there; returns the decision that stands. */
  decide(id: string, status: 'approved' | 'denied'): 'approved' | 'denied' {
    const current = this.status(id);
    if (current !== 'pending') return current;
    this.#decisions.set(id, { status, expiresAt: this.#now() + this.#ttlMs });
    this.#prune();
    return status;
  }

  #prune(): void {
    const now = this.#now();
    for (const [id, entry] of this.#decisions) {
      if (entry.expiresAt <= now) this.#decisions.delete(id);
    }
    // Map iteration is insertion order, so the first keys are the oldest decisions.
    for (const id of this.#decisions.keys()) {
      if (this.#decisions.size <= this.#maxEntries) break;
      this.#decisions.delete(id);
    }
  }
}

/** An id is any non-empty string up to the length limit without control characters. */
export function parseElicitationId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === 0 || value.length > MAX_ELICITATION_ID_LENGTH) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  return value;
}

/** A short, non-reversible reference to an id for logs: the id itself is a capability. */
function logRef(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12);
}

/** Dependencies of {@link createCalendarConsentRouter}. */
export interface CalendarConsentRouterDeps {
  store: CalendarConsentStore;
  /** The auto-approved demo user, if auto-approve mode is on (then the GET approves at once). */
  autoApprove: () => string | undefined;
  logger: Logger;
}

/** Routes `GET|POST /calendar/connect` and `GET /calendar/status/:id`. */
export function createCalendarConsentRouter({
  store,
  autoApprove,
  logger,
}: CalendarConsentRouterDeps): Router {
  const router = Router();

  const badId = (res: Response): void =>
    sendPage(
      res,
      400,
      errorPage(
        'This link is not valid',
        `The calendar request is missing its id, or the id is malformed (at most ${MAX_ELICITATION_ID_LENGTH} characters). Go back to the chat and ask again.`,
        'invalid_elicitation_id',
      ),
    );
  const decide = (id: string, status: 'approved' | 'denied', how: string): 'approved' | 'denied' => {
    const standing = store.decide(id, status);
    logger.info({ elicitation: logRef(id), status: standing, how }, 'calendar consent recorded');
    return standing;
  };

  router.get('/calendar/connect', (req: Request, res: Response) => {
    const id = parseElicitationId(req.query.elicitation_id);
    if (!id) return badId(res);
    const current = store.status(id);
    if (current !== 'pending') return sendPage(res, 200, calendarDonePage(current));
    if (autoApprove()) return sendPage(res, 200, calendarDonePage(decide(id, 'approved', 'auto-approve')));
    return sendPage(res, 200, calendarConsentPage(id));
  });

  router.post(
    '/calendar/connect',
    express.urlencoded({ extended: false, limit: '8kb' }),
    (req: Request, res) => {
      const body: Record<string, unknown> = typeof req.body === 'object' && req.body !== null ? req.body : {};
      const id = parseElicitationId(body.elicitation_id);
      if (!id) return badId(res);
      const decision = body.decision;
      if (decision !== 'allow' && decision !== 'deny') {
        return sendPage(
          res,
          400,
          errorPage(
            'Please choose Allow or Deny',
            'The form did not say whether to allow access.',
            'invalid_decision',
          ),
        );
      }
      return sendPage(
        res,
        200,
        calendarDonePage(decide(id, decision === 'allow' ? 'approved' : 'denied', 'page')),
      );
    },
  );

  router.get('/calendar/status/:id', (req: Request<{ id: string }>, res: Response) => {
    res.set('Cache-Control', 'no-store');
    const id = parseElicitationId(req.params.id);
    if (!id) {
      res.status(400).json({ error: 'invalid_elicitation_id' });
      return;
    }
    res.json({ status: store.status(id) });
  });

  return router;
}
