/**
 * Markdown (what the LLM and the core write) to Slack mrkdwn, and Slack's limit for a message's
 * text (long text is split with the shared `splitText`). Code spans and fences are left exactly as written; everything else gets Slack's
 * escaping (`&`, `<`, `>`) so a model can't produce a mention or a broken link by accident.
 */

/** Slack's recommended ceiling for a message's `text` (it truncates past 40,000). */
export const MESSAGE_TEXT_LIMIT = 3_900;

const FENCE = /^\s*(```|~~~)/;

/** Converts one line of prose (no code fences) from Markdown to mrkdwn. */
function convertInline(line: string): string {
  // Split out inline code first: its content must not be touched.
  const parts = line.split(/(`[^`\n]+`)/);
  return parts
    .map((part, i) => {
      // Code shows as written, but Slack still reads <!channel> and <@U…> inside it: escape them.
      if (i % 2 === 1) return escapeMrkdwn(part);
      let s = escapeMrkdwn(part);
      // Links and images: [text](url) → <url|text>. Parked behind a private-use placeholder while
      // emphasis is converted, since URLs may contain `_` or `*`.
      const links: string[] = [];
      s = s.replace(/!?\[([^\]\n]*)\]\((\S+?)(?:\s+"[^"]*")?\)/g, (_m, text: string, url: string) => {
        links.push(text.trim() ? `<${url}|${text.replace(/\|/g, '¦')}>` : `<${url}>`);
        return `\uE000${links.length - 1}\uE000`;
      });
      // Bold: **x** / __x__ → *x*. A single *x* is left alone: the core writes Slack-style bold with
      // it, and in LLM Markdown it is italics — showing it bold is the smaller loss.
      s = s.replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, '*$1*');
      s = s.replace(/__(?=\S)(.+?)(?<=\S)__/g, '*$1*');
      s = s.replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '~$1~');
      s = s.replace(/\uE000(\d+)\uE000/g, (_m, n: string) => links[Number(n)] ?? '');
      return s;
    })
    .join('');
}

/** Slack's escaping for text that must show as written: `&`, `<` and `>`. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

import { honestLinks } from '../../src/text.js';

/** Converts Markdown to Slack mrkdwn. */
export function markdownToMrkdwn(markdown: string): string {
  const out: string[] = [];
  let inFence = false;
  let inTable = false;
  // Links whose words name another host show their real one; code is escaped like prose below.
  for (const raw of honestLinks(markdown).replace(/\r\n?/g, '\n').split('\n')) {
    if (FENCE.test(raw)) {
      if (inTable) {
        out.push('```');
        inTable = false;
      }
      inFence = !inFence;
      // A bare fence either way: Slack ignores a language tag and would show it as text.
      out.push('```');
      continue;
    }
    if (inFence) {
      out.push(escapeMrkdwn(raw));
      continue;
    }
    // Tables have no mrkdwn form: keep them aligned in a code block.
    const isTableRow = /^\s*\|.*\|\s*$/.test(raw);
    if (isTableRow && !inTable) {
      out.push('```');
      inTable = true;
    } else if (!isTableRow && inTable) {
      out.push('```');
      inTable = false;
    }
    if (inTable) {
      out.push(escapeMrkdwn(raw));
      continue;
    }
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (heading) {
      out.push(`*${convertInline(heading[1] ?? '').replace(/\*/g, '')}*`);
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(raw)) {
      out.push('──────────');
      continue;
    }
    const quote = /^(\s*)>\s?(.*)$/.exec(raw);
    if (quote) {
      out.push(`>${convertInline(quote[2] ?? '')}`);
      continue;
    }
    const bullet = /^(\s*)[-*+]\s+(?:\[([ xX])\]\s+)?(.*)$/.exec(raw);
    if (bullet) {
      const depth = Math.floor((bullet[1] ?? '').replace(/\t/g, '  ').length / 2);
      const box = bullet[2] === undefined ? '' : bullet[2] === ' ' ? '☐ ' : '☑ ';
      out.push(`${'    '.repeat(depth)}• ${box}${convertInline(bullet[3] ?? '')}`);
      continue;
    }
    out.push(convertInline(raw));
  }
  if (inFence || inTable) out.push('```');
  return out.join('\n');
}
