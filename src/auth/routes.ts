/**
 * Sign-in's HTTP side, mounted on Parley's own server: the OAuth redirect target
 * (`/oauth/callback`, answered with a small page for the person's browser) and Parley's client ID
 * metadata document. The callback resumes the paused turns right here, whichever process the
 * browser happens to reach.
 */
import type { Express, Request, Response } from 'express';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { PAGE_HEADERS, resultPage } from './pages.js';
import { CALLBACK_PATH, CLIENT_METADATA_PATH, type SignInOutcome, type SignInService } from './signin.js';

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

  app.get(CALLBACK_PATH, async (req: Request, res: Response) => {
    const page = (status: number, ok: boolean, heading: string, message: string) => {
      res.status(status).set(PAGE_HEADERS).type('html').send(resultPage({ ok, heading, message }));
    };
    try {
      const result = await signIn.completeCallback(queryParams(req.originalUrl));
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
