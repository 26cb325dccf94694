/**
 * Discord OAuth2 (`identify`) as the platform check of a sign-in start link (src/auth/start.ts):
 * the browser that opens a person's link must be signed in to Discord as that same user (Discord
 * user ids are global, so no guild is compared). Optional: on when DISCORD_CLIENT_SECRET is set
 * (the application's OAuth2 client secret; DISCORD_APPLICATION_ID is the client id), with
 * `<PUBLIC_BASE_URL>/oauth/verify` added as a redirect in the application's OAuth2 settings.
 *
 * Sources: https://discord.com/developers/docs/topics/oauth2 (authorization code grant,
 * `/oauth2/token`), https://discord.com/developers/docs/resources/user#get-current-user.
 */
import type { PlatformVerifier } from '../../src/auth/start.js';
import { ParleyError } from '../../src/errors.js';

export interface DiscordIdentityOptions {
  applicationId: string;
  clientSecret: string;
  /** DISCORD_API_URL ("https://discord.com/api"); the authorize page is at its origin. */
  apiUrl: string;
  fetch?: typeof fetch;
}

export function discordIdentityVerifier(options: DiscordIdentityOptions): PlatformVerifier {
  const doFetch = options.fetch ?? fetch;
  const api = options.apiUrl.replace(/\/+$/, '');
  const refused = (detail: string) =>
    new ParleyError('auth_failed', 'Discord did not confirm who signed in.', { detail });
  return {
    platform: 'discord',
    label: 'Discord',
    authorizeUrl(state, redirectUri) {
      const url = new URL('/oauth2/authorize', api);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: options.applicationId,
        scope: 'identify',
        state,
        redirect_uri: redirectUri,
      }).toString();
      return url.href;
    },
    async identify(code, redirectUri) {
      const tokenRes = await doFetch(`${api}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: options.applicationId,
          client_secret: options.clientSecret,
        }).toString(),
        signal: AbortSignal.timeout(10_000),
      });
      const token = (await tokenRes.json().catch(() => ({}))) as { access_token?: unknown };
      if (!tokenRes.ok || typeof token.access_token !== 'string') throw refused(`token: ${tokenRes.status}`);
      const meRes = await doFetch(`${api}/v10/users/@me`, {
        headers: { authorization: `Bearer ${token.access_token}` },
        signal: AbortSignal.timeout(10_000),
      });
      const me = (await meRes.json().catch(() => ({}))) as { id?: unknown };
      if (!meRes.ok || typeof me.id !== 'string') throw refused(`users/@me: ${meRes.status}`);
      return { user: me.id };
    },
  };
}
