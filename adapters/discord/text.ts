/**
 * Text for Discord: long answers split into messages of at most 2,000 characters (the shared
 * `splitText`, which closes and reopens code fences at the cuts), and display strings clipped.
 */
import { splitText, truncate } from '../../src/text.js';

/** Discord's limit on a message's `content`. */
const MESSAGE_LIMIT = 2000;

/** Splits `text` into messages; never returns an empty list (Discord refuses empty content). */
export function splitMessage(text: string): string[] {
  return splitText(text.trim() || '\u200b', MESSAGE_LIMIT);
}

/** Shortens a display string (title, label) to `max` characters on one line, with an ellipsis. */
export function clip(text: string, max: number): string {
  return truncate(text.replace(/\s+/g, ' ').trim(), max);
}
