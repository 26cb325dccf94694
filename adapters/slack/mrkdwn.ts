/**
 * Markdown (what the LLM and the core write) to Slack mrkdwn, for the places that can't take a
 * `markdown` block: a message's plain `text` fallback (notifications, old clients), progress
 * lines and ephemeral notices. Model answers themselves go out as `markdown` blocks (messages.ts).
 * Code spans and fences are left exactly as written; everything else gets Slack's escaping
 * (`&`, `<`, `>`) so a model can't produce a mention or a broken link by accident.
 */
import { honestLinks } from '../../src/text.js';

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
      // Links, images and bare URLs are parked behind a private-use placeholder while emphasis is
      // converted: URLs often hold `_` or `*` (`__init__.py`), which must stay as written.
      const links: string[] = [];
      const park = (link: string) => {
        links.push(link);
        return `\uE000${links.length - 1}\uE000`;
      };
      // [text](url "title") → <url|text>. The URL may hold balanced parentheses
      // (`…/wiki/Forth_(programming_language)`), as CommonMark allows.
      s = s.replace(
        /!?\[([^\]\n]*)\]\(((?:[^\s()]|\([^\s()]*\))+)(?:\s+"[^"]*")?\)/g,
        (_m, text: string, url: string) =>
          park(text.trim() ? `<${url}|${text.replace(/\|/g, '¦')}>` : `<${url}>`),
      );
      // Bare URLs (GFM autolinks): balanced parentheses kept, trailing punctuation left outside.
      s = s.replace(/\bhttps?:\/\/(?:[^\s()<>\uE000]|\([^\s()<>]*\))+/g, (url: string) => {
        const trail = /[.,:;!?'"]+$/.exec(url)?.[0] ?? '';
        return park(`<${url.slice(0, url.length - trail.length)}>`) + trail;
      });
      // Bold: **x** / __x__ → *x*. A single *x* is left alone: the core writes Slack-style bold with
      // it, and in LLM Markdown it is italics — showing it bold is the smaller loss. Underscores
      // inside a word never emphasise (CommonMark: `my__private__var` is plain text).
      s = s.replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, '*$1*');
      s = s.replace(/(?<![\p{L}\p{N}_])__(?=\S)(.+?)(?<=\S)__(?![\p{L}\p{N}_])/gu, '*$1*');
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

/**
 * Markdown for a `markdown` block with Slack's special tokens (`<!here>`, `<!channel>`, `<@U…>`,
 * `<#C…>`) broken by a word joiner (U+2060, invisible), outside code, where Slack shows code as
 * written. Everything else is left as the model wrote it: Slack renders the Markdown.
 */
export function defuseMentions(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (FENCE.test(line)) {
        inFence = !inFence;
        return line;
      }
      if (inFence) return line;
      return line
        .split(/(`[^`\n]+`)/)
        .map((part, i) => (i % 2 === 1 ? part : part.replace(/<([!@#])/g, '<\u2060$1')))
        .join('');
    })
    .join('\n');
}
