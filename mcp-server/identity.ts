/**
 * Who is calling a tool, for ticket and calendar ownership.
 *
 * The rule, in order:
 * 1. the OAuth subject (`sub`) when the HTTP request carried a valid bearer token;
 * 2. else `session:<Mcp-Session-Id>` on a legacy (2025-11-25) session, so one session's tickets
 *    stay together;
 * 3. else `anonymous`: modern (2026-07-28) requests without a token and stdio connections all
 *    share this one identity.
 */
import type { AuthInfo, ServerContext } from '@modelcontextprotocol/server';

export const ANONYMOUS = 'anonymous';

/** The verified OAuth subject, or undefined when the request carried no valid token. */
export function oauthSubject(authInfo: AuthInfo | undefined): string | undefined {
  const sub = authInfo?.extra?.sub;
  return typeof sub === 'string' && sub !== '' ? sub : undefined;
}

export function callerId(ctx: ServerContext): string {
  const sub = oauthSubject(ctx.http?.authInfo);
  if (sub) return sub;
  if (ctx.sessionId) return `session:${ctx.sessionId}`;
  return ANONYMOUS;
}
