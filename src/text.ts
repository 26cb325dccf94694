/**
 * Small text and link helpers shared by the core and every adapter, so each platform clips,
 * names hosts and vets links the same way.
 */

/**
 * Shortens `text` to at most `max` UTF-16 units (what platform limits count, or more) with an
 * ellipsis, never splitting a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/** True for an absolute http(s) URL: the only links Parley shows or follows. */
export function safeUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The host (with port) a person sees next to a link; empty for something that isn't a URL. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** A domain: labels and a final label of 2+ letters, ending the word or followed by a path. */
const DOMAIN = /^(?:[^\s/?#@:.]+\.)+\p{L}{2,}\.?(?=$|[:/?#])/iu;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The host a link's visible words name when they read like a URL or a domain ("docs.example.com/x",
 * "https://user@example.com"), lower-cased without "www."; undefined for ordinary words ("the docs").
 */
export function hostNamedBy(text: string): string | undefined {
  const t = text.trim();
  if (SCHEME.test(t)) {
    const host = hostOf(t);
    return host ? bareHost(host) : undefined;
  }
  if (!DOMAIN.test(t)) return undefined;
  const host = hostOf(`https://${t}`);
  return host ? bareHost(host) : undefined;
}

const bareHost = (host: string) =>
  host
    .toLowerCase()
    .replace(/^www\./, '')
    .replace(/\.$/, '');

/**
 * True when a link's words name one host and it opens another ("[https://bank.example](https://evil.test)"):
 * such a link must be shown with its real host. Ports and a leading "www." don't count as different.
 */
export function disguisedLink(text: string, url: string): boolean {
  const named = hostNamedBy(text);
  if (named === undefined) return false;
  let real: string;
  try {
    real = bareHost(new URL(url).hostname);
  } catch {
    return true;
  }
  return named.replace(/:\d+$/, '') !== real;
}

/**
 * Markdown with every link whose words name another host than it opens rewritten to show the real
 * host: `[https://bank.example](https://evil.test/x)` → `[evil.test](https://evil.test/x)`. Code
 * spans and fences are left as written. For any surface that renders Markdown links.
 */
export function honestLinks(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
      if (inFence || !line.includes('](')) return line;
      return line
        .split(/(`[^`\n]+`)/)
        .map((part, i) =>
          i % 2 === 1
            ? part
            : part.replace(
                /(!?\[)([^\]\n]*)(\]\()((?:[^\s()]|\([^\s()]*\))+)((?:\s+"[^"]*")?\))/g,
                (m, open: string, words: string, mid: string, url: string, close: string) =>
                  disguisedLink(words, url) ? `${open}${hostOf(url) || url}${mid}${url}${close}` : m,
              ),
        )
        .join('');
    })
    .join('\n');
}

/**
 * Text no chat client or terminal will make clickable, for a message whose link may only be opened
 * through its consent button (URL-mode elicitation): Markdown links keep only their words, and
 * every URL or domain loses its scheme and shows its dots as "[.]" ("https://evil.test/x" →
 * "evil[.]test/x"), the usual way to show a link without offering it. `hide`, when given, replaces
 * each URL whole instead (a link private to one person, in a message others see).
 */
export function unlinked(text: string, hide?: (url: string) => string): string {
  return (
    text
      .replace(/!?\[([^\]\n]*)\]\(([^)\s]*)[^)]*\)/g, (_m, words: string) => words)
      .replace(
        /<([a-z][a-z0-9+.-]*:[^>|\s]*)(?:\|([^>]*))?>/gi,
        (_m, url: string, words?: string) => words ?? url,
      )
      // A URL ends before trailing punctuation ("see https://x.test/a, then").
      .replace(/[a-z][a-z0-9+.-]*:\/\/(?:[^\s<>"'`]*[^\s<>"'`,.;:!?)])?/gi, (url) =>
        hide ? hide(url) : url.replace(SCHEME, ''),
      )
      .replace(/(?:[^\s/?#@:.<>()[\]"'`]+\.)+\p{L}{2,}(?![^\s/?#:)\]>"'`,;!.])/gu, (d) =>
        d.replace(/\./g, '[.]'),
      )
  );
}

/**
 * JSON a person typed in a chat app that turned its quotes typographic: when it doesn't parse as
 * typed, curly double quotes become straight ones. Anything that parses — and every apostrophe
 * inside a value — is left exactly as typed.
 */
export function repairTypedJson(text: string): string {
  try {
    JSON.parse(text);
    return text;
  } catch {
    return text.replace(/[“”]/g, '"');
  }
}

const FENCE_LINE = /^\s*```/;

/**
 * Splits `text` into parts of at most `limit` UTF-16 units, at the most natural break available
 * (paragraph, line, word; a hard cut when none is in reach, never inside a surrogate pair). A code
 * fence cut in two is closed at the end of one part and reopened, with its language line, at the
 * start of the next, so every part renders on its own. Whitespace at the cuts is dropped; nothing
 * else is lost. Meant for message limits (thousands of units), not tiny ones.
 */
export function splitText(text: string, limit: number): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let rest = text;
  /** The fence line still open where the last part ended, e.g. "```ts"; '' when none is. */
  let reopen = '';
  while (rest.length > 0) {
    const prefix = reopen ? `${reopen}\n` : '';
    if (prefix.length + rest.length <= limit) {
      parts.push(prefix + rest);
      break;
    }
    // Room for the prefix and, in case the cut lands inside a code block, a closing fence.
    const room = limit - prefix.length - 4;
    const cut = breakPoint(rest, room);
    let chunk = rest.slice(0, cut).trimEnd();
    // The break itself goes (blank lines included); the next line keeps its indentation.
    rest = rest.slice(cut).replace(/^\s*\n/, '');
    const open = openFence(reopen, chunk);
    if (open) chunk = `${chunk}\n\`\`\``;
    parts.push(prefix + chunk);
    // A long info string would eat the next part's room: reopen it as a plain fence then.
    reopen = open === undefined ? '' : open.length <= 32 ? open : '```';
  }
  return parts;
}

/** The best place to cut `text` at or before `room` units. */
function breakPoint(text: string, room: number): number {
  const window = text.slice(0, room + 1);
  for (const sep of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(sep);
    // A break in the first third would leave tiny parts; cut harder instead.
    if (at > room / 3) return at + (sep === ' ' ? 1 : 0);
  }
  return /[\uD800-\uDBFF]/.test(text.charAt(room - 1)) ? room - 1 : room;
}

/**
 * The fence line (e.g. "```ts") still open at the end of `chunk`, given the fence `carried` in
 * from the previous part, or undefined when every fence is closed.
 */
function openFence(carried: string, chunk: string): string | undefined {
  let open: string | undefined = carried || undefined;
  for (const line of chunk.split('\n')) {
    if (!FENCE_LINE.test(line)) continue;
    open = open ? undefined : line.trim();
  }
  return open;
}

/**
 * A person's turn about someone's message ("Ask Parley about this", a message shortcut or
 * context-menu command): the message quoted as context, its first 3,500 characters.
 */
export function askAboutText(content: string): string {
  const quoted = truncate(content.trim() || '(a message without text)', 3_500)
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
  return `Please help me with this message:\n\n${quoted}`;
}
