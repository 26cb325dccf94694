/**
 * Sign-in's HTTP side, mounted on Parley's own server: the start link (`/oauth/start/:id`, its
 * consent page and one-time claim, see start.ts), the platform check's return (`/oauth/verify`),
 * the OAuth redirect target (`/oauth/callback`, answered with a small page for the person's
 * browser) and Parley's client ID metadata document. The callback resumes the paused turns right here, whichever process the
 * browser happens to reach.
 */
import type { Express, Request, Response } from 'express';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { hostOf } from '../text.js';
import { CALLBACK_PATH, type SignInOutcome } from './callback.js';
import { randomToken } from './crypto.js';
import { consentHeaders, consentPage, PAGE_HEADERS, resultPage } from './pages.js';
import { CLIENT_METADATA_PATH, type SignInService } from './signin.js';
import {
  bindingCookieName,
  claimStart,
  describeChatUser,
  EXPIRED,
  lookupStart,
  readCookie,
  START_PATH,
  VERIFY_COOKIE,
  VERIFY_PATH,
  VERIFY_TTL_MS,
} from './start.js';

export interface SignInRoutesDeps {
  signIn: SignInService;
  /** The agent (or anything that can resume what waited for a sign-in). */
  agent: { resumeAfterSignIn(outcome: SignInOutcome): Promise<void> };
  logger: Logger;
}

