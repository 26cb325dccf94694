/**
 * Issue 10 §4, the platform's word: with Sign in with Slack configured, the browser that opens a
 * person's start link must be signed in to Slack as that same person (same user id and team)
 * before the flow is claimed. Real Parley, demo auth server and Redis; Slack's OpenID Connect
 * endpoints are the fake Slack's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordIdentityVerifier } from '../../adapters/discord/identity.js';
import { slackIdentityVerifier } from '../../adapters/slack/identity.js';
import { type CookieJar, followSignInLink } from '../../src/auth/index.js';
import { type Conversation, identityKey } from '../../src/conversation.js';
import { type AuthStack, type ParleyProcess, startAuthStack } from '../helpers/auth-stack.js';
import { type FakeDiscord, startFakeDiscord } from '../helpers/fake-discord.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { RecordingSurface } from '../helpers/surface.js';

describe('Sign in with Slack vouches for the browser’s user', () => {
  let stack: AuthStack;
  let slack: FakeSlack;
  let p: ParleyProcess;
  const surface = new RecordingSurface('slack');
  const slackConv = (user: string): Conversation => ({
    platform: 'slack',
    workspace: 'T0FAKE',
    channel: 'C1',
    user,
  });
  const tokensOf = (user: string) => p.signIn.vault.getTokens(identityKey(slackConv(user)), 'demo');

  beforeAll(async () => {
    slack = await FakeSlack.start({ teamId: 'T0FAKE' });
    stack = await startAuthStack({ label: 'platform-identity' });
    p = await stack.startProcess({
      surface,
      verifiers: [
        slackIdentityVerifier({
          clientId: slack.oidcClient.id,
          clientSecret: slack.oidcClient.secret,
          apiUrl: slack.apiUrl,
        }),
      ],
    });
  });
  afterAll(async () => {
    await stack?.close();
    await slack?.close();
  });

  async function askForLink(user: string): Promise<string> {
    await p.agent.message(slackConv(user), '/call demo__whoami {}');
    return (await surface.waitFor(user, 'link')).url;
  }

  it('refuses a colleague signed in to Slack as someone else; the owner then signs in', async () => {
    const u = 'UALICE';
    const link = await askForLink(u);
    const page = await (await fetch(link)).text();
    expect(page).toContain('Slack user @UALICE (workspace T0FAKE)');

    // The colleague's browser: Slack knows it as UBOB (and the auth server would sign in bob).
    slack.signInBrowserAs('UBOB');
    stack.auth.setAutoApprove('bob');
    const colleague = await followSignInLink(link, { jar: new Map() });
    stack.auth.setAutoApprove('alice');
    expect(colleague.status).toBe(403);
    expect(colleague.text).toContain('This sign-in link is for someone else');
    expect(await tokensOf(u)).toBeUndefined();

    // Nothing was claimed: alice's own browser, signed in to Slack as her, goes through.
    slack.signInBrowserAs('UALICE');
    const own = await followSignInLink(link, { jar: new Map() });
    expect(own.status).toBe(200);
    expect(own.text).toContain('You’re signed in to Parley demo');
    await surface.waitForText(u, /^alice$/);
    expect(slack.violations).toEqual([]);
  });

  it('refuses the same user id from another workspace', async () => {
    const u = 'UCAROL';
    const link = await askForLink(u);
    slack.signInBrowserAs('UCAROL', 'TOTHER');
    const page = await followSignInLink(link, { jar: new Map() });
    expect(page.status).toBe(403);
    expect(await tokensOf(u)).toBeUndefined();
  });

  it('refuses Slack’s answer in a browser that did not start the check', async () => {
    const u = 'UDAVE';
    const link = await askForLink(u);
    slack.signInBrowserAs('UDAVE');
    const jar: CookieJar = new Map();
    const atVerify = await followSignInLink(link, { jar, stopAt: `${p.baseUrl}/oauth/verify` });
    expect(atVerify.stopped).toBe(true);
    // The /oauth/verify URL, carried to another browser, is refused there...
    const elsewhere = await followSignInLink(atVerify.url, { jar: new Map() });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.text).toContain('This check was started in another browser');
    // ...and still works once, in the browser that started it.
    const own = await followSignInLink(atVerify.url, { jar });
    expect(own.status).toBe(200);
    await surface.waitForText(u, /^alice$/);
  });
});

describe('Discord OAuth2 (identify) vouches for the browser’s user', () => {
  let stack: AuthStack;
  let discord: FakeDiscord;
  let p: ParleyProcess;
  const surface = new RecordingSurface('discord');
  const discordConv = (user: string): Conversation => ({
    platform: 'discord',
    workspace: 'G1',
    channel: 'C1',
    user: discord.userId(user),
  });

  beforeAll(async () => {
    discord = await startFakeDiscord();
    stack = await startAuthStack({ label: 'platform-identity-discord' });
    p = await stack.startProcess({
      surface,
      verifiers: [
        discordIdentityVerifier({
          applicationId: discord.applicationId,
          clientSecret: discord.clientSecret,
          apiUrl: discord.api,
        }),
      ],
    });
  });
  afterAll(async () => {
    await stack?.close();
    await discord?.close();
  });

  it('refuses a colleague signed in to Discord as someone else; the owner then signs in', async () => {
    const owner = discordConv('alice');
    await p.agent.message(owner, '/call demo__whoami {}');
    const link = (await surface.waitFor(owner.user, 'link')).url;
    expect(await (await fetch(link)).text()).toContain(`Discord user @${owner.user} (server G1)`);

    discord.signInBrowserAs('bob');
    stack.auth.setAutoApprove('bob');
    const colleague = await followSignInLink(link, { jar: new Map() });
    stack.auth.setAutoApprove('alice');
    expect(colleague.status).toBe(403);
    expect(colleague.text).toContain('This sign-in link is for someone else');
    expect(await p.signIn.vault.getTokens(identityKey(owner), 'demo')).toBeUndefined();

    discord.signInBrowserAs('alice');
    const own = await followSignInLink(link, { jar: new Map() });
    expect(own.status).toBe(200);
    await surface.waitForText(owner.user, /^alice$/);
    expect(discord.violations).toEqual([]);
  });
});
