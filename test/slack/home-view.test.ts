/**
 * The App Home's Block Kit, on its own: the fullest home the core can describe stays inside
 * Slack's limits for home views (100 blocks, text lengths, ids), lists are capped with a line
 * saying how many more, and server-given text can't ping anyone. And the fake Slack's validator
 * itself refuses what Slack refuses in home views and feedback buttons.
 */
import { describe, expect, it } from 'vitest';
import { feedbackBlock } from '../../adapters/slack/feedback.js';
import { HOME_ACTION, HOME_BLOCKS, homeView } from '../../adapters/slack/home-view.js';
import type { HomeInteraction, HomeModel } from '../../src/inbound.js';
import { blockTexts } from '../helpers/fake-slack.js';
import { checkHomeView, checkMessage } from '../helpers/slack-limits.js';

const long = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
const conversation = { platform: 'slack', workspace: 'T1', channel: 'C1', user: 'U1' };
const later = Date.now() + 10 * 60_000;

function open(i: number): HomeInteraction {
  const base = { id: `id${String(i).padStart(20, '0')}`, origin: long('srv · tool ', 300), expiresAt: later };
  if (i % 3 === 0)
    return {
      conversation,
      interaction: {
        kind: 'form',
        view: { ...base, form: { title: long('A form title ', 400), message: '', fields: [] } },
      },
    };
  if (i % 3 === 1)
    return {
      conversation: { ...conversation, channel: 'DU1' },
      interaction: { kind: 'confirm', view: { ...base, title: long('Delete it ', 500), message: 'Sure?' } },
    };
  return {
    conversation,
    interaction: {
      kind: 'link',
      view: {
        ...base,
        url: `https://example.com/${'p'.repeat(200)}`,
        host: 'example.com',
        message: 'Open it',
        purpose: i % 2 === 0 ? 'retry' : 'consent',
      },
    },
  };
}

function fullest(): HomeModel {
  return {
    servers: Array.from({ length: 40 }, (_, i) => ({
      name: `s${i}`,
      title: i === 0 ? '<!channel> pwned & co' : long('Server ', 200),
      status: (['up', 'unreachable', 'needs_sign_in'] as const)[i % 3] as 'up',
      tools: 3,
      detail: long('It is down. ', 4000),
    })),
    signIns: Array.from({ length: 30 }, (_, i) => ({
      server: `s${i}`,
      title: long('Sign-in server ', 300),
      state: (['signed_in', 'waiting', 'signed_out'] as const)[i % 3] as 'signed_in',
      scope: long('scope:read ', 3000),
    })),
    open: Array.from({ length: 15 }, (_, i) => open(i)),
    moreOpen: 7,
  };
}

describe('the App Home view', () => {
  it('stays inside Slack’s limits for the fullest home, and says how much it left out', () => {
    const view = homeView(fullest());
    expect(checkHomeView(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_BLOCKS);
    const text = blockTexts(view.blocks).join('\n');
    expect(text).toMatch(/…and 15 more servers\./);
    expect(text).toMatch(/…and 10 more servers with sign-in\./);
    expect(text).toMatch(/…and 7 more, in the conversations they were asked in\./);
    // A server's title is shown, never acted on: no channel-wide ping.
    expect(text).toContain('&lt;!channel&gt; pwned &amp; co');
    expect(text).not.toContain('<!channel>');
  });

  it('offers Sign in, Sign out or the link again, by the person’s sign-in state', () => {
    const view = homeView({
      servers: [],
      signIns: [
        { server: 'a', title: 'A', state: 'signed_in' },
        { server: 'b', title: 'B', state: 'waiting' },
        { server: 'c', title: 'C', state: 'signed_out' },
      ],
      open: [],
      moreOpen: 0,
    });
    const accessories = (view.blocks as unknown as Array<Record<string, unknown>>).flatMap((b) => {
      const a = b.accessory as { action_id?: string; value?: string } | undefined;
      return a ? [`${a.action_id}:${a.value}`] : [];
    });
    expect(accessories).toEqual([
      `${HOME_ACTION.signOut}:a`,
      `${HOME_ACTION.signIn}:b`,
      `${HOME_ACTION.signIn}:c`,
    ]);
    expect(blockTexts(view.blocks).join('\n')).toMatch(/No MCP servers are configured/);
  });
});

describe('the fake Slack’s validator', () => {
  it('refuses home views Slack refuses', () => {
    const section = { type: 'section', text: { type: 'mrkdwn', text: 'x' } };
    expect(checkHomeView({ type: 'home', blocks: Array(101).fill(section) })).toContainEqual(
      expect.stringMatching(/101 blocks, max 100/),
    );
    expect(checkHomeView({ type: 'modal', blocks: [] })).toContainEqual(
      expect.stringMatching(/must be home/),
    );
    expect(
      checkHomeView({ type: 'home', title: { type: 'plain_text', text: 'x' }, blocks: [] }),
    ).toContainEqual(expect.stringMatching(/title: not a home tab field/));
    expect(checkHomeView({ type: 'home', blocks: [{ type: 'markdown', text: 'x' }] })).toContainEqual(
      expect.stringMatching(/markdown blocks belong in messages/),
    );
    expect(checkHomeView({ type: 'home', blocks: [feedbackBlock('a1234567890123456')] })).toContainEqual(
      expect.stringMatching(/context_actions blocks belong in messages/),
    );
    expect(checkHomeView({ type: 'home', callback_id: 'c'.repeat(256), blocks: [] })).toContainEqual(
      expect.stringMatching(/callback_id/),
    );
  });

  it('checks feedback buttons: plain text ≤ 75, value ≤ 2,000, label ≤ 75, at most 5 elements', () => {
    const ok = feedbackBlock('a1234567890123456');
    expect(checkMessage({ text: 'x', blocks: [ok] })).toEqual([]);
    const element = ok.elements[0] as unknown as Record<string, Record<string, unknown>>;
    const bad = {
      type: 'context_actions',
      elements: [
        {
          ...element,
          positive_button: { text: { type: 'mrkdwn', text: 'y' }, value: 'v'.repeat(2001) },
          negative_button: {
            text: { type: 'plain_text', text: 'n' },
            value: 'v',
            accessibility_label: 'l'.repeat(76),
          },
        },
      ],
    };
    const problems = checkMessage({ text: 'x', blocks: [bad] });
    expect(problems).toContainEqual(expect.stringMatching(/positive_button\.text: must be plain_text/));
    expect(problems).toContainEqual(expect.stringMatching(/positive_button\.value: is 2001 chars/));
    expect(problems).toContainEqual(expect.stringMatching(/negative_button\.accessibility_label/));
    const six = { type: 'context_actions', elements: Array(6).fill(element) };
    expect(checkMessage({ text: 'x', blocks: [six] })).toContainEqual(expect.stringMatching(/1–5 elements/));
  });
});
