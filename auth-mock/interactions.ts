/**
 * The people-facing half of an authorization: the sign-in page where someone picks a demo user and
 * allows the requested access, and auto-approve mode, which does the same without a person.
 *
 * Auto-approve plays the browser against this very server (over loopback, with its own cookie
 * jar): it sends the authorization request on, posts the sign-in form as the configured user, and
 * answers the caller with the final redirect to the client's callback. The caller therefore sees
 * one redirect carrying the code, needs no cookies, and the code went through exactly the pages a
 * person would have used.
 */
import { randomBytes } from 'node:crypto';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  Router,
} from 'express';
import { errors, type Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { errorPage, sendPage, signInPage } from './pages.js';
import { interactionPath, OIDC_SCOPES } from './provider.js';
import { DEMO_SCOPES, DEMO_USERS, findDemoUser } from './users.js';

function asStringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function requestedScopes(params: Record<string, unknown>): string[] {
  return typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : [];
}

/** Turns the provider's "no interaction for this browser" errors into a page a person understands. */
function handleInteractionError(err: unknown, res: Response, next: NextFunction): void {
  if (err instanceof errors.SessionNotFound) {
    sendPage(
      res,
      400,
      errorPage(
        'This sign-in has expired',
        'The sign-in request is no longer valid (it expired, was already used, or was opened in another browser). Start again from the chat.',
        'session_not_found',
      ),
    );
    return;
  }
  next(err);
}

/** Dependencies of {@link createInteractionRouter}. */
export interface InteractionRouterDeps {
  provider: Provider;
  logger: Logger;
}

/** Routes `GET /interaction/:uid` (the page) and `POST /interaction/:uid/confirm` (its form). */
export function createInteractionRouter({ provider, logger }: InteractionRouterDeps): Router {
  const router = Router();

  router.get('/interaction/:uid', async (req: Request<{ uid: string }>, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== req.params.uid) throw new errors.SessionNotFound('interaction cookie mismatch');
      const client = await provider.Client.find(String(details.params.client_id));
      const loginHint = details.params.login_hint;
      sendPage(
        res,
        200,
        signInPage({
          uid: details.uid,
          clientName: client?.clientName ?? String(details.params.client_id),
          resources: asStringList(details.params.resource),
          scopes: requestedScopes(details.params)
            .filter((scope) => !OIDC_SCOPES.includes(scope))
            .map((name) => ({ name, description: DEMO_SCOPES.get(name) })),
          users: DEMO_USERS,
          selectedUser: typeof loginHint === 'string' ? findDemoUser(loginHint)?.id : undefined,
        }),
      );
    } catch (err) {
      handleInteractionError(err, res, next);
    }
  });

  router.post(
    '/interaction/:uid/confirm',
    express.urlencoded({ extended: false, limit: '8kb' }),
    async (req: Request<{ uid: string }>, res, next) => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (details.uid !== req.params.uid) throw new errors.SessionNotFound('interaction cookie mismatch');
        const body: Record<string, unknown> =
          typeof req.body === 'object' && req.body !== null ? req.body : {};
        const clientId = String(details.params.client_id);

        if (body.decision === 'deny') {
          logger.info({ clientId }, 'authorization denied by the user');
          await provider.interactionFinished(
            req,
            res,
            { error: 'access_denied', error_description: 'The user denied the request' },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        const user = findDemoUser(typeof body.user === 'string' ? body.user : undefined);
        if (body.decision !== 'allow' || !user) {
          sendPage(
            res,
            400,
            errorPage(
              'Please pick a user',
              'Choose one of the demo users and press Allow, or press Deny. Go back to try again.',
              'invalid_form',
            ),
          );
          return;
        }

        // Grant exactly what was asked: OpenID scopes as such, everything else on each resource
        // (the provider keeps only the scopes a resource actually offers).
        const scopes = requestedScopes(details.params);
        const grant = new provider.Grant({ accountId: user.id, clientId });
        const oidcScopes = scopes.filter((scope) => OIDC_SCOPES.includes(scope));
        if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
        const resourceScopes = scopes.filter((scope) => DEMO_SCOPES.has(scope));
        for (const resource of asStringList(details.params.resource)) {
          grant.addResourceScope(resource, resourceScopes.join(' '));
        }
        const grantId = await grant.save();

        logger.info({ clientId, user: user.id, scope: scopes.join(' ') }, 'authorization allowed');
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: user.id }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        );
      } catch (err) {
        handleInteractionError(err, res, next);
      }
    },
  );

  return router;
}

