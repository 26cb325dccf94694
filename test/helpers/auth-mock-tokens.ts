/**
 * Real access tokens from the demo auth server, for tests that need a signed-in caller but are not
 * about the sign-in: a registered public client runs the code flow with PKCE, auto-approved as the
 * demo user asked for (auto-approve stays set to that user afterwards).
 */
import type { AuthMock } from '../../auth-mock/server.js';
import {
  authorizeUrl,
  callbackParams,
  pkce,
  REDIRECT_URI,
  registerPublicClient,
  tokenRequest,
} from '../auth-mock/oauth-test-client.js';

export async function issueAccessToken(
  auth: AuthMock,
  options: { user: string; scope: string; resource: string },
): Promise<string> {
  auth.setAutoApprove(options.user);
  const { client } = await registerPublicClient(auth.url);
  const { verifier, challenge } = pkce();
  const res = await fetch(
    authorizeUrl(auth.url, {
      client_id: client.client_id,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scope: options.scope,
      resource: options.resource,
    }),
    { redirect: 'manual' },
  );
  const code = (await callbackParams(res)).get('code') ?? '';
  const { status, body } = await tokenRequest(auth.url, {
    grant_type: 'authorization_code',
    client_id: client.client_id,
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT_URI,
    resource: options.resource,
  });
  if (status !== 200 || !body.access_token)
    throw new Error(`no access token (${status}): ${body.error ?? ''} ${body.error_description ?? ''}`);
  return body.access_token;
}
