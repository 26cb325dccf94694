/**
 * Markdown for the terminal. The core writes its sentences in Markdown (`**bold**`, `` `code` ``,
 * lists); the console renders them with marked + marked-terminal instead of printing the markers.
 * Colours only go to a terminal: piped output (a script, a test) gets the same text without them.
 */
import { stripVTControlCharacters } from 'node:util';
import { Marked, type Tokens } from 'marked';
import { markedTerminal } from 'marked-terminal';

const marked = new Marked(
  // reflowText off: the terminal wraps by itself, and URLs stay whole for copying.
  markedTerminal({ reflowText: false, tab: 2, emoji: false }) as Parameters<Marked['use']>[0],
  {
    gfm: true,
    // The core separates lines with single newlines ("•" lists, a result's lines): keep them.
    breaks: true,
    renderer: {
      // marked-terminal leaves inline Markdown inside list items unrendered with marked ≥ 13
      // (mikaelbr/marked-terminal#304): render a block's inline tokens here instead.
      text(token: Tokens.Text | Tokens.Escape) {
        if ('tokens' in token && token.tokens) return this.parser.parseInline(token.tokens);
        return false;
      },
      // A bare address or link (GFM autolink) stays as typed, not "a@b.c (mailto:a@b.c)".
      link(token: Tokens.Link) {
        if (token.text === token.href.replace(/^mailto:/, '')) return token.text;
        return false;
      },
    },
  },
);

/**
 * Renders `text` (Markdown) for a terminal. `color` false strips the escape codes (the output is
 * not a terminal). Never throws: text marked can't read is returned as it came.
 */
export function renderMarkdown(text: string, color: boolean): string {
  let out: string;
  try {
    out = marked.parse(text, { async: false }) as string;
  } catch {
    return text;
  }
  out = out.replace(/\n+$/, '');
  return color ? out : stripVTControlCharacters(out);
}
