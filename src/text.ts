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
