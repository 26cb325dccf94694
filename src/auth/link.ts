/**
 * Starting a sign-in and the link a person is sent: the SDK's flow run without a server challenge
 * (recording the flow, or finding the stored sign-in still good), and a recorded sign-in (person,
 * server) turned into a private link view — re-sending the open one rather than starting a second,
 * and counting how often one tool call asks, so a server that keeps refusing stops being asked.
 * The link is Parley's start page (start.ts), never the authorization URL itself.
 */
import { auth } from '@modelcontextprotocol/client';
import { type Conversation, identityKey } from '../conversation.js';
import { describeError, isParleyError } from '../errors.js';
import type { PendingRoute } from '../interactions/pending.js';
import { metrics } from '../observability/metrics.js';
import type { LinkView } from '../surface.js';
import { hostOf } from '../text.js';
import { digest } from './crypto.js';
import { signInFailure } from './failure.js';
import { type OAuthServerConfig, StoreOAuthProvider } from './provider.js';
import {
  noClientRegistrationError,
  SignInBusyError,
  SignInRequiredError,
  signInBusyMessage,
} from './sign-in-errors.js';
import type { SignInParts } from './signin.js';
import type { SignInFlow } from './vault.js';

/** How starting the SDK's flow ended: a link is ready, the stored sign-in still works, or why not. */
export type StartResult = 'redirect' | 'authorized' | { message: string };

export type SignInRequest = { ok: true; view: LinkView; resent: boolean } | { ok: false; message: string };

/**
 * Turns the recorded sign-in for (person, server) into a link view for the person, and records
 * who waits for it. `callKey` (turn + tool call) bounds how often one call may ask.
 */
export async function requestSignIn(
  parts: SignInParts,
  conversation: Conversation,
  serverName: string,
  route: PendingRoute,
  callKey?: string,
): Promise<SignInRequest> {
  const server = parts.servers().find((s) => s.name === serverName);
  if (!server) return { ok: false, message: `${serverName} doesn’t use sign-in.` };
  const title = server.title ?? server.name;
  const identity = identityKey(conversation);
  if (callKey) {
    const max = parts.maxSignInsPerCall;
    const key = `oauth:attempts:${digest(callKey)}`;
    const count = Number((await parts.store.get(key)) ?? '0') + 1;
    await parts.store.set(key, String(count), parts.flowTtlMs * 2);
    if (count > max)
      return {
        ok: false,
        message: `${title} still refuses access after ${max} sign-ins, so I stopped asking. The account may lack the permission this needs.`,
      };
  }
  if (!(await parts.vault.getFlow(identity, server.name, parts.now()))) {
    // The server refused us without the SDK starting a sign-in (say, a 401 right after a
    // refresh): start one now.
    const started = await startSignIn(parts, identity, server, true);
    if (started === 'authorized')
      return { ok: false, message: `${title} accepted the stored sign-in again; please retry.` };
    if (started !== 'redirect') return { ok: false, message: started.message };
  }
  const release = await parts.vault.lease(identity, server.name, 'flow', { ttlMs: 5_000, waitMs: 3_000 });
  // Someone else is changing this flow (a callback finishing it, a step-up replacing it):
  // writing it back now could revive what they just ended.
  if (!release) return { ok: false, message: signInBusyMessage(title) };
  let current: SignInFlow | undefined;
  let view: LinkView | undefined;
  let resent = false;
  try {
    // Re-read under the lease: replaced meanwhile (a larger scope), the new flow carries the
    // waiters over, so join that one; finished meanwhile, there is nothing left to wait for.
    current = await parts.vault.getFlow(identity, server.name, parts.now());
    if (current) {
      resent = current.sent === true;
      const host = hostOf(current.url);
      // The person gets Parley's start link, never the authorization URL (start.ts).
      const url = parts.startUrl(current.startId);
      const message = resent
        ? `You still have a sign-in waiting for **${title}** — here is the same link again. It is only for you: don’t forward it.`
        : `Sign in to **${title}** to continue (at ${host}). The link is only for you (don’t forward it) and works in one browser, once; I’ll carry on by myself afterwards.`;
      const record = await parts.pending.create(
        {
          conversation,
          kind: 'link',
          origin: `${server.name} · sign-in`,
          route,
          link: { url, host, message, purpose: 'signin' },
        },
        parts.now(),
      );
      current.waiters.push({ conversation, interactionId: record.id });
      current.sent = true;
      await parts.vault.updateFlow(identity, server.name, current, parts.now());
      view = {
        id: record.id,
        url,
        host,
        message,
        origin: record.origin,
        purpose: 'signin',
        expiresAt: Math.min(record.expiresAt, current.expiresAt),
      };
    }
  } finally {
    await release();
  }
  if (!view) {
    const signedIn = await parts.vault.getTokens(identity, server.name);
    return {
      ok: false,
      message: signedIn
        ? `You’ve just signed in to ${title}; please ask again.`
        : `The sign-in for ${title} ended before I could send it; please ask again.`,
    };
  }
  if (!resent) metrics.signIn('started');
  return { ok: true, resent, view };
}

/** Runs the SDK's flow without a server challenge: 'redirect' when a sign-in link is ready. */
export async function startSignIn(
  parts: SignInParts,
  identity: string,
  server: OAuthServerConfig,
  force: boolean,
): Promise<StartResult> {
  const provider = new StoreOAuthProvider(parts.context(identity, server));
  try {
    const result = await auth(provider, {
      serverUrl: server.url,
      // The provider checks the issuer itself, tolerating a trailing slash (issuer.ts).
      skipIssuerMetadataValidation: true,
      ...(force && { forceReauthorization: true }),
      ...(parts.fetch && { fetchFn: parts.fetch }),
    });
    return result === 'AUTHORIZED' ? 'authorized' : 'redirect';
  } catch (err) {
    if (err instanceof SignInRequiredError) return 'redirect';
    if (err instanceof SignInBusyError) return { message: err.userMessage };
    const noRegistration = noClientRegistrationError(err, server, parts.redirectUrl());
    if (noRegistration) return { message: noRegistration.userMessage };
    const failure = signInFailure(server, err);
    parts.logger.warn(
      { server: server.name, err: describeError(err), code: failure?.code },
      'could not start a sign-in',
    );
    return {
      message:
        failure?.userMessage ??
        (isParleyError(err)
          ? err.userMessage
          : `I couldn’t start signing in to ${server.title ?? server.name} because its sign-in server didn’t answer as expected; please try again in a few minutes.`),
    };
  } finally {
    // A refresh attempt that threw inside auth() would otherwise hold the lease until its TTL.
    await provider.endRefreshLease();
  }
}
