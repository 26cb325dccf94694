/**
 * Binding a sign-in to the browser of the person who asked (issue 10 §4). The link a person gets
 * in the chat is Parley's start link (`/oauth/start/<startId>`), never the authorization URL:
 *
 * 1. `GET` shows a consent page that says in words which chat user the account is being linked
 *    to. A GET claims nothing, so link previews (Slack's unfurler, mail scanners) are harmless.
 * 2. `POST` (its button) claims the flow once: Parley sets a random, short-lived, `HttpOnly`,
 *    `SameSite=Lax` cookie in that browser, keeps only its SHA-256 in the sealed flow, and
 *    redirects to the authorization URL. A second browser opening the link is refused.
 * 3. The callback refuses the flow without that cookie — so a forwarded authorization URL (or a
 *    forwarded, already-opened start link) can't attach someone else's account to this person.
 *
 * Where the platform can vouch for the browser's user (see {@link PlatformVerifier}), step 2 first
 * sends the browser through the platform's own sign-in and requires the same user id.
 */
import { digest, randomToken } from './crypto.js';
import type { SignInFlow, SignInVault, StateIndex } from './vault.js';

export const START_PATH = '/oauth/start';
/** Where a platform's own sign-in (Sign in with Slack, Discord OAuth2) returns the browser. */
export const VERIFY_PATH = '/oauth/verify';
export const VERIFY_COOKIE = 'parley_verify';
/** How long the platform's sign-in may take. */
export const VERIFY_TTL_MS = 10 * 60_000;

/** The person a flow belongs to, parsed back from its identity key (`platform:workspace:user`). */
export interface ChatUser {
  platform: string;
  workspace: string;
  user: string;
}

/**
 * A platform that can say who a browser's user is (OpenID Connect or OAuth2 against Slack or
 * Discord). Adapters supply it; the core never calls a platform itself.
 */
export interface PlatformVerifier {
  /** `Conversation.platform` this verifier answers for ("slack", "discord"). */
  platform: string;
  /** Display name for pages ("Slack"). */
  label: string;
  /** The platform's authorization URL for this browser; `state` is Parley's, `redirectUri` its VERIFY_PATH. */
  authorizeUrl(state: string, redirectUri: string): string;
  /**
   * Exchanges the platform's `code` and says who signed in. `workspace` is the team/guild the
   * platform vouches for when it knows one (Slack's `https://slack.com/team_id`), else undefined.
   * Throws when the platform refuses the code.
   */
  identify(code: string, redirectUri: string): Promise<{ user: string; workspace?: string }>;
}

/** The cookie that binds a flow to one browser, named per flow so two open sign-ins don't collide. */
export function bindingCookieName(state: string): string {
  return `parley_signin_${digest(state).slice(0, 12).replace(/[-_]/g, 'x')}`;
}

export function parseIdentity(identity: string): ChatUser | undefined {
  const parts = identity.split(':').map((p) => decodeURIComponent(p));
  if (parts.length !== 3) return undefined;
  const [platform, workspace, user] = parts as [string, string, string];
  return { platform, workspace, user };
}

/** "Slack user U123 (workspace T456)": the words on the consent page. */
export function describeChatUser(who: ChatUser): string {
  const label =
    who.platform === 'slack'
      ? 'Slack'
      : who.platform === 'discord'
        ? 'Discord'
        : who.platform === 'console'
          ? 'console'
          : who.platform;
  const user = who.platform === 'slack' || who.platform === 'discord' ? `@${who.user}` : who.user;
  const place = who.platform === 'discord' ? 'server' : 'workspace';
  return `${label} user ${user} (${place} ${who.workspace})`;
}

export type StartLookup =
  | { ok: true; index: StateIndex; flow: SignInFlow; who: ChatUser }
  | { ok: false; reason: 'unknown' | 'claimed'; heading: string; message: string };

export const EXPIRED = {
  ok: false,
  reason: 'unknown',
  heading: 'This sign-in link has expired',
  message:
    'It is no longer valid (sign-in links work once, for a limited time). Ask again in the chat for a fresh link.',
} as const;

export const CLAIMED = {
  ok: false,
  reason: 'claimed',
  heading: 'This sign-in link was already opened',
  message:
    'It was opened in another browser, and a sign-in link works in one browser only. If that was not you, ask again in the chat for a new link — and don’t forward sign-in links: they link an account to the person who asked.',
} as const;

/** The flow behind a start link, if it is still open and unclaimed. */
export async function lookupStart(vault: SignInVault, startId: string, now: number): Promise<StartLookup> {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(startId)) return EXPIRED;
  const index = await vault.findStart(startId);
  if (!index) return EXPIRED;
  const flow = await vault.getFlow(index.identity, index.server, now);
  const who = parseIdentity(index.identity);
  if (!flow || !who || digest(flow.startId) !== digest(startId)) return EXPIRED;
  if (flow.binding) return CLAIMED;
  return { ok: true, index, flow, who };
}

/**
 * Claims the flow for this browser, under the flow's lease: a fresh cookie value whose digest is
 * written into the flow. Refused when another browser claimed it first (or it ended meanwhile).
 */
export async function claimStart(
  vault: SignInVault,
  startId: string,
  now: number,
): Promise<
  | { ok: true; cookie: { name: string; value: string; maxAgeMs: number }; url: string }
  | Exclude<StartLookup, { ok: true }>
> {
  const first = await lookupStart(vault, startId, now);
  if (!first.ok) return first;
  const { identity, server } = first.index;
  const release = await vault.lease(identity, server, 'flow', { ttlMs: 5_000, waitMs: 3_000 });
  if (!release) return CLAIMED;
  try {
    const again = await lookupStart(vault, startId, now);
    if (!again.ok) return again;
    const value = randomToken(32);
    await vault.updateFlow(identity, server, { ...again.flow, binding: digest(value) }, now);
    return {
      ok: true,
      cookie: { name: bindingCookieName(again.flow.state), value, maxAgeMs: again.flow.expiresAt - now },
      url: again.flow.url,
    };
  } finally {
    await release();
  }
}

/** Whether the browser's cookie header carries the binding for `flow`. */
export function browserBound(flow: SignInFlow, cookieHeader: string | undefined): boolean {
  if (!flow.binding) return false;
  const value = readCookie(cookieHeader, bindingCookieName(flow.state));
  return value !== undefined && digest(value) === flow.binding;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
