/**
 * Sign-in from Slack, end to end: a tool on an OAuth server asks the person to sign in; the core
 * posts a sign-in link, which Slack shows privately (ephemeral, with the host) in the thread; the
 * person signs in at the real demo auth server, Parley's /oauth/callback resumes the call, and the
 * link's message is rewritten so no dead button stays behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../adapters/slack/messages.js';
import { followSignInLink } from '../../src/auth/index.js';
import { type AuthStack, type ParleyProcess, startAuthStack } from '../helpers/auth-stack.js';
import { actionElement, SlackRig } from '../helpers/slack-rig.js';

let stack: AuthStack;
let proc: ParleyProcess;
let rig: SlackRig;

beforeAll(async () => {
  stack = await startAuthStack({ label: 'slack-signin' });
  proc = await stack.startProcess();
  rig = await SlackRig.start({
    mode: 'socket',
    servers: [stack.server],
    store: proc.store,
    existing: { agent: proc.agent, http: proc.http, baseUrl: proc.baseUrl },
  });
});
afterAll(async () => {
  await rig?.close();
  await stack?.close();
});
afterEach(() => {
  expect(rig.slack.violations).toEqual([]);
});

describe('Slack sign-in', () => {
  it('shows the sign-in link only to the person, then carries on after the callback', async () => {
    const u = 'USIGNIN1';
    const { ts } = await rig.mention(u, '/call demo__whoami {}', 'CSIGNIN');
    const link = await rig.waitForMessageWith(u, ACTION.linkOpen);
    expect(link.ephemeralTo).toBe(u);
    expect(link.threadTs).toBe(ts);
    const button = actionElement(link, ACTION.linkOpen);
    expect((button.text as { text: string }).text).toBe(`Open ${new URL(stack.auth.url).host}`);
    expect(JSON.stringify(link.blocks)).not.toContain(ACTION.linkDone);
    // Pressing a sign-in link opens the browser; it answers nothing by itself.
    await rig.slack.click(u, link, ACTION.linkOpen);
    expect((await followSignInLink(String(button.url))).status).toBe(200);
    await rig.waitForText(u, /You’re signed in to \*\*Parley demo\*\*/);
    await rig.waitForText(u, /^alice$/m);
    await expect.poll(() => link.text).toMatch(/Done/);
    expect(link.blocks.some((b) => b.type === 'actions')).toBe(false);
    // Nobody else in the channel saw the link.
    expect(rig.slack.visibleTo('USOMEONE', (m) => m.ts === link.ts)).toEqual([]);
  });

  it('/parley login and whoami answer privately', async () => {
    const u = 'USIGNIN2';
    await rig.slack.command(u, 'CSIGNIN', 'login demo');
    const link = await rig.waitForMessageWith(u, ACTION.linkOpen);
    expect(link.ephemeralTo).toBe(u);
    await rig.slack.command(u, 'CSIGNIN', 'whoami');
    await rig.waitForText(u, /sign-in link is waiting for you/);
  });
});
