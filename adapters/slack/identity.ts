/**
 * Sign in with Slack (OpenID Connect) as the platform check of a sign-in start link
 * (src/auth/start.ts): the browser that opens a person's link must be signed in to Slack as that
 * same person, in the same workspace. Optional: on when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET
 * are set (the Slack app's own client credentials, with its redirect URL set to
 * `<PUBLIC_BASE_URL>/oauth/verify`).
 *
 * Sources: https://docs.slack.dev/authentication/sign-in-with-slack/ — `openid/connect/authorize`,
 * `openid.connect.token`, `openid.connect.userInfo` (claims `https://slack.com/user_id`,
 * `https://slack.com/team_id`).
 */
import type { PlatformVerifier } from '../../src/auth/start.js';
import { ParleyError } from '../../src/errors.js';

export interface SlackIdentityOptions {
  clientId: string;
  clientSecret: string;
  /** The Web API base ending in "/api/"; the authorize page is at `../openid/connect/authorize`. */
  apiUrl: string;
  fetch?: typeof fetch;
}

export function slackIdentityVerifier(options: SlackIdentityOptions): PlatformVerifier {
  const doFetch = options.fetch ?? fetch;
  const call = async (method: string, init: RequestInit): Promise<Record<string, unknown>> => {
    const res = await doFetch(new URL(method, options.apiUrl), {
      ...init,
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok || body.ok !== true)
      throw new ParleyError('auth_failed', 'Slack did not confirm who signed in.', {
        detail: `${method}: ${typeof body.error === 'string' ? body.error.slice(0, 60) : res.status}`,
      });
    return body;
  };
  return {
    platform: 'slack',
    label: 'Slack',
    authorizeUrl(state, redirectUri) {
      const url = new URL('../openid/connect/authorize', options.apiUrl);
      url.search = new URLSearchParams({
        response_type: 'code',
        scope: 'openid',
        client_id: options.clientId,
        state,
        redirect_uri: redirectUri,
      }).toString();
      return url.href;
    },
    async identify(code, redirectUri) {
      const token = await call('openid.connect.token', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: options.clientId,
          client_secret: options.clientSecret,
          code,
          redirect_uri: redirectUri,
        }).toString(),
      });
      if (typeof token.access_token !== 'string')
        throw new ParleyError('auth_failed', 'Slack did not confirm who signed in.', {
          detail: 'no access_token',
        });
      const info = await call('openid.connect.userInfo', {
        headers: { authorization: `Bearer ${token.access_token}` },
      });
      const user = info['https://slack.com/user_id'];
      const team = info['https://slack.com/team_id'];
      if (typeof user !== 'string' || typeof team !== 'string')
        throw new ParleyError('auth_failed', 'Slack did not confirm who signed in.', {
          detail: 'no user_id/team_id',
        });
      return { user, workspace: team };
    },
  };
}
