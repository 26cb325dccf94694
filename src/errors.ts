/**
 * Coded errors. Every error Parley raises on purpose carries a stable `code` (for logs and tests)
 * and a `userMessage` — the one sentence a chat user may see. Unknown throws are converted at the
 * edges with {@link toParleyError}, so a person never sees a stack trace.
 */
export type ErrorCode =
  | 'config_invalid'
  | 'store_unavailable'
  /** The Redis server is older than Parley supports (see MINIMUM_REDIS_VERSION). */
  | 'store_unsupported'
  | 'llm_unavailable'
  | 'llm_error'
  | 'mcp_unreachable'
  /** A tool call took longer than its time (`MCP_REQUEST_TIMEOUT_SECONDS`). */
  | 'mcp_timeout'
  /** The connection broke while a call was out; it may or may not have run. */
  | 'outcome_unknown'
  /** Every connection under MCP_MAX_CONNECTIONS was in use for the whole wait. */
  | 'mcp_busy'
  | 'tool_not_found'
  | 'auth_required'
  /** A sign-in (any kind) failed in a way the person or an admin must act on. */
  | 'auth_failed'
  /** A sealed record in the store failed its check (changed, or sealed with another secret). */
  | 'sealed_unreadable'
  | 'internal';

export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  constructor(
    readonly code: ErrorCode,
    readonly userMessage: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(
      options?.detail ?? userMessage,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
  }
}

export function isParleyError(err: unknown): err is ParleyError {
  return err instanceof ParleyError;
}

/** Wraps anything thrown into a ParleyError, keeping a known one as it is. */
export function toParleyError(
  err: unknown,
  fallback: { code: ErrorCode; userMessage: string } = {
    code: 'internal',
    userMessage: 'Something went wrong on my side. Please try again.',
  },
): ParleyError {
  if (isParleyError(err)) return err;
  return new ParleyError(fallback.code, fallback.userMessage, { cause: err, detail: describeError(err) });
}

/** A one-line description of an unknown error for logs (never shown to users). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** What a person is told when something unexpected fails: no engine or library text. */
export const GENERIC_SENTENCE = 'Something went wrong on my side. Please try again.';

/**
 * The one sentence a person may read about `err`: a ParleyError's own `userMessage`, or the
 * generic sentence for anything else (a RangeError, a library's message), whose detail belongs
 * in the log (log {@link describeError} next to it).
 */
export function personSentence(err: unknown): string {
  return isParleyError(err) ? err.userMessage : GENERIC_SENTENCE;
}
