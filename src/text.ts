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
  return `${cut}…`;
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

/** Typographic quotes (which chat apps insert) back to ASCII, so typed JSON still parses. */
export function straightenQuotes(text: string): string {
  return text.replace(/[“”]/g, '"').replace(/[‘’]/g, "'");
}