/** Dependencies of {@link createAutoApproveHandler}. */
export interface AutoApproveDeps {
  /** The demo user to approve as, or `undefined` when the mode is off. */
  user: () => string | undefined;
  /** Where this server can reach itself (the bound loopback address, not necessarily the issuer). */
  selfUrl: () => string;
  issuer: string;
  logger: Logger;
  /** Most redirects the robot follows inside this server before giving up. */
  maxHops?: number;
}

const ROBOT_HEADER = 'x-parley-auto-approve';

/** A cookie jar just big enough for one authorization: name → value, all on this server. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: globalThis.Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=thu, 01 jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Middleware for `GET /auth`: when auto-approve is on, answers the authorization request with the
 * redirect a person would have reached by signing in as the configured user and pressing Allow.
 * Provider errors (bad client, missing PKCE, unknown resource...) come back unchanged.
 */
export function createAutoApproveHandler(deps: AutoApproveDeps): RequestHandler {
  const { logger } = deps;
  const maxHops = deps.maxHops ?? 8;
  // Marks the robot's own requests so they reach the provider instead of this handler again.
  const robotToken = randomBytes(16).toString('base64url');
  const issuerOrigin = new URL(deps.issuer).origin;

  return async function autoApprove(req: Request, res: Response, next: NextFunction): Promise<void> {
    const user = deps.user();
    if (!user || req.get(ROBOT_HEADER) === robotToken) return next();
    try {
      const self = new URL(deps.selfUrl());
      const clientId = typeof req.query.client_id === 'string' ? req.query.client_id : undefined;
      const jar = new CookieJar();
      let target = new URL(req.originalUrl, self);
      for (let hop = 0; hop < maxHops; hop++) {
        const headers: Record<string, string> = { [ROBOT_HEADER]: robotToken, cookie: jar.header() };
        const interaction = /^\/interaction\/([^/]+)$/.exec(target.pathname);
        const response = interaction
          ? await fetch(
              new URL(`${interactionPath(decodeURIComponent(interaction[1] ?? ''))}/confirm`, self),
              {
                method: 'POST',
                headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
                body: new URLSearchParams({ user, decision: 'allow' }),
                redirect: 'manual',
              },
            )
          : await fetch(target, { headers, redirect: 'manual' });
        jar.store(response);

        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location) {
          const next = new URL(location, issuerOrigin);
          const ours =
            (next.origin === issuerOrigin || next.origin === self.origin) &&
            (next.pathname === '/auth' ||
              next.pathname.startsWith('/auth/') ||
              next.pathname.startsWith('/interaction/'));
          if (ours) {
            target = new URL(next.pathname + next.search, self);
            continue;
          }
          // Leaving this server: the client's callback with the code (or with an OAuth error).
          logger.info({ user, clientId }, 'authorization auto-approved');
          res.status(response.status).set('Cache-Control', 'no-store').location(location).end();
          return;
        }
        // A page, not a redirect: an error page, or a form_post response. Hand it over as it is.
        res
          .status(response.status)
          .set('Cache-Control', 'no-store')
          .type(response.headers.get('content-type') ?? 'text/html')
          .send(Buffer.from(await response.arrayBuffer()));
        return;
      }
      throw new Error(`auto-approve did not reach the client's callback within ${maxHops} redirects`);
    } catch (err) {
      logger.error({ err }, 'auto-approve failed');
      sendPage(
        res,
        500,
        errorPage(
          'Auto-approve failed',
          'The demo auth server could not sign in automatically.',
          'auto_approve_failed',
        ),
      );
    }
  };
}
