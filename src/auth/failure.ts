/**
 * Sign-in failures as people read them. Whatever the SDK's OAuth code throws (metadata, issuer,
 * registration, token endpoint, a network error on the way to the authorization server) becomes
 * one sentence that names the server and says what to do; the library's own text goes to the log
 * only (as the error's detail).
 */
import {
  AuthorizationServerMismatchError,
  InsecureTokenEndpointError,
  IssuerMismatchError,
  OAuthClientFlowError,
  OAuthError,
  OAuthErrorCode,
  RegistrationRejectedError,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config.js';
import { describeError, isParleyError, ParleyError } from '../errors.js';
import { issuerRefusedSentence } from './issuer.js';

/** The SDK stamps errors that escaped through a transport's auth seam with this symbol. */
const AUTH_SEAM = Symbol.for('mcp.authSeamEscape');

/** Whether `err` came out of an OAuth step (the SDK's auth classes, or anything its auth seam let through). */
export function isSignInFailure(err: unknown): boolean {
  if (isParleyError(err)) return false;
  if (err instanceof OAuthError || err instanceof OAuthClientFlowError || err instanceof UnauthorizedError)
    return true;
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[AUTH_SEAM] === true;
}

/**
 * The person-facing error for a failed sign-in to `server`, or `undefined` when `err` is not a
 * sign-in failure (a Parley error, including "sign in first", stays as it is). Code `auth_failed`;
 * the SDK's message is kept as the detail for the log.
 */
export function signInFailure(server: ServerConfig, err: unknown): ParleyError | undefined {
  if (!isSignInFailure(err)) return undefined;
  const title = server.title ?? server.name;
  const service = server.auth.type === 'client_credentials' || server.auth.type === 'enterprise';
  return new ParleyError('auth_failed', failureSentence(title, server.name, service, err), {
    cause: err,
    detail: `sign-in to ${server.name} failed: ${describeError(err)}`,
  });
}

function failureSentence(title: string, name: string, service: boolean, err: unknown): string {
  const admin = 'tell your Parley admin if it keeps happening';
  if (err instanceof IssuerMismatchError || err instanceof AuthorizationServerMismatchError)
    return issuerRefusedSentence(title);
  if (err instanceof InsecureTokenEndpointError)
    return `I didn’t sign in to ${title} because its sign-in server wants credentials over plain http; ask whoever runs ${title} to serve it over https.`;
  if (err instanceof RegistrationRejectedError)
    return `${title}’s sign-in server won’t register Parley as an app; ask your Parley admin to configure a client ID for ${title}.`;
  if (err instanceof OAuthError) {
    const badClient =
      err.code === OAuthErrorCode.InvalidClient ||
      err.code === OAuthErrorCode.UnauthorizedClient ||
      err.code === OAuthErrorCode.UnsupportedGrantType;
    if (service && badClient)
      return `${title} refused Parley’s service credentials; ask your Parley admin to check the client ID and secret or key configured for ${title}.`;
    if (service)
      return `${title}’s sign-in server refused Parley’s request for access; ask your Parley admin to check the scopes and credentials configured for ${title}.`;
    if (badClient)
      return `${title}’s sign-in server doesn’t accept Parley as an app; ask your Parley admin to check the client ID configured for ${title}.`;
    return `${title}’s sign-in server refused the sign-in; try \`/login ${name}\` again, and ${admin}.`;
  }
  return `I couldn’t complete signing in to ${title} because its sign-in server didn’t answer as expected; please try again in a few minutes, and ${admin}.`;
}
