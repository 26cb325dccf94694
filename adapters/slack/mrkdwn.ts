/**
 * Markdown (what the LLM and the core write) to Slack mrkdwn, and splitting long text at Slack's
 * limits. Code spans and fences are left exactly as written; everything else gets Slack's
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
      if (i % 2 === 1) return part;
      let s = escapeText(part);
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

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Converts Markdown to Slack mrkdwn. */
export function markdownToMrkdwn(markdown: string): string {
  const out: string[] = [];
  let inFence = false;
  let inTable = false;
  for (const raw of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    if (FENCE.test(raw)) {
      if (inTable) {
        out.push('```');
        inTable = false;
      }
      inFence = !inFence;
      // Slack ignores the language tag and would show it as text.
      out.push(inFence ? '```' : '```');
      continue;
    }
    if (inFence) {
      out.push(raw);
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
      out.push(raw);
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
 * Splits text into chunks of at most `limit` characters: at paragraph breaks, then line breaks,
 * then spaces; a code fence cut in two is closed and reopened so both halves render as code.
 */
export function splitText(text: string, limit = MESSAGE_TEXT_LIMIT): string[] {
  if (text.length <= limit) return [text];
  const chunks: string[] = [];
  let rest = text;
  let reopenFence = false;
  while (rest.length > 0) {
    const prefix: string = reopenFence ? '```\n' : '';
    const room = limit - prefix.length - 4; // leaves space to close a fence
    if (prefix.length + rest.length <= limit) {
      chunks.push(prefix + rest);
      break;
    }
    let cut = findCut(rest, room);
    if (cut <= 0) cut = room;
    let chunk: string = prefix + rest.slice(0, cut).replace(/\s+$/, '');
    rest = rest.slice(cut).replace(/^\n+/, '');
    const fences: number = (chunk.match(/^\s*```/gm) ?? []).length;
    reopenFence = fences % 2 === 1;
    if (reopenFence) chunk += '\n```';
    chunks.push(chunk);
  }
  return chunks;
}

function findCut(text: string, room: number): number {
  const window = text.slice(0, room);
  for (const sep of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(sep);
    // Only accept a break in the second half, so chunks don't get tiny.
    if (at > room / 2) return at + sep.length;
  }
  return room;
}

/** Cuts text to `max` characters with an ellipsis (Slack rejects over-long fields outright). */
export function clip(text: string, max: number): string {
  // Counted in UTF-16 units, which is never fewer than what Slack counts.
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1).trimEnd();
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
