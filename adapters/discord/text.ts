/**
 * Text for Discord: long answers split into messages of at most 2,000 characters, at the most
 * natural break available (paragraph, line, word), with code fences closed at the end of a part
 * and reopened at the start of the next, so every part renders on its own.
 */

/** Discord's limit on a message's `content`. */
export const MESSAGE_LIMIT = 2000;

const FENCE = /^\s*```/;

/** Splits `text` into parts of at most `limit` characters; never returns an empty list. */
export function splitMessage(text: string, limit = MESSAGE_LIMIT): string[] {
  const trimmed = text.trim();
  if (trimmed.length <= limit) return [trimmed || '\u200b'];
  const parts: string[] = [];
  let rest = trimmed;
  let reopen = '';
  while (rest.length > 0) {
    const prefix = reopen ? `${reopen}\n` : '';
    // Room for the prefix and, in case the cut lands inside a code block, a closing fence.
    const room = limit - prefix.length - 4;
    if (prefix.length + rest.length <= limit) {
      parts.push(prefix + rest);
      break;
    }
    const cut = breakPoint(rest, room);
    let chunk = rest.slice(0, cut).trimEnd();
    rest = rest
      .slice(cut)
      .replace(/^\s*\n/, '')
      .trimStart();
    const open = openFence(reopen, chunk);
    if (open) chunk = `${chunk}\n\`\`\``;
    parts.push(prefix + chunk);
    reopen = open ?? '';
  }
  return parts;
}

/** The best place to cut `text` at or before `room` characters. */
function breakPoint(text: string, room: number): number {
  const window = text.slice(0, room + 1);
  for (const sep of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(sep);
    // A break in the first third would leave tiny parts; cut harder instead.
    if (at > room / 3) return at + (sep === ' ' ? 1 : 0);
  }
  return room;
}

/**
 * The fence line (e.g. "```ts") still open at the end of `chunk`, given the fence `carried` in
 * from the previous part, or undefined when every fence is closed.
 */
function openFence(carried: string, chunk: string): string | undefined {
  let open: string | undefined = carried || undefined;
  for (const line of chunk.split('\n')) {
    if (!FENCE.test(line)) continue;
    open = open ? undefined : line.trim();
  }
  return open;
}

/** Shortens a display string (title, label) to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Shortens message text to `max` characters, keeping its line breaks. */
export function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
