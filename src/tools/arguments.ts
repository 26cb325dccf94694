/**
 * A tool call's arguments as the person (`/call`) or the model wrote them: a JSON object, bounded
 * before anything walks it. Deep nesting overflows the stack of whatever serializes it next (the
 * MCP SDK's transport: JSON.stringify throws a RangeError), and a huge text ties up the process;
 * both are refused here with a sentence a person can act on.
 */

/** Deepest nesting of objects and arrays accepted (real tool arguments stay in single digits). */
export const MAX_ARGUMENT_DEPTH = 64;
/** Longest arguments text accepted, in UTF-16 code units (well above any chat message). */
export const MAX_ARGUMENT_CHARS = 1_000_000;

export type ParsedArguments = { ok: true; args: Record<string, unknown> } | { ok: false; sentence: string };

/**
 * Parses `text` (empty: `{}`) as a tool's arguments for `name`. Refuses, with a sentence: text
 * over {@link MAX_ARGUMENT_CHARS}, nesting over {@link MAX_ARGUMENT_DEPTH}, anything but an object.
 */
export function parseArguments(name: string, text: string): ParsedArguments {
  if (text.length > MAX_ARGUMENT_CHARS)
    return {
      ok: false,
      sentence: `The arguments for ${name} are too long (over ${MAX_ARGUMENT_CHARS.toLocaleString('en')} characters).`,
    };
  // Counted on the text, before parsing: brackets outside strings are the nesting.
  if (nestingOf(text) > MAX_ARGUMENT_DEPTH)
    return {
      ok: false,
      sentence: `The arguments for ${name} are nested too deeply (over ${MAX_ARGUMENT_DEPTH} levels).`,
    };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text || '{}');
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, sentence: `The arguments for ${name} must be a JSON object.` };
  return { ok: true, args: parsed as Record<string, unknown> };
}

/** The deepest bracket nesting in JSON text, skipping strings (one pass, no recursion). */
export function nestingOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}
