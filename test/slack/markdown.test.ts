/**
 * Text as real models write it, on Slack: answers go out as a `markdown` block (within Slack's
 * limits, checked by the fake's validator) with a mrkdwn fallback, and the mrkdwn converter keeps
 * URLs and identifiers with underscores or parentheses intact.
 */
import { describe, expect, it } from 'vitest';
import { markdownMessage } from '../../adapters/slack/messages.js';
import { defuseMentions, markdownToMrkdwn } from '../../adapters/slack/mrkdwn.js';
import { checkMessage, checkView } from '../helpers/slack-limits.js';

const FORTH = 'https://en.wikipedia.org/wiki/Forth_(programming_language)';
const INIT = 'https://github.com/acme/tool/blob/main/tool/__init__.py';

describe('markdown blocks', () => {
  it('carry the model’s Markdown as written, with a mrkdwn fallback', () => {
    const md = `**Read** [Forth](${FORTH}) and \`${INIT}\`.`;
    const msg = markdownMessage(md);
    expect(msg.blocks).toEqual([{ type: 'markdown', text: md }]);
    expect(msg.text).toBe(`*Read* <${FORTH}|Forth> and \`${INIT}\`.`);
    expect(checkMessage(msg)).toEqual([]);
  });

  it('defuse Slack’s special mentions outside code only', () => {
    const md = 'Hey <!channel> and <@U123>\n`<!here>`\n```\n<!DOCTYPE html>\n```';
    expect(defuseMentions(md)).toBe(
      'Hey <\u2060!channel> and <\u2060@U123>\n`<!here>`\n```\n<!DOCTYPE html>\n```',
    );
    expect(markdownMessage(md).blocks).toEqual([{ type: 'markdown', text: defuseMentions(md) }]);
  });

  it('are held to Slack’s limits by the fake: 12,000 characters per message, messages only', () => {
    const block = (n: number) => ({ type: 'markdown', text: 'x'.repeat(n) });
    expect(checkMessage({ text: 'fallback', blocks: [block(12_000)] })).toEqual([]);
    expect(checkMessage({ text: 'fallback', blocks: [block(12_001)] })).toEqual([
      'message.blocks[0].text: text is 12001 chars, max 12000',
      'message.blocks: markdown blocks hold 12001 chars together, max 12000',
    ]);
    expect(checkMessage({ text: 'fallback', blocks: [block(7_000), block(7_000)] })).toEqual([
      'message.blocks: markdown blocks hold 14000 chars together, max 12000',
    ]);
    expect(checkMessage({ text: 'f', blocks: [{ type: 'markdown', text: '' }] })).toEqual([
      'message.blocks[0].text: text must be a non-empty string',
    ]);
    expect(checkMessage({ text: 'f', blocks: [{ type: 'markdown', text: 'x', elements: [] }] })).toEqual([
      'message.blocks[0].elements: not a markdown block field',
    ]);
    const modal = {
      type: 'modal',
      title: { type: 'plain_text', text: 'T' },
      blocks: [{ type: 'markdown', text: 'x' }],
    };
    expect(checkView(modal)).toContain('view.blocks[0]: markdown blocks belong in messages');
  });
});

describe('the mrkdwn fallback', () => {
  it('never makes `__` inside a URL or an identifier bold, and keeps the link whole', () => {
    expect(markdownToMrkdwn(`See ${INIT} and my__private__var.`)).toBe(`See <${INIT}> and my__private__var.`);
    expect(markdownToMrkdwn(`[the module](${INIT}) and __real bold__`)).toBe(
      `<${INIT}|the module> and *real bold*`,
    );
  });

  it('keeps parentheses that belong to a URL, in links and bare', () => {
    expect(markdownToMrkdwn(`[Forth](${FORTH})`)).toBe(`<${FORTH}|Forth>`);
    expect(markdownToMrkdwn(`[Forth](${FORTH} "the language")`)).toBe(`<${FORTH}|Forth>`);
    expect(markdownToMrkdwn(`Read ${FORTH}.`)).toBe(`Read <${FORTH}>.`);
    expect(markdownToMrkdwn(`(see ${FORTH})`)).toBe(`(see <${FORTH}>)`);
  });
});