export function mountSignInRoutes(app: Express, deps: SignInRoutesDeps): void {
  const { signIn, agent, logger } = deps;

  app.get(CLIENT_METADATA_PATH, (_req: Request, res: Response) => {
    res.set('Cache-Control', 'public, max-age=300').json(signIn.clientMetadataDocument());
  });

  const sendPage = (res: Response, status: number, ok: boolean, heading: string, message: string) => {
    res.status(status).set(PAGE_HEADERS).type('html').send(resultPage({ ok, heading, message }));
  };
  const failed = (res: Response, err: unknown) => {
    logger.warn({ err: describeError(err) }, 'sign-in start failed');
    sendPage(
      res,
      500,
      false,
      'Sign-in could not start',
      'Something went wrong on Parley’s side; please ask again in the chat.',
    );
  };

  // The start link (start.ts): GET says whose chat identity the account is linked to...
  app.get(`${START_PATH}/:id`, async (req: Request<{ id: string }>, res: Response) => {
    try {
      const found = await lookupStart(signIn.vault, req.params.id, Date.now());
      if (!found.ok)
        return sendPage(res, found.reason === 'claimed' ? 409 : 404, false, found.heading, found.message);
      const server = signIn.servers.find((s) => s.name === found.index.server);
      const authorization = new URL(found.flow.url);
      res
        .status(200)
        .set(consentHeaders([authorization.origin]))
        .type('html')
        .send(
          consentPage({
            title: server?.title ?? found.index.server,
            host: hostOf(found.flow.url),
            linkedTo: describeChatUser(found.who),
            action: `${START_PATH}/${encodeURIComponent(req.params.id)}`,
          }),
        );
    } catch (err) {
      failed(res, err);
    }
  });

  const claimAndGo = async (res: Response, startId: string) => {
    const claimed = await claimStart(signIn.vault, startId, Date.now());
    if (!claimed.ok)
      return sendPage(res, claimed.reason === 'claimed' ? 409 : 404, false, claimed.heading, claimed.message);
    res.cookie(claimed.cookie.name, claimed.cookie.value, {
      httpOnly: true,
      sameSite: 'lax',
      secure: signIn.publicBaseUrl.startsWith('https://'),
      path: CALLBACK_PATH,
      maxAge: Math.max(1_000, claimed.cookie.maxAgeMs),
    });
    res.set(PAGE_HEADERS).redirect(303, claimed.url);
  };

  // ...and its button claims the flow for this browser, once, and goes on to the sign-in — first
  // through the platform's own sign-in when the deployment configured one for it.
  app.post(`${START_PATH}/:id`, async (req: Request<{ id: string }>, res: Response) => {
    try {
      const found = await lookupStart(signIn.vault, req.params.id, Date.now());
      if (!found.ok)
        return sendPage(res, found.reason === 'claimed' ? 409 : 404, false, found.heading, found.message);
      const verifier = signIn.verifierFor(found.who.platform);
      if (!verifier) return await claimAndGo(res, req.params.id);
      const state = randomToken(32);
      await signIn.vault.putVerification(state, req.params.id, VERIFY_TTL_MS);
      // The platform round trip belongs to this browser too: the answer is taken only with it.
      res.cookie(VERIFY_COOKIE, state, {
        httpOnly: true,
        sameSite: 'lax',
        secure: signIn.publicBaseUrl.startsWith('https://'),
        path: VERIFY_PATH,
        maxAge: VERIFY_TTL_MS,
      });
      res
        .set(PAGE_HEADERS)
        .redirect(303, verifier.authorizeUrl(state, `${signIn.publicBaseUrl}${VERIFY_PATH}`));
    } catch (err) {
      failed(res, err);
    }
  });

  // The platform's sign-in comes back here: the same chat user, or nothing is claimed.
  app.get(VERIFY_PATH, async (req: Request, res: Response) => {
    try {
      const params = queryParams(req.originalUrl);
      const state = params.get('state') ?? '';
      const cookie = readCookie(req.headers.cookie, VERIFY_COOKIE);
      if (!state || state.length > 128 || cookie !== state)
        return sendPage(
          res,
          400,
          false,
          'This check was started in another browser',
          'Open the sign-in link from the chat in this browser.',
        );
      const startId = await signIn.vault.takeVerification(state);
      const found = startId ? await lookupStart(signIn.vault, startId, Date.now()) : undefined;
      if (!startId || !found) return sendPage(res, 404, false, EXPIRED.heading, EXPIRED.message);
      if (!found.ok)
        return sendPage(res, found.reason === 'claimed' ? 409 : 404, false, found.heading, found.message);
      const verifier = signIn.verifierFor(found.who.platform);
      const code = params.get('code');
      if (!verifier || !code)
        return sendPage(
          res,
          400,
          false,
          'Sign-in stopped',
          `You didn’t confirm who you are, so nothing was linked. Ask again in the chat.`,
        );
      let person: { user: string; workspace?: string };
      try {
        person = await verifier.identify(code, `${signIn.publicBaseUrl}${VERIFY_PATH}`);
      } catch (err) {
        logger.warn(
          { platform: verifier.platform, err: describeError(err) },
          'platform identity check failed',
        );
        return sendPage(
          res,
          502,
          false,
          'Sign-in stopped',
          `${verifier.label} didn’t confirm who you are, so nothing was linked. Ask again in the chat.`,
        );
      }
      const sameWorkspace = person.workspace === undefined || person.workspace === found.who.workspace;
      if (person.user !== found.who.user || !sameWorkspace) {
        logger.warn(
          { platform: verifier.platform, server: found.index.server },
          'sign-in link opened by another chat user',
        );
        return sendPage(
          res,
          403,
          false,
          'This sign-in link is for someone else',
          `You are signed in to ${verifier.label} as another user than the one who asked for this sign-in, so nothing was linked. Sign-in links must not be forwarded; ask for your own in the chat.`,
        );
      }
      res.clearCookie(VERIFY_COOKIE, { path: VERIFY_PATH });
      await claimAndGo(res, startId);
    } catch (err) {
      failed(res, err);
    }
  });

  app.get(CALLBACK_PATH, async (req: Request, res: Response) => {
    const page = (status: number, ok: boolean, heading: string, message: string) =>
      sendPage(res, status, ok, heading, message);
    try {
      const params = queryParams(req.originalUrl);
      const result = await signIn.completeCallback(params, req.headers.cookie);
      // The binding has done its job: the browser need not carry it any longer.
      if (result.ok)
        res.clearCookie(bindingCookieName(params.get('state') ?? ''), {
          path: CALLBACK_PATH,
          httpOnly: true,
        });
      const outcome = result.outcome;
      if (outcome) {
        // Tell the person and resume before answering the browser: the turn then runs in the
        // background of this process, and a headless follower sees it already under way.
        await agent
          .resumeAfterSignIn(outcome)
          .catch((err: unknown) =>
            logger.warn({ server: outcome.server, err: describeError(err) }, 'resuming after sign-in failed'),
          );
      }
      page(result.ok ? 200 : 400, result.ok, result.heading, result.message);
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'sign-in callback failed');
      page(
        500,
        false,
        'Sign-in could not be finished',
        'Something went wrong on Parley’s side. Nothing was saved; please ask again in the chat.',
      );
    }
  });
}

/** The raw query as URLSearchParams (express's parsed query may turn repeats into arrays). */
function queryParams(originalUrl: string): URLSearchParams {
  const i = originalUrl.indexOf('?');
  return new URLSearchParams(i >= 0 ? originalUrl.slice(i + 1) : '');
}
