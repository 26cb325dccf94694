/**
 * The end of a sign-in: the browser coming back to `/oauth/callback`, in whichever process
 * receives it. `state` is single use and leads to exactly one (person, server) flow, refused
 * before it is spent when the browser is not the one that claimed the start link (start.ts); the
 * token exchange runs with that person's PKCE verifier and client registration, so a code obtained
 * through anyone else's link cannot be redeemed into their account. What it returns tells the
 * browser (a page) and the agent (who waited, to tell and resume).
 */
import { auth } from '@modelcontextprotocol/client';
import { type Actor, type Conversation, identityKey, sessionKey } from '../conversation.js';
import { describeError } from '../errors.js';
import { metrics } from '../observability/metrics.js';
import { digest } from './crypto.js';
import { StoreOAuthProvider } from './provider.js';
import type { SignInParts } from './signin.js';
import { browserBound, parseIdentity } from './start.js';
import type { SignInVault, SignInWaiter } from './vault.js';

export const CALLBACK_PATH = '/oauth/callback';

/** The end of a sign-in, for the agent to tell people and resume what waited for it. */
export interface SignInOutcome {
  ok: boolean;
  /** Whose sign-in it was (their home changed). */
  actor: Actor;
  server: string;
  title: string;
  /** For the chat, when `ok` is false. */
  message?: string;
  waiters: SignInWaiter[];
  /** The distinct conversations to tell (one message each). */
  notify: Conversation[];
}

export type CallbackResult =
  | { ok: true; outcome: SignInOutcome; heading: string; message: string }
  | {
      ok: false;
      reason: 'missing' | 'unknown' | 'used' | 'superseded' | 'unbound' | 'denied' | 'failed';
      heading: string;
      message: string;
      /** Present when someone waited for this sign-in and must be told it ended. */
      outcome?: SignInOutcome;
    };

/**
 * Finishes a sign-in from the browser's callback query. Refusals (missing, unknown, reused,
 * replaced `state`) store nothing and touch no one's flow.
 */
export async function completeCallback(
  parts: SignInParts,
  params: URLSearchParams,
  cookieHeader?: string,
): Promise<CallbackResult> {
  const result = await finishCallback(parts, params, cookieHeader);
  // Refused links (missing, unknown, reused state) are no sign-in: only real ends are counted.
  if (result.ok) metrics.signIn('completed');
  else if (result.reason === 'denied' || result.reason === 'failed') metrics.signIn('failed');
  return result;
}

