/**
 * The reason a failed tool call gives the person, kept apart from `calls.ts` because it is a
 * judgement about text, not a step of the call: a server's own message may be shown, but what
 * an engine or a library wrote may hold internals and is for the log only.
 */
import { ProtocolError } from '@modelcontextprotocol/client';

/**
 * What a person (and the model, who may repeat it) may read of an error: a server's own short,
 * one-line message (a wire-level ProtocolError); never an engine's or a library's text (a
 * RangeError, a validation error's JSON, a stack), which goes to the log instead.
 */
export function personReason(err: unknown): string {
  if (!ProtocolError.isInstance(err)) return ' (the details are in Parley’s log).';
  const text = err.message.replace(/^MCP error -?\d+:\s*/, '').trim();
  const dump = /[\n{}[\]]|invalid_type|ZodError|\bat \S+:\d+/.test(text);
  if (!text || dump || text.length > 200) return ' (the details are in Parley’s log).';
  return `: ${text}${/[.!?]$/.test(text) ? '' : '.'}`;
}
