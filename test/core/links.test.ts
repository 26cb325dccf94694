/**
 * Text from servers, tools and the model can't ping a channel or disguise a link, and a URL
 * elicitation's consent message is never a link, on Slack, Discord and the console.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleAdapter } from '../../adapters/console/console.js';
import { consentMessage } from '../../adapters/discord/render.js';
import { linkMessage } from '../../adapters/slack/messages.js';
import { markdownToMrkdwn } from '../../adapters/slack/mrkdwn.js';
import type { ParleyInbound } from '../../src/inbound.js';
import type { LinkView } from '../../src/surface.js';
import { disguisedLink, honestLinks, hostNamedBy, unlinked } from '../../src/text.js';
import { checkMessage } from '../helpers/slack-limits.js';

describe('Slack: control sequences inside code are escaped too', () => {
  it.each([
    ['`<!channel>` now', '`&lt;!channel&gt;` now'],
    ['see `<@U123ABC>` and `<#C42|general>`', 'see `&lt;@U123ABC&gt;` and `&lt;#C42|general&gt;`'],
    ['```\n<!here> <!subteam^S1> a && b\n```', '```\n&lt;!here&gt; &lt;!subteam^S1&gt; a &amp;&amp; b\n```'],
    ['| a | <!everyone> |\n| - | - |', '```\n| a | &lt;!everyone&gt; |\n| - | - |\n```'],
    ['<!channel> outside', '&lt;!channel&gt; outside'],
  ])('%j → %j', (markdown, mrkdwn) => {
    expect(markdownToMrkdwn(markdown)).toBe(mrkdwn);
  });
});

describe('a link whose words name another host shows its real host', () => {
  it.each([
    ['[https://bank.example](https://evil.test/login)', '<https://evil.test/login|evil.test>'],
    ['[bank.example/login](https://evil.test/x)', '<https://evil.test/x|evil.test>'],
    [
      '[https://bank.example@evil.test](https://evil.test)',
      '<https://evil.test|https://bank.example@evil.test>',
    ],
    ['[www.example.com](https://example.com/a)', '<https://example.com/a|www.example.com>'],
    [
      '[docs.example.com](https://docs.example.com:8443/x)',
      '<https://docs.example.com:8443/x|docs.example.com>',
    ],
    ['[the docs](https://evil.test)', '<https://evil.test|the docs>'],
  ])('%s → %s', (markdown, mrkdwn) => {
    expect(markdownToMrkdwn(markdown)).toBe(mrkdwn);
  });

  it('in standard Markdown too (for surfaces that render it), leaving code as written', () => {
    expect(
      honestLinks('[https://bank.example](https://evil.test/x "t") and `[bank.example](https://evil.test)`'),
    ).toBe('[evil.test](https://evil.test/x "t") and `[bank.example](https://evil.test)`');
    expect(
      honestLinks('```\n[bank.example](https://evil.test)\n```\n[wiki.test](https://wiki.test/a_(b))'),
    ).toBe('```\n[bank.example](https://evil.test)\n```\n[wiki.test](https://wiki.test/a_(b))');
  });

  it('reads hosts from link words the way a person would', () => {
    expect(hostNamedBy('HTTPS://WWW.Bank.Example/x')).toBe('bank.example');
    expect(hostNamedBy('Node.js')).toBe('node.js');
    expect(hostNamedBy('version 1.2')).toBeUndefined();
    expect(disguisedLink('bank.example', 'not a url')).toBe(true);
    expect(disguisedLink('click here', 'https://evil.test')).toBe(false);
  });
});

const consent: LinkView = {
  id: 'AAAAAAAAAAAAAAAAAAAAAA',
  url: 'https://evil.test/pay?x=1',
  host: 'evil.test',
  message:
    'Approve at [your bank](https://evil.test/pay) or https://evil.test/pay, see <https://evil.test|bank.example>.',
  origin: 'demo · pay',
  purpose: 'consent',
  expiresAt: Date.now() + 600_000,
};
const UNLINKED = 'Approve at your bank or evil[.]test/pay, see bank[.]example.';

describe('a URL elicitation’s consent message is never a link', () => {
  it('text: words stay, links and domains go', () => {
    expect(unlinked(consent.message)).toBe(UNLINKED);
  });

  it('Slack: no link in the text, and no auto-linking (verbatim); the button is the only way', () => {
    const m = linkMessage(consent, consent.url);
    expect(checkMessage(m)).toEqual([]);
    const section = m.blocks[0] as { text: { text: string; verbatim?: boolean } };
    expect(section.text.text).toBe(`🔗 *Link* · demo · pay\n${UNLINKED}`);
    expect(section.text.verbatim).toBe(true);
    expect(m.text).toBe(`demo · pay: ${UNLINKED}`);
    // Other links' messages keep their Markdown links.
    const retry = linkMessage({ ...consent, purpose: 'retry' }, consent.url);
    expect((retry.blocks[0] as { text: { text: string } }).text.text).toContain(
      '<https://evil.test/pay|your bank>',
    );
  });

  it('Discord: in a DM the URL shows only as code; in a channel not at all', () => {
    expect(consentMessage(consent, undefined).content).toBe(
      `🔗 **demo · pay** wants you to open a page on **evil.test**.\n${UNLINKED}\n\`https://evil.test/pay?x=1\``,
    );
    expect(consentMessage(consent, '<@1>').content).toBe(
      '🔗 **demo · pay** wants you to open a page on **evil.test**.\nApprove at your bank or 🔒 (private link), see bank[.]example.\n-# For <@1> only.',
    );
  });

  it('console: the URL is shown only after the person says yes', async () => {
    const answers: string[] = [];
    const agent = {
      receive: async (_id: string, _a: unknown, answer: { action: string }) => {
        answers.push(answer.action);
        return { ok: true, deliver: async () => ({ ok: true }) };
      },
      whenIdle: async () => undefined,
      message: async () => undefined,
    } as unknown as ParleyInbound & { whenIdle(): Promise<void> };
    const run = async (reply: string) => {
      const input = new PassThrough();
      const output = new PassThrough();
      let printed = '';
      output.on('data', (d) => {
        printed += String(d);
      });
      const chat = new ConsoleAdapter({ agent, input, output, echoInput: false });
      await chat.post(chat.conversation, { kind: 'link', view: consent });
      input.end(`${reply}\n`);
      await chat.run();
      return printed;
    };
    const declined = await run('n');
    expect(declined).toContain(`demo · pay: ${UNLINKED}\n   Host: evil.test\n`);
    expect(declined).not.toContain('https://');
    expect(await run('y')).toContain('Open it in your browser: https://evil.test/pay?x=1');
    expect(answers).toEqual(['decline', 'open']);
  });
});
