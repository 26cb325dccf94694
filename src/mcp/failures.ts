/**
 * What a failed MCP request tells us about the call it carried. A call may only be sent again
 * when it certainly never reached the server, or when the tool says repeating it is harmless
 * (`readOnlyHint` / `idempotentHint`, MCP 2025-06-18 §tools "annotations"): a reset socket or a
 * closed stream also happen after the server has run the tool.
 */
import { isParleyError } from '../errors.js';

export type FailureKind =
  /** Certainly not run: refused before anything was sent, or the server doesn't know the session. */
  | 'not_sent'
  /** The connection broke while the request was out: the tool may or may not have run. */
  | 'unknown'
  /** Not a connection failure (a protocol or tool error): the caller's to handle. */
  | 'other';

const NOT_SENT = /ECONNREFUSED|Session not found|HTTP 404|\b404\b.*session|NOT_CONNECTED/i;
const UNKNOWN =
  /fetch failed|ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed|socket hang up|terminated|CONNECTION_CLOSED|Connection closed|SEND_FAILED|SSE stream disconnected/i;

/** Classifies an error from a request (message, `code` and `cause`, four levels deep). */
export function classifyFailure(err: unknown): FailureKind {
  // Raised by Parley before sending: the connection was already known to be closed.
  if (isParleyError(err) && err.code === 'mcp_unreachable') return 'not_sent';
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const x = e as { message?: unknown; code?: unknown; cause?: unknown; data?: { status?: unknown } };
    parts.push(String(x.message ?? ''), String(x.code ?? ''));
    if (x.data?.status === 404) parts.push('HTTP 404');
    e = x.cause;
  }
  const text = parts.join(' ');
  if (NOT_SENT.test(text)) return 'not_sent';
  if (UNKNOWN.test(text)) return 'unknown';
  return 'other';
}

/**
 * The server tried to send a request (elicitation, sampling) during a call on a 2026-07-28
 * session, which has no back-channel for it: a server written for the 2025-11-25 era
 * (`await ctx.elicit(...)` in the official Python SDK or FastMCP) that also offers the new one.
 * It reports this as a tool error or a JSON-RPC error; both carry this sentence.
 */
const NO_BACK_CHANNEL = /no back-?channel|Cannot send '(elicitation|sampling|roots)\//i;

/** True when an error or a tool result's text says the server needed a back-channel. */
export function needsBackChannel(failure: unknown): boolean {
  if (failure instanceof Error)
    return NO_BACK_CHANNEL.test(`${failure.message} ${String(failure.cause ?? '')}`);
  const result = failure as { isError?: unknown; content?: unknown } | undefined;
  if (result?.isError !== true || !Array.isArray(result.content)) return false;
  return result.content.some(
    (b) =>
      (b as { type?: unknown }).type === 'text' &&
      NO_BACK_CHANNEL.test(String((b as { text?: unknown }).text)),
  );
}
