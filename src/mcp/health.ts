/**
 * Per-server health: a circuit breaker, so one server that fails or stalls never slows the
 * others (issue 11 §2). After `failures` consecutive failures, or at once after a timeout, the
 * server is skipped for `openMs`; then one request is let through as a probe (half-open): its
 * success closes the breaker, its failure opens it again. Only connecting and tool listing are
 * guarded: a call on a connection already open goes to the server, which answers it or not.
 */
import type { ServerConfig } from '../config.js';
import { describeError, isParleyError, ParleyError } from '../errors.js';
import { classifyFailure } from './failures.js';

export interface HealthOptions {
  /** Consecutive failures that open the breaker. Default 3. */
  failures?: number;
  /** How long an open breaker skips the server (ms). Default 30 000. */
  openMs?: number;
}

interface Breaker {
  failures: number;
  /** While set and in the future, the server is skipped. */
  openUntil: number;
  /** A half-open probe is out: others keep skipping until it settles. */
  probing: boolean;
}

export class ServerHealth {
  private readonly breakers = new Map<string, Breaker>();
  private readonly maxFailures: number;
  private readonly openMs: number;

  constructor(options: HealthOptions = {}) {
    this.maxFailures = options.failures ?? 3;
    this.openMs = options.openMs ?? 30_000;
  }

  /** True while the server is skipped (open, or half-open with a probe out). */
  isOpen(server: string, now = Date.now()): boolean {
    const b = this.breakers.get(server);
    if (!b || b.openUntil === 0) return false;
    return now < b.openUntil || b.probing;
  }

  /**
   * Lets a request through, or throws `mcp_unreachable` ("… isn't answering …") while the
   * server is skipped. After the open period the first caller becomes the probe.
   */
  admit(server: ServerConfig, now = Date.now()): void {
    const b = this.breakers.get(server.name);
    if (!b || b.openUntil === 0) return;
    if (now >= b.openUntil && !b.probing) {
      b.probing = true;
      return;
    }
    throw unavailable(server);
  }

  succeeded(server: string): void {
    this.breakers.delete(server);
  }

  /** A failure; `timeout` (a stalled server) opens the breaker at once. */
  failed(server: string, kind: 'failure' | 'timeout', now = Date.now()): void {
    const b = this.breakers.get(server) ?? { failures: 0, openUntil: 0, probing: false };
    b.failures += 1;
    if (kind === 'timeout' || b.failures >= this.maxFailures || b.probing) b.openUntil = now + this.openMs;
    b.probing = false;
    this.breakers.set(server, b);
  }

  /** Records a failed connect or listing, when {@link healthVerdict} says it is the server's. */
  judge(server: string, err: unknown): void {
    const verdict = healthVerdict(err);
    if (verdict) this.failed(server, verdict);
    else this.released(server);
  }

  /** A probe that ended without telling anything (e.g. the person must sign in first). */
  released(server: string): void {
    const b = this.breakers.get(server);
    if (b) b.probing = false;
  }
}

/** The one line a person reads about a server that is skipped for now. */
export function unavailable(server: ServerConfig): ParleyError {
  return new ParleyError(
    'mcp_unreachable',
    `${server.title ?? server.name} isn’t answering right now, so I’m leaving it out for a moment.`,
  );
}

/**
 * What an error from connecting or listing says about the server itself: a `timeout` (it
 * stalled), a `failure` (unreachable, or the connection broke), or nothing (a sign-in needed or
 * refused, a protocol error: one person's matter, never a reason to skip the server for all).
 */
export function healthVerdict(err: unknown): 'failure' | 'timeout' | undefined {
  const timedOut = /timed? ?out/i.test(describeError(err));
  if (isParleyError(err)) {
    if (err.code === 'mcp_timeout') return 'timeout';
    if (err.code !== 'mcp_unreachable') return undefined;
    return timedOut ? 'timeout' : 'failure';
  }
  if (timedOut) return 'timeout';
  return classifyFailure(err) === 'other' ? undefined : 'failure';
}