async function finishCallback(
  parts: SignInParts,
  params: URLSearchParams,
  cookieHeader?: string,
): Promise<CallbackResult> {
  const state = params.get('state') ?? '';
  if (!state || state.length > 512)
    return {
      ok: false,
      reason: 'missing',
      heading: 'This sign-in link is incomplete',
      message:
        'The address is missing its sign-in state, so I can’t tell which sign-in it belongs to. Start again from the chat.',
    };
  // Checked before `state` is consumed: a forwarded authorization URL finished in another
  // browser is refused without spending the owner's sign-in.
  const unbound = await unboundBrowser(parts, state, cookieHeader);
  if (unbound) return unbound;
  const index = await parts.vault.takeState(state);
  if (!index) {
    const used = await parts.vault.stateUsed(state);
    if (used === 'superseded')
      return {
        ok: false,
        reason: 'superseded',
        heading: 'This sign-in link was replaced',
        message: 'A newer sign-in link was sent to you in the chat. Please use that one.',
      };
    if (used)
      return {
        ok: false,
        reason: 'used',
        heading: 'This sign-in link was already used',
        message:
          'Each sign-in link works once. If you are not signed in yet, ask again in the chat for a new link.',
      };
    return {
      ok: false,
      reason: 'unknown',
      heading: 'This sign-in link has expired',
      message:
        'It is no longer valid (sign-in links work once, for a limited time). Ask again in the chat for a fresh link.',
    };
  }
  await parts.vault.markStateUsed(state, 'used');
  const server = parts.servers().find((s) => s.name === index.server);
  // Without the lease (someone held it past the wait) the callback still goes on: `state` was
  // taken atomically above, so this is the only callback for it, and requests that find the
  // lease busy refuse rather than write the flow back.
  const release = await parts.vault.lease(index.identity, index.server, 'flow', {
    ttlMs: 5_000,
    waitMs: 3_000,
  });
  let flow: Awaited<ReturnType<SignInVault['getFlow']>>;
  try {
    flow = await parts.vault.getFlow(index.identity, index.server, parts.now());
    if (flow && digest(flow.state) === digest(state))
      await parts.vault.dropFlow(index.identity, index.server, flow);
    else flow = undefined;
  } finally {
    await release?.();
  }
  if (!server || !flow)
    return {
      ok: false,
      reason: 'unknown',
      heading: 'This sign-in link has expired',
      message: 'It is no longer valid. Ask again in the chat for a fresh link.',
    };
  const title = server.title ?? server.name;
  // Only the person the flow belongs to is told or resumed.
  const waiters = flow.waiters.filter((w) => identityKey(w.conversation) === index.identity);
  const who = parseIdentity(index.identity);
  const actor: Actor = who ?? { platform: '', workspace: '', user: '' };
  const outcome = (ok: boolean, message?: string): SignInOutcome => ({
    ok,
    actor,
    server: server.name,
    title,
    ...(message && { message }),
    waiters,
    notify: distinctConversations(waiters),
  });

  const error = params.get('error');
  if (error) {
    // The rest of an error response is not shown: it may come from anyone who can craft a URL.
    const denied = error === 'access_denied';
    const message = denied
      ? `Sign-in to ${title} was cancelled, so I didn’t go on with that request.`
      : `Signing in to ${title} didn’t work (the sign-in server answered “${/^[a-z_]{1,40}$/.test(error) ? error : 'error'}”). Ask again for a new link.`;
    parts.logger.info(
      { server: server.name, error: error.slice(0, 40) },
      'sign-in refused at the authorization server',
    );
    return {
      ok: false,
      reason: 'denied',
      heading: denied ? 'Sign-in cancelled' : 'Sign-in failed',
      message: denied
        ? `You didn’t allow access to ${title}, so nothing was saved.`
        : `${title}’s sign-in server reported a problem, so nothing was saved. Ask again in the chat.`,
      outcome: outcome(false, message),
    };
  }
  const code = params.get('code');
  try {
    if (!code) throw new Error('the callback carries no authorization code');
    const provider = new StoreOAuthProvider(parts.context(index.identity, server), {
      verifier: flow.verifier,
    });
    const iss = params.get('iss');
    const result = await auth(provider, {
      serverUrl: server.url,
      // The provider checks the issuer itself, tolerating a trailing slash (issuer.ts).
      skipIssuerMetadataValidation: true,
      authorizationCode: code,
      ...(iss !== null && { iss }),
      ...(flow.scope && { scope: flow.scope }),
      ...(parts.fetch && { fetchFn: parts.fetch }),
    });
    if (result !== 'AUTHORIZED') throw new Error(`the token exchange ended with ${result}`);
  } catch (err) {
    parts.logger.warn({ server: server.name, err: describeError(err) }, 'sign-in token exchange failed');
    return {
      ok: false,
      reason: 'failed',
      heading: 'Sign-in failed',
      message: `${title} didn’t accept this sign-in, so nothing was saved. Ask again in the chat for a new link.`,
      outcome: outcome(
        false,
        `Signing in to ${title} didn’t work because its sign-in server refused it; ask again for a new link.`,
      ),
    };
  }
  parts.logger.info({ server: server.name }, 'signed in');
  return {
    ok: true,
    outcome: outcome(true),
    heading: 'You’re signed in',
    message: `You’re signed in to ${title}. Parley is carrying on with your request in the chat.`,
  };
}

/**
 * A refusal when `state` names a live flow this browser did not claim through the start link
 * (no binding cookie, or another browser's). Unknown or used `state` falls through to the
 * usual answers.
 */
async function unboundBrowser(
  parts: SignInParts,
  state: string,
  cookieHeader: string | undefined,
): Promise<CallbackResult | undefined> {
  const index = await parts.vault.findState(state);
  if (!index) return undefined;
  const flow = await parts.vault.getFlow(index.identity, index.server, parts.now());
  if (!flow || digest(flow.state) !== digest(state) || browserBound(flow, cookieHeader)) return undefined;
  parts.logger.warn({ server: index.server }, 'sign-in callback from a browser the flow is not bound to');
  return {
    ok: false,
    reason: 'unbound',
    heading: 'This sign-in was started in another browser',
    message:
      'Sign-in links work only in the browser that opened them from the chat, so nothing was saved. If you asked for this sign-in, open the link from the chat in this browser; sign-in links must not be forwarded.',
  };
}

function distinctConversations(waiters: SignInWaiter[]): Conversation[] {
  const seen = new Map<string, Conversation>();
  for (const w of waiters) seen.set(sessionKey(w.conversation), w.conversation);
  return [...seen.values()];
}
