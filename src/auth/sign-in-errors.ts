/**
 * The errors that stop a tool call until the person signs in, or explain why Parley cannot sign
 * them in: each carries code `auth_required` and a sentence for the person.
 */
import { describeError, ParleyError } from '../errors.js';

/** Raised when a call cannot go on until the person signs in; the sign-in is already recorded. */
export class SignInRequiredError extends ParleyError {
  constructor(
    readonly server: string,
    title: string,
  ) {
    super('auth_required', `You need to sign in to ${title} first: use \`/login ${server}\`.`, {
      detail: `sign-in required for ${server}`,
    });
  }
}

/**
 * Raised when the sign-in for (person, server) is being changed by someone else (another request
 * or process holds its lease) for longer than Parley waits: nothing was written, try again.
 */
export class SignInBusyError extends ParleyError {
  constructor(title: string) {
    super('auth_required', signInBusyMessage(title), { detail: 'the sign-in flow lease is held elsewhere' });
  }
}

export function signInBusyMessage(title: string): string {
  return `A sign-in to ${title} is being set up at this very moment; please try again in a few seconds.`;
}

/**
 * The SDK's refusal to sign in when the authorization server has no dynamic client registration
 * (RFC 7591: no `registration_endpoint` in its RFC 8414 metadata) and no client ID metadata
 * document applies, as a sentence saying what to set and where; undefined for any other error.
 * `redirectUrl` is the callback to register Parley with.
 */
export function noClientRegistrationError(
  err: unknown,
  server: { name: string; title?: string | undefined },
  redirectUrl: string,
): ParleyError | undefined {
  let text = '';
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++, e = (e as { cause?: unknown }).cause)
    text += ` ${String((e as { message?: unknown }).message ?? '')}`;
  if (!/does not support dynamic client registration/i.test(text)) return undefined;
  return new ParleyError(
    'auth_required',
    `${server.title ?? server.name}’s sign-in server doesn’t let Parley register itself (no dynamic client registration). Register Parley there as an OAuth client with the redirect URL ${redirectUrl}, then set \`"clientId"\` (and \`"clientSecret"\` if it gave one) in the \`"auth"\` of server "${server.name}" in parley.config.json (or the file PARLEY_CONFIG names).`,
    { cause: err, detail: describeError(err) },
  );
}

/** Whether `err` (or what it wraps) means "the person must sign in first". */
export function isSignInRequired(err: unknown): err is ParleyError {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    if (e instanceof SignInRequiredError) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
