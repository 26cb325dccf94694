/**
 * Keeps a long-lived AbortSignal from piling up entries for the dead signals derived from it.
 *
 * The MCP SDK's Streamable HTTP transport sends each request with
 * `AbortSignal.any([transportSignal, requestSignal])`, and the transport's signal lives as long
 * as the connection — for a shared 2026-07-28 connection, as long as the process. Each
 * `AbortSignal.any` leaves a `WeakRef` to its result in every source's dependant set; Node 20
 * never removes it once the result is collected (nodejs/node#55351; later Node lines prune it
 * with a FinalizationRegistry — Node 24 does, as the test shows). Measured here: one dead `WeakRef` and its set entry per tool call,
 * ~60 bytes each, for the life of the connection (issue 12 §2: 10,000 waiting MRTR forms held
 * 10,000 of them).
 *
 * {@link DependantPruner} drops the entries whose signal was collected. It reads Node's internal
 * `kDependantSignals` set, found by its symbol's description; where that isn't there (another
 * runtime, a later Node that renamed it) it does nothing, which is what that runtime needs anyway
 * or at worst the leak above, never a behaviour change: an entry is removed only when the signal
 * it points to no longer exists, so nothing that could still abort is unlinked.
 */

/**
 * The set of dead-or-alive weak references Node keeps on a source signal, if this runtime has it.
 * Node's own classes (`SafeSet`, `SafeWeakRef`) are not `instanceof` the global ones: checked by
 * their shape instead.
 */
function dependantsOf(signal: AbortSignal): Set<{ deref(): unknown }> | undefined {
  const symbol = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  const set = symbol === undefined ? undefined : (signal as unknown as Record<symbol, unknown>)[symbol];
  return Object.prototype.toString.call(set) === '[object Set]'
    ? (set as Set<{ deref(): unknown }>)
    : undefined;
}

/**
 * Removes from `signal`'s dependant set every `WeakRef` whose target was collected. Returns how
 * many entries remain (0 where the runtime keeps no such set).
 */
export function pruneDependants(signal: AbortSignal): number {
  const set = dependantsOf(signal);
  if (!set) return 0;
  for (const ref of set) if (typeof ref?.deref === 'function' && ref.deref() === undefined) set.delete(ref);
  return set.size;
}

/** How many uses pass between two prunes. */
const PRUNE_EVERY = 64;

/**
 * Prunes a source signal's dead dependants every {@link PRUNE_EVERY} uses: call {@link sent}
 * after each. A prune walks the set (a `deref` per entry), so a connection pays about
 * set size / 64 of those per request — a handful — and the set holds at most the requests in
 * flight, those not yet collected, and the last 64.
 */
export class DependantPruner {
  private untilNext = PRUNE_EVERY;

  /** Counts one use of `signal` (undefined: nothing to prune), pruning when one is due. */
  sent(signal: AbortSignal | undefined): void {
    if (!signal || --this.untilNext > 0) return;
    this.untilNext = PRUNE_EVERY;
    pruneDependants(signal);
  }
}
